import { describe, expect, it } from "vitest";
import {
  type BackfillPlan,
  BackfillStateError,
  guardBackfill,
  planBackfill,
  readSliceTask,
  reportBackfill,
  type SliceOutcome,
} from "../../lambda/backfill/backfill-steps.ts";
import { BackfillInputError } from "../../lambda/backfill/plan-slices.ts";
import { fitReport, sumReports } from "../../lambda/backfill/sum-reports.ts";
import { emptyCounts, type RunReport } from "../../lambda/core/model.ts";
import type { PaysyncEvent } from "../../lambda/ports/events.ts";
import { MemoryLedger } from "../support/memory-ports.ts";

const NOW = Date.parse("2026-11-30T12:00:00.000Z");
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const SETTINGS = { graceSeconds: 1800, maxCancelsPerRun: 100, dryRun: false };

const plan = (input: Record<string, unknown> = {}): BackfillPlan =>
  planBackfill({ from: iso(NOW - 24 * HOUR), to: iso(NOW - 2 * HOUR), ...input }, SETTINGS, NOW);

const outcome = (slice: { from: string; to: string }, over: Partial<SliceOutcome> = {}) => ({
  ...slice,
  status: "SUCCEEDED" as const,
  scanned: 1000,
  orphans: 2,
  judged: 990,
  ...over,
});

describe("planBackfill", () => {
  it("checks the input and cuts the window into slices, with the run's limit by default", () => {
    const p = plan();
    expect(p.window).toEqual({ from: iso(NOW - 24 * HOUR), to: iso(NOW - 2 * HOUR) });
    expect(p.slices.map((s) => s.from)).toEqual(
      [0, 6, 12, 18].map((h) => iso(NOW - (24 - h) * HOUR)),
    );
    expect(p.slices.at(-1)?.to).toBe(iso(NOW - 2 * HOUR));
    expect(p).toMatchObject({ dryRun: false, maxCancels: 100, startedAt: iso(NOW) });
    expect(plan({ maxCancels: 7, sliceMinutes: 60 })).toMatchObject({ maxCancels: 7 });
    expect(plan({ sliceMinutes: 60 }).slices).toHaveLength(22);
  });

  it("makes every backfill a dry run under a deployment-wide DRY_RUN", () => {
    expect(
      planBackfill(
        { from: iso(NOW - 3 * HOUR), to: iso(NOW - 2 * HOUR) },
        { ...SETTINGS, dryRun: true },
        NOW,
      ).dryRun,
    ).toBe(true);
  });

  it("refuses unknown keys and bad windows, naming the problem", () => {
    expect(() => plan({ slices: 3 })).toThrow(BackfillInputError);
    expect(() => plan({ slices: 3 })).toThrow(/unknown key\(s\) slices/);
    expect(() => plan({ to: iso(NOW) })).toThrow(/grace period/);
    expect(() => plan({ dryRun: "yes" })).toThrow(/dryRun/);
  });
});

describe("readSliceTask", () => {
  it("takes the map item the definition builds, and refuses anything else as a bug", () => {
    const item = {
      backfillId: "b",
      pass: "apply",
      from: iso(NOW - HOUR),
      to: iso(NOW),
      maxCancels: 3,
    };
    expect(readSliceTask(item)).toEqual(item);
    expect(() => readSliceTask({ ...item, pass: "both" })).toThrow(BackfillStateError);
    expect(() => readSliceTask({ ...item, maxCancels: -1 })).toThrow(/maxCancels/);
  });
});

