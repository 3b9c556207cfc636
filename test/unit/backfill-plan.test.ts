import { describe, expect, it } from "vitest";
import {
  BackfillInputError,
  DEFAULT_SLICE_MINUTES,
  MAX_SLICES,
  parseBackfillInput,
  planSlices,
} from "../../lambda/backfill/plan-slices.ts";
import { backfillStatus, sumReports } from "../../lambda/backfill/sum-reports.ts";
import { emptyCounts, type RunReport } from "../../lambda/core/model.ts";

const NOW = Date.parse("2026-11-30T00:00:00.000Z");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe("planSlices", () => {
  it("covers [from, to) exactly once with consecutive slices", () => {
    const window = { from: NOW - 3 * DAY - 7, to: NOW - DAY + 11 };
    const slices = planSlices(window, 60);
    expect(slices[0]?.from).toBe(window.from);
    expect(slices.at(-1)?.to).toBe(window.to);
    for (let i = 1; i < slices.length; i++) expect(slices[i]?.from).toBe(slices[i - 1]?.to);
    expect(slices.every((s) => s.to > s.from)).toBe(true);
    expect(slices).toHaveLength(Math.ceil((window.to - window.from) / 3_600_000));
  });

  it("defaults to six-hour slices, and lengthens them to keep a 366-day window under the limit", () => {
    expect(planSlices({ from: NOW - DAY, to: NOW })).toHaveLength(
      (24 * 60) / DEFAULT_SLICE_MINUTES,
    );
    const year = planSlices({ from: NOW - 366 * DAY, to: NOW }, 1);
    expect(year.length).toBeLessThanOrEqual(MAX_SLICES);
    expect(year.at(-1)?.to).toBe(NOW);
    // The whole plan stays far below Step Functions' 256 KiB.
    expect(
      Buffer.byteLength(JSON.stringify(year.map((s) => ({ from: iso(s.from), to: iso(s.to) })))),
    ).toBeLessThan(64 * 1024);
  });
});

describe("parseBackfillInput (contracts §6)", () => {
  const ok = { from: "2026-11-20T00:00:00Z", to: "2026-11-27T00:00:00+09:00" };

  it("takes from, to and the optional dryRun, maxCancels and sliceMinutes", () => {
    expect(
      parseBackfillInput({ ...ok, dryRun: true, maxCancels: 50, sliceMinutes: 90 }, NOW, 1800),
    ).toEqual({
      window: { from: Date.parse(ok.from), to: Date.parse(ok.to) },
      dryRun: true,
      maxCancels: 50,
      sliceMinutes: 90,
    });
  });

  it("refuses anything else, naming it", () => {
    const refused = (input: unknown, pattern: RegExp) => {
      expect(() => parseBackfillInput(input, NOW, 1800)).toThrow(BackfillInputError);
      expect(() => parseBackfillInput(input, NOW, 1800)).toThrow(pattern);
    };
    refused([], /JSON object/);
    refused({ ...ok, backfillId: "x" }, /unknown key\(s\) backfillId/);
    refused({ ...ok, from: "2026-11-20" }, /from: expected an ISO-8601/);
    refused({ ...ok, to: ok.from }, /from must be earlier than to/);
    refused({ from: "2025-01-01T00:00:00Z", to: "2026-01-03T00:00:00Z" }, /366 days/);
    refused({ ...ok, to: iso(NOW - 60_000) }, /grace period/);
    refused({ ...ok, dryRun: "yes" }, /dryRun/);
    refused({ ...ok, maxCancels: -1 }, /maxCancels/);
    refused({ ...ok, sliceMinutes: 0 }, /sliceMinutes/);
  });
});

describe("sumReports (contracts §7)", () => {
  const slice = (from: number, status: RunReport["status"], cancelled: string[]): RunReport => ({
    runId: `slice-${from}`,
    status,
    dryRun: false,
    window: { from: iso(from), to: iso(from + DAY) },
    startedAt: iso(NOW),
    finishedAt: iso(NOW),
    durationMs: 1,
    counts: {
      ...emptyCounts(),
      scanned: 10,
      orphans: cancelled.length,
      cancelled: cancelled.length,
    },
    cancelled,
    findings: [],
    errors: status === "FAILED" ? [{ stage: "gateway", message: "page 2 failed" }] : [],
  });

  it("adds the counts, merges the lists in time order and lists every slice", () => {
    const report = sumReports({
      runId: "backfill-1",
      dryRun: false,
      window: { from: iso(NOW - 2 * DAY), to: iso(NOW) },
      startedAt: NOW,
      finishedAt: NOW + 5,
      halted: false,
      slices: [slice(NOW - 2 * DAY, "SUCCEEDED", ["A"]), slice(NOW - DAY, "FAILED", ["B", "C"])],
    });
    expect(report.status).toBe("FAILED");
    expect(report.counts).toMatchObject({ scanned: 20, orphans: 3, cancelled: 3 });
    expect(report.cancelled).toEqual(["A", "B", "C"]);
    expect(report.slices.map((s) => s.status)).toEqual(["SUCCEEDED", "FAILED"]);
    expect(report.errors[0]?.message).toMatch(/^slice \[.*\): page 2 failed/);
    expect(report.durationMs).toBe(5);
    expect(report.truncated).toBeUndefined();
  });

  it("cuts long lists at 1,000 and says so", () => {
    const many = Array.from({ length: 600 }, (_, i) => `P${i}`);
    const report = sumReports({
      runId: "b",
      dryRun: false,
      window: { from: iso(NOW - 2 * DAY), to: iso(NOW) },
      startedAt: NOW,
      finishedAt: NOW,
      halted: false,
      slices: [slice(NOW - 2 * DAY, "SUCCEEDED", many), slice(NOW - DAY, "SUCCEEDED", many)],
    });
    expect(report.cancelled).toHaveLength(1000);
    expect(report.counts.cancelled).toBe(1200);
    expect(report.truncated).toBe(true);
  });

  it("takes HALTED over FAILED over PARTIAL over SUCCEEDED", () => {
    expect(backfillStatus(true, ["FAILED"])).toBe("HALTED");
    expect(backfillStatus(false, ["PARTIAL", "FAILED"])).toBe("FAILED");
    expect(backfillStatus(false, ["SUCCEEDED", "PARTIAL", "SKIPPED_LOCKED"])).toBe("PARTIAL");
    expect(backfillStatus(false, ["SUCCEEDED", "SKIPPED_LOCKED"])).toBe("SUCCEEDED");
    // An apply slice that halted on its own, beside siblings that may have cancelled.
    expect(backfillStatus(false, ["SUCCEEDED", "HALTED"])).toBe("FAILED");
    // A slice could not be judged, so none was applied.
    expect(backfillStatus(false, ["SUCCEEDED"], true)).toBe("FAILED");
  });
});
