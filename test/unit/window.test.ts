import { describe, expect, it } from "vitest";
import {
  explicitWindowProblem,
  MAX_WINDOW_MS,
  parseInstant,
  scheduledWindow,
  windowToJson,
} from "../../lambda/core/window.ts";

const NOW = Date.UTC(2026, 10, 24, 3, 0, 0); // 2026-11-24T03:00:00Z
const HOUR = 3_600_000;
const DAY = 86_400_000;

describe("scheduledWindow", () => {
  it("is [now - lookback, now - grace)", () => {
    expect(scheduledWindow(NOW, 7200, 1800)).toEqual({ from: NOW - 2 * HOUR, to: NOW - HOUR / 2 });
    expect(windowToJson(scheduledWindow(NOW, 7200, 1800))).toEqual({
      from: "2026-11-24T01:00:00.000Z",
      to: "2026-11-24T02:30:00.000Z",
    });
  });

  it("ends at now when there is no grace, and keeps sub-second now", () => {
    expect(scheduledWindow(NOW + 123, 60, 0)).toEqual({ from: NOW + 123 - 60_000, to: NOW + 123 });
  });
});

describe("parseInstant", () => {
  it("accepts an instant in UTC", () => {
    expect(parseInstant("2026-11-24T00:00:00Z")).toBe(Date.UTC(2026, 10, 24));
  });

  it("accepts milliseconds (and finer fractions)", () => {
    expect(parseInstant("2026-11-24T00:00:00.250Z")).toBe(Date.UTC(2026, 10, 24) + 250);
    expect(parseInstant("2026-11-24T00:00:00.000Z")).toBe(Date.UTC(2026, 10, 24));
    expect(parseInstant("2026-11-24T00:00:00.123456Z")).toBe(Date.UTC(2026, 10, 24) + 123);
  });

  it("applies an explicit offset", () => {
    expect(parseInstant("2026-11-24T09:00:00+09:00")).toBe(Date.UTC(2026, 10, 24));
    expect(parseInstant("2026-11-23T19:00:00-05:00")).toBe(Date.UTC(2026, 10, 24));
    expect(parseInstant("2026-11-24T00:00:00+00:00")).toBe(Date.UTC(2026, 10, 24));
  });

  it("rejects a bare date, a local time and garbage", () => {
    for (const bad of [
      "2026-11-24",
      "2026-11-24T00:00:00",
      "2026-11-24T00:00:00.000",
      "2026-11-24 00:00:00Z",
      "2026-11-24T00:00:00+0900",
      "2026-11-24T00:00:00 +09:00",
      "Tue, 24 Nov 2026 00:00:00 GMT",
      "1795478400000",
      "now",
      "garbage",
      "",
      " 2026-11-24T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-11-24T00:00:60Z",
    ]) {
      expect(parseInstant(bad), bad).toBeUndefined();
    }
  });
});

describe("explicitWindowProblem", () => {
  const grace = 1800;
  const graceStart = NOW - grace * 1000;

  it("rejects from >= to", () => {
    expect(explicitWindowProblem({ from: NOW - DAY, to: NOW - DAY }, NOW, grace)).toMatch(
      /from must be earlier than to/,
    );
    expect(explicitWindowProblem({ from: NOW - DAY, to: NOW - 2 * DAY }, NOW, grace)).toMatch(
      /from must be earlier than to/,
    );
  });

  it("rejects a window longer than 31 days, and allows exactly 31", () => {
    const to = NOW - DAY;
    expect(MAX_WINDOW_MS).toBe(31 * DAY);
    expect(explicitWindowProblem({ from: to - 31 * DAY - 1, to }, NOW, grace)).toMatch(/31 days/);
    expect(explicitWindowProblem({ from: to - 40 * DAY, to }, NOW, grace)).toMatch(/31 days/);
    expect(explicitWindowProblem({ from: to - 31 * DAY, to }, NOW, grace)).toBeUndefined();
  });

  it("rejects a window that ends later than now minus the grace period", () => {
    const problem = explicitWindowProblem({ from: NOW - HOUR, to: graceStart + 1 }, NOW, grace);
    expect(problem).toMatch(/grace/);
    expect(problem).toContain(new Date(graceStart).toISOString());
    expect(explicitWindowProblem({ from: NOW - HOUR, to: NOW }, NOW, grace)).toMatch(/grace/);
    expect(explicitWindowProblem({ from: NOW - HOUR, to: NOW + DAY }, NOW, grace)).toMatch(/grace/);
  });

  it("accepts a valid window, including one that ends exactly at now minus grace", () => {
    expect(explicitWindowProblem({ from: NOW - 2 * HOUR, to: graceStart }, NOW, grace)).toBe(
      undefined,
    );
    expect(
      explicitWindowProblem(
        {
          from: parseInstant("2026-11-20T00:00:00Z") as number,
          to: parseInstant("2026-11-21T00:00:00+09:00") as number,
        },
        NOW,
        grace,
      ),
    ).toBeUndefined();
    expect(explicitWindowProblem({ from: NOW - 1, to: NOW }, NOW, 0)).toBeUndefined();
  });
});

describe("parseInstant refuses dates that do not exist", () => {
  it("rejects Feb 30 and hour 24 instead of rolling them over", () => {
    expect(parseInstant("2026-02-30T00:00:00Z")).toBeUndefined();
    expect(parseInstant("2026-11-24T24:00:00Z")).toBeUndefined();
  });
});