describe("guardBackfill", () => {
  const state = (judged: unknown[], over: Partial<BackfillPlan> = {}) => {
    const p = { ...plan(), ...over };
    return { ...p, judged };
  };

  it("applies when the sums pass, each slice capped at what its judge pass counted", () => {
    const p = plan();
    const guarded = guardBackfill(state(p.slices.map((s) => outcome(s))), { maxOrphanRatio: 0.2 });
    expect(guarded.verdict).toBe("apply");
    expect(guarded.slices).toEqual(p.slices.map((s) => ({ ...s, maxCancels: 2 })));
    expect(guarded).not.toHaveProperty("judged");
  });

  it("halts on the sums even when every slice is far under the limit", () => {
    const p = plan({ maxCancels: 7 });
    const guarded = guardBackfill(
      state(
        p.slices.map((s) => outcome(s)),
        p,
      ),
      {
        maxOrphanRatio: 0.2,
      },
    );
    expect(guarded.verdict).toBe("halted");
    expect(guarded.reason).toMatch(/8 orphans exceed MAX_CANCELS_PER_RUN \(7\)/);
  });

  it("halts on the ratio of the sums, and on a store that knows none of the payments", () => {
    const p = plan();
    const ratio = guardBackfill(
      state(p.slices.map((s) => outcome(s, { scanned: 10, orphans: 3, judged: 10 }))),
      { maxOrphanRatio: 0.2 },
    );
    expect(ratio.verdict).toBe("halted");
    expect(ratio.reason).toMatch(/MAX_ORPHAN_RATIO/);
  });

  it("applies nothing when a slice could not be judged: the sums are not whole", () => {
    const p = plan();
    const judged = p.slices.map((s, i) =>
      i === 1
        ? outcome(s, {
            status: "FAILED",
            scanned: 0,
            orphans: 0,
            judged: 0,
            error: "SliceRunFailed",
          })
        : outcome(s),
    );
    const guarded = guardBackfill(state(judged), { maxOrphanRatio: 0.2 });
    expect(guarded.verdict).toBe("failed");
    expect(guarded.reason).toContain(
      `[${p.slices[1]?.from}, ${p.slices[1]?.to}) FAILED (SliceRunFailed)`,
    );
    const partial = guardBackfill(state(p.slices.map((s) => outcome(s, { status: "PARTIAL" }))), {
      maxOrphanRatio: 0.2,
    });
    expect(partial.verdict).toBe("failed");
  });

  it("says dry-run when the sums pass but nothing may be cancelled", () => {
    const p = plan({ dryRun: true });
    expect(
      guardBackfill(
        state(
          p.slices.map((s) => outcome(s)),
          p,
        ),
        { maxOrphanRatio: 0.2 },
      ).verdict,
    ).toBe("dry-run");
  });
});

const sliceReport = (
  window: { from: string; to: string },
  over: Partial<RunReport> = {},
): RunReport => ({
  runId: `run-${window.from}`,
  status: "SUCCEEDED",
  dryRun: false,
  window,
  startedAt: iso(NOW),
  finishedAt: iso(NOW + 1000),
  durationMs: 1000,
  counts: { ...emptyCounts(), scanned: 10, matched: 9, orphans: 1, cancelled: 1 },
  cancelled: [`PG-${window.from}`],
  findings: [],
  errors: [],
  ...over,
});

