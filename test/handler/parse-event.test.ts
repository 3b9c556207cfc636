import { describe, expect, it } from "vitest";
import { runDeadline } from "../../lambda/aws/deadline.ts";
import { parseEvent } from "../../lambda/events/parse-event.ts";
import { readFixture } from "./lambda-harness.ts";

const settings = { graceSeconds: 1800, lookbackSeconds: 7200 };
const now = Date.parse("2026-11-24T10:00:00Z");

describe("parseEvent", () => {
  it("reads a scheduled event's window from its own time, so a late delivery loses nothing", () => {
    const event = { ...readFixture("scheduled-event.json"), time: "2026-11-24T09:45:00Z" };
    expect(parseEvent(event, settings, now)).toEqual({
      source: "scheduled",
      window: {
        from: Date.parse("2026-11-24T07:45:00Z"),
        to: Date.parse("2026-11-24T09:15:00Z"),
      },
    });
  });

  it("never lets a scheduled time ahead of our clock pull the window into the grace period", () => {
    const event = { ...readFixture("scheduled-event.json"), time: "2026-11-24T10:05:00Z" };
    expect(parseEvent(event, settings, now).window?.to).toBe(now - 1800_000);
  });

  it("treats {} as a run over the default window, like a scheduled one", () => {
    expect(parseEvent({}, settings, now)).toEqual({ source: "manual" });
  });

  it("only ever turns a dry run on", () => {
    expect(parseEvent({ dryRun: true }, settings, now)).toEqual({ source: "manual", dryRun: true });
    expect(parseEvent({ dryRun: false }, settings, now)).toEqual({ source: "manual" });
  });

  it("takes from/to, lookbackSeconds and maxCancels", () => {
    expect(
      parseEvent(
        { from: "2026-11-23T00:00:00+09:00", to: "2026-11-24T00:00:00+09:00", maxCancels: 0 },
        settings,
        now,
      ),
    ).toEqual({
      source: "manual",
      window: { from: Date.parse("2026-11-22T15:00:00Z"), to: Date.parse("2026-11-23T15:00:00Z") },
      maxCancelsPerRun: 0,
    });
    expect(parseEvent({ lookbackSeconds: 172_800 }, settings, now).window).toEqual({
      from: now - 172_800_000,
      to: now - 1_800_000,
    });
  });

  it("accepts a window of exactly 31 days ending exactly at the grace boundary", () => {
    const to = now - 1_800_000;
    const event = {
      from: new Date(to - 31 * 86_400_000).toISOString(),
      to: new Date(to).toISOString(),
    };
    expect(parseEvent(event, settings, now).window).toEqual({ from: to - 31 * 86_400_000, to });
  });
});

describe("runDeadline", () => {
  it("keeps 30 s back from Lambda's timeout", () => {
    expect(runDeadline(now, 300_000)).toBe(now + 270_000);
  });

  it("keeps a quarter back when the time left is short", () => {
    expect(runDeadline(now, 10_000)).toBe(now + 7_500);
  });

  it("honours an earlier RUN_DEADLINE_SECONDS", () => {
    expect(runDeadline(now, 300_000, 60)).toBe(now + 60_000);
    expect(runDeadline(now, 300_000, 600)).toBe(now + 270_000);
  });
});
