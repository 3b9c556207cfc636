import { afterEach, describe, expect, it } from "vitest";
import { sumCounts } from "../../lambda/backfill/sum-reports.ts";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import type { RunReport } from "../../lambda/core/model.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import type { Ledger } from "../../lambda/ports/ledger.ts";
import { BackfillExecutionError, runLocalBackfill } from "../../local/backfill/run-backfill.ts";
import type { StoreOrderRow } from "../../local/embedded/postgres.ts";
import { openRunEnvironment, type RunEnvironment } from "../../local/run-environment.ts";
import type { DialectName, FaultOptions, SimPayment } from "../../local/simulator/pg-simulator.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";

/**
 * The backfill state machine, as the stack synthesizes it, executed on aws-local-stepfunctions
 * over real services: the PG simulator (HTTP), PGlite (PostgreSQL protocol) and dynalite
 * (DynamoDB API). Several thousand payments over three days, in twelve six-hour slices.
 */

const HOUR = 3_600_000;
const N = 3_000;
const WINDOW_TO = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR;
const WINDOW_FROM = WINDOW_TO - 72 * HOUR;
const INPUT = {
  from: new Date(WINDOW_FROM).toISOString(),
  to: new Date(WINDOW_TO).toISOString(),
};

const uid = (i: number) => `BF${String(i).padStart(5, "0")}`;
const amountOf = (i: number) => 1_000 + (i % 50) * 100;
/** No paid order: the orphans the backfill must cancel, each exactly once. */
const isOrphan = (i: number) => i % 100 === 0;
/** Already cancelled at the gateway: never touched. */
const isCancelled = (i: number) => i % 100 === 50;
/** A paid order for another amount: reported, never cancelled. */
const isMismatch = (i: number) => i % 997 === 0;
const ORPHANS = Array.from({ length: N }, (_, k) => k + 1)
  .filter(isOrphan)
  .map(uid);

function payments(): SimPayment[] {
  return Array.from({ length: N }, (_, k) => {
    const i = k + 1;
    // Spread over the window, never on its edges, in (paid_at, pg_uid) order.
    const paidAt = WINDOW_FROM + 60_000 + Math.floor((k * (WINDOW_TO - WINDOW_FROM - 120_000)) / N);
    return {
      pg_uid: uid(i),
      store_order_id: i,
      amount: amountOf(i),
      currency: "KRW",
      status: isCancelled(i) ? "cancelled" : "paid",
      paid_at: new Date(paidAt).toISOString(),
    };
  });
}

function orders(): StoreOrderRow[] {
  return Array.from({ length: N }, (_, k) => {
    const i = k + 1;
    return {
      id: i,
      amount: isMismatch(i) ? amountOf(i) + 1 : amountOf(i),
      is_paid: !isOrphan(i) && !isCancelled(i),
    };
  });
}

let services: Services | undefined;
let environment: RunEnvironment | undefined;
afterEach(async () => {
  await environment?.close();
  await services?.close();
  environment = undefined;
  services = undefined;
});

async function start(faults?: FaultOptions, dialect: DialectName = "reference") {
  services = await startServices({
    simulator: { payments: payments(), ...(faults ? { faults } : {}) },
    orders: orders(),
    dialect,
  });
  environment = await openRunEnvironment(readEnvConfig({ ...services.env, PG_PAGE_SIZE: "100" }));
  return { services, environment };
}

const cancelPosts = (s: Services) =>
  s.simulator.requests.filter((r) => r.method === "POST" && r.path.endsWith("/cancel")).length;

function backfill(
  env: RunEnvironment,
  input: Record<string, unknown> = INPUT,
  options: { concurrency?: number; ledger?: Ledger } = {},
) {
  return runLocalBackfill(input, {
    sync: env.sync,
    ports: { ...env.ports, ...(options.ledger ? { ledger: options.ledger } : {}) },
    concurrency: options.concurrency ?? 4,
    retryDelayMs: 10,
  });
}