describe("reportBackfill", () => {
  it("sums the slices' last reports from the ledger, records the backfill and announces it", async () => {
    const p = plan();
    const ledger = new MemoryLedger();
    for (const slice of p.slices) {
      // A failed first attempt, then the retry that replaced it.
      await ledger.recordRun(sliceReport(slice, { status: "FAILED" }), 0, {
        backfillId: p.backfillId,
        pass: "apply",
      });
      await ledger.recordRun(sliceReport(slice), 0, { backfillId: p.backfillId, pass: "apply" });
    }
    const published: PaysyncEvent[] = [];
    const { slices, ...header } = p;
    const report = await reportBackfill(
      { ...header, verdict: "apply", slices: slices.map((s) => ({ ...s, maxCancels: 1 })) },
      {
        ledger,
        events: { publish: async (batch) => void published.push(...batch) },
        now: () => NOW + 5000,
      },
      90,
    );
    expect(report.status).toBe("SUCCEEDED");
    expect(report.runId).toBe(p.backfillId);
    expect(report.counts).toMatchObject({ scanned: 40, orphans: 4, cancelled: 4 });
    expect(report.cancelled).toEqual(p.slices.map((s) => `PG-${s.from}`));
    expect(report.slices.map((s) => s.status)).toEqual([
      "SUCCEEDED",
      "SUCCEEDED",
      "SUCCEEDED",
      "SUCCEEDED",
    ]);
    expect(report.durationMs).toBe(5000);
    expect(ledger.runs.at(-1)).toEqual(report);
    expect(published).toHaveLength(1);
    expect(published[0]?.detailType).toBe("Run Finished");
    expect(published[0]?.detail).not.toHaveProperty("slices");
    expect(published[0]?.detail).not.toHaveProperty("cancelled");
  });

  it("reports a slice that never recorded a report as FAILED, naming its error", async () => {
    const p = plan();
    const ledger = new MemoryLedger();
    const [first, ...rest] = p.slices;
    for (const slice of rest) {
      await ledger.recordRun(sliceReport(slice), 0, { backfillId: p.backfillId, pass: "apply" });
    }
    const { slices, ...header } = p;
    const report = await reportBackfill(
      {
        ...header,
        verdict: "apply",
        slices: slices.map((s) => ({ ...s, maxCancels: 1 })),
        applied: [
          {
            ...first,
            status: "FAILED",
            scanned: 0,
            orphans: 0,
            judged: 0,
            error: "Lambda.Unknown",
          },
        ],
      },
      { ledger },
      90,
    );
    expect(report.status).toBe("FAILED");
    expect(report.slices[0]?.status).toBe("FAILED");
    expect(report.errors[0]?.message).toContain(`slice [${first?.from}, ${first?.to})`);
    expect(report.errors[0]?.message).toContain("Lambda.Unknown");
  });

  it("reports HALTED from the judge pass, with the guard's reason and nothing cancelled", async () => {
    const p = plan();
    const ledger = new MemoryLedger();
    for (const slice of p.slices) {
      await ledger.recordRun(
        sliceReport(slice, {
          dryRun: true,
          cancelled: [],
          counts: { ...emptyCounts(), scanned: 10, orphans: 1 },
        }),
        0,
        { backfillId: p.backfillId, pass: "judge" },
      );
    }
    const { slices, ...header } = p;
    const report = await reportBackfill(
      {
        ...header,
        verdict: "halted",
        reason: "4 orphans exceed",
        slices: slices.map((s) => ({ ...s, maxCancels: 1 })),
      },
      { ledger },
      90,
    );
    expect(report.status).toBe("HALTED");
    expect(report.errors).toEqual([{ stage: "guard", message: "4 orphans exceed" }]);
    expect(report.counts).toMatchObject({ orphans: 4, cancelled: 0 });
  });
});

describe("the execution's state", () => {
  it("stays far below Step Functions' 256 KiB at the most slices a plan has", () => {
    const year = planBackfill(
      { from: iso(NOW - 366 * 24 * HOUR), to: iso(NOW - HOUR), sliceMinutes: 1 },
      SETTINGS,
      NOW,
    );
    expect(year.slices).toHaveLength(400);
    const big = {
      status: "SUCCEEDED" as const,
      scanned: 99_999_999,
      orphans: 99_999,
      judged: 99_999_999,
    };
    // After Judge: the plan and the judge pass's outcomes, the largest numbers a slice has.
    const judged = year.slices.map((s) => ({ ...s, ...big }));
    const afterJudge = { ...year, judged };
    // After Apply: the guard's state (which drops the judge results) and the apply outcomes.
    const guarded = guardBackfill(afterJudge, { maxOrphanRatio: 1 });
    const afterApply = {
      ...guarded,
      applied: judged.map((s) => ({
        ...s,
        status: "FAILED",
        error: "Lambda.TooManyRequestsException",
      })),
    };
    for (const state of [year, afterJudge, guarded, afterApply]) {
      expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(128 * 1024);
    }
  });
});

describe("fitReport", () => {
  it("keeps the execution's output under Step Functions' state limit, and says it cut", () => {
    const window = { from: iso(NOW - HOUR), to: iso(NOW) };
    const big = sumReports({
      runId: "b",
      dryRun: false,
      window,
      startedAt: NOW,
      finishedAt: NOW,
      halted: false,
      slices: [
        sliceReport(window, {
          cancelled: Array.from({ length: 1000 }, (_, i) => `PG-${"x".repeat(40)}-${i}`),
          findings: Array.from({ length: 1000 }, (_, i) => ({
            kind: "AMOUNT_MISMATCH" as const,
            pgUid: `PG-${i}`,
            storeOrderId: String(i),
            reason: "y".repeat(200),
          })),
        }),
      ],
    });
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(200 * 1024);
    const fitted = fitReport(big);
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(200 * 1024);
    expect(fitted.truncated).toBe(true);
    expect(fitted.counts).toEqual(big.counts);
    expect(fitted.slices).toEqual(big.slices);
    expect(fitReport(fitted)).toEqual(fitted);
  });
});