describe("the backfill state machine, run locally over the embedded services", () => {
  it("covers the window exactly once, cancels each orphan once, and sums its slices", async () => {
    const { services, environment } = await start();
    const report = await backfill(environment);

    expect(report.status).toBe("SUCCEEDED");
    expect(report.window).toEqual(INPUT);
    // Twelve six-hour slices, end to end: each starts where the previous one ended.
    expect(report.slices).toHaveLength(12);
    expect(report.slices[0]?.from).toBe(INPUT.from);
    expect(report.slices.at(-1)?.to).toBe(INPUT.to);
    for (let s = 1; s < report.slices.length; s++) {
      expect(report.slices[s]?.from).toBe(report.slices[s - 1]?.to);
    }
    // Every payment was read by exactly one slice.
    expect(report.counts.scanned).toBe(N);
    expect(report.counts).toEqual(sumCounts(report.slices.map((slice) => slice.counts)));
    expect(report.counts).toMatchObject({
      orphans: ORPHANS.length,
      cancelled: ORPHANS.length,
      mismatches: 3,
      ignored: N / 100,
      matched: N - ORPHANS.length - N / 100 - 3,
    });
    expect([...report.cancelled].sort()).toEqual(ORPHANS);
    expect(report.findings.filter((f) => f.kind === "AMOUNT_MISMATCH")).toHaveLength(3);

    expect(effectiveCancels(services)).toEqual(Object.fromEntries(ORPHANS.map((u) => [u, 1])));
    expect(cancelPosts(services)).toBe(ORPHANS.length);

    // The slices' reports are gathered through the ledger, under the backfill's id.
    const applied = await environment.ports.ledger.backfillSlices(report.runId, "apply");
    expect(applied.map((r) => r.window.from)).toEqual(report.slices.map((s) => s.from));
    const judged = await environment.ports.ledger.backfillSlices(report.runId, "judge");
    expect(judged.every((r) => r.dryRun && r.cancelled.length === 0)).toBe(true);

    // The same backfill again: nothing new is cancelled, and no cancel request is sent.
    const again = await backfill(environment);
    expect(again.status).toBe("SUCCEEDED");
    expect(again.counts).toMatchObject({ scanned: N, orphans: 0, cancelled: 0 });
    expect(again.cancelled).toEqual([]);
    expect(cancelPosts(services)).toBe(ORPHANS.length);
  });

  it("halts on the sums, with no cancel request at all, though every slice is under the limit", async () => {
    const { services, environment } = await start();
    const report = await backfill(environment, { ...INPUT, maxCancels: ORPHANS.length - 1 });

    expect(report.status).toBe("HALTED");
    expect(report.errors).toEqual([
      expect.objectContaining({ stage: "guard", message: expect.stringContaining("orphans") }),
    ]);
    // Each slice alone would have passed a per-run guard of this size.
    expect(Math.max(...report.slices.map((s) => s.counts.orphans))).toBeLessThan(
      ORPHANS.length - 1,
    );
    expect(report.counts).toMatchObject({ orphans: ORPHANS.length, cancelled: 0 });
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL")).toHaveLength(ORPHANS.length);
    expect(cancelPosts(services)).toBe(0);
    expect(await environment.ports.ledger.backfillSlices(report.runId, "apply")).toEqual([]);
  });

  it("--dry-run judges every slice and sends no cancel", async () => {
    const { services, environment } = await start();
    const report = await backfill(environment, { ...INPUT, dryRun: true });

    expect(report.status).toBe("SUCCEEDED");
    expect(report.dryRun).toBe(true);
    expect(report.counts).toMatchObject({ scanned: N, orphans: ORPHANS.length, cancelled: 0 });
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL")).toHaveLength(ORPHANS.length);
    expect(cancelPosts(services)).toBe(0);
  });

  it("retries a slice that failed, and still cancels each orphan once", async () => {
    // The first listing requests all fail, past the gateway client's own five attempts, so
    // the first slice's run ends FAILED and the state machine runs it again.
    const { services, environment } = await start({
      script: [{ match: { method: "GET", pathPrefix: "/v1/payments" }, action: "500", times: 6 }],
    });
    const recorded: RunReport[] = [];
    const ledger: Ledger = {
      ...environment.ports.ledger,
      recordRun: (report, ttl, slice) => {
        recorded.push(report);
        return environment.ports.ledger.recordRun(report, ttl, slice);
      },
    };
    const report = await backfill(environment, INPUT, { concurrency: 1, ledger });

    expect(report.status).toBe("SUCCEEDED");
    const failedFirst = recorded.filter((r) => r.status === "FAILED");
    expect(failedFirst).toHaveLength(1);
    expect(failedFirst[0]?.window.from).toBe(INPUT.from);
    expect(failedFirst[0]?.errors[0]?.stage).toBe("gateway");
    // The retried slice's own report replaced the failed one.
    expect(report.slices[0]?.status).toBe("SUCCEEDED");
    expect(report.counts.cancelled).toBe(ORPHANS.length);
    expect(effectiveCancels(services)).toEqual(Object.fromEntries(ORPHANS.map((u) => [u, 1])));
  });

  it("never skips a slice because another run holds the run lock", async () => {
    const { services, environment } = await start();
    await environment.ports.ledger.acquireRunLock("scheduled-run", Date.now(), 3_600_000);
    const report = await backfill(environment);

    expect(report.status).toBe("SUCCEEDED");
    expect(report.slices.every((s) => s.status === "SUCCEEDED")).toBe(true);
    expect(effectiveCancels(services)).toEqual(Object.fromEntries(ORPHANS.map((u) => [u, 1])));
    // The lock is still the other run's: the backfill neither took nor freed it.
    expect(await environment.ports.ledger.acquireRunLock("next", Date.now(), 1_000)).toMatchObject({
      acquired: false,
      owner: "scheduled-run",
    });
  });

  it("is safe beside a scheduled run over an overlapping window: each orphan once", async () => {
    const { services, environment } = await start();
    const { ports, sync } = environment;
    const lastHalfDay = { from: WINDOW_TO - 12 * HOUR, to: WINDOW_TO };
    const [report, scheduledRun] = await Promise.all([
      backfill(environment),
      runSync({ ...sync, window: lastHalfDay }, ports),
    ]);

    expect(report.status).toBe("SUCCEEDED");
    expect(scheduledRun.status).toBe("SUCCEEDED");
    expect(effectiveCancels(services)).toEqual(Object.fromEntries(ORPHANS.map((u) => [u, 1])));
    expect(cancelPosts(services)).toBe(ORPHANS.length);
    // Whichever run got to an orphan first, both count it as cancelled, never twice at the PG.
    const byEither = new Set([...report.cancelled, ...scheduledRun.cancelled]);
    expect([...byEither].sort()).toEqual(ORPHANS);
  });

  it.each(["toss", "portone"] as const)(
    "slices a %s window without a payment read twice or missed, and cancels each orphan once",
    async (dialect) => {
      const { services, environment } = await start(undefined, dialect);
      const report = await backfill(environment);

      expect(report.status).toBe("SUCCEEDED");
      // Each vendor reads its window edges its own way; the slices still split it exactly.
      expect(report.counts).toMatchObject({
        // PortOne is asked for PAID payments only, so the 30 cancelled ones are not listed.
        scanned: dialect === "portone" ? N - N / 100 : N,
        orphans: ORPHANS.length,
        cancelled: ORPHANS.length,
      });
      expect(effectiveCancels(services)).toEqual(Object.fromEntries(ORPHANS.map((u) => [u, 1])));
    },
  );

  it("refuses a bad input at its first state, before any request to the gateway", async () => {
    const { services, environment } = await start();
    await expect(backfill(environment, { ...INPUT, sliceSize: 5 })).rejects.toThrow(
      BackfillExecutionError,
    );
    await expect(backfill(environment, { from: INPUT.to, to: INPUT.from })).rejects.toThrow(
      /from must be earlier than to/,
    );
    expect(services.simulator.requests).toHaveLength(0);
  });
});
