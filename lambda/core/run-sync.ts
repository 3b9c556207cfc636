import { fx } from "@fxts/core";
import { type Events, noEvents, type PaysyncEvent } from "../ports/events.ts";
import { type Gateway, GatewayCredentialError } from "../ports/gateway.ts";
import type { Ledger, OpenClaim } from "../ports/ledger.ts";
import { type Logger, silentLogger } from "../ports/logger.ts";
import { type OrderStore, StoreError } from "../ports/order-store.ts";
import { orderedPool } from "../util/ordered-pool.ts";
import { ulid } from "../util/ulid.ts";
import { type CancelResult, cancelOrphan } from "./cancel-orphan.ts";
import type { SyncConfig } from "./config.ts";
import { guardTrip } from "./guard.ts";
import {
  emptyCounts,
  type Finding,
  type Payment,
  type RunError,
  type RunReport,
  type RunStatus,
  type TimeWindow,
} from "./model.ts";
import { DeadlineReached, readWindow } from "./read-window.ts";
import { type Recheck, recheckOrphans } from "./recheck-orphans.ts";
import { buildReport, REPORT_LIST_LIMIT } from "./report.ts";
import { settle } from "./settle.ts";
import { scheduledWindow } from "./window.ts";
import { createWindowJudge, type WindowVerdict } from "./window-judge.ts";

export interface SyncPorts {
  readonly gateway: Gateway;
  readonly orders: OrderStore;
  readonly ledger: Ledger;
  /** What the shop hears (contracts §8); none by default. */
  readonly events?: Events;
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly newRunId?: (now: number) => string;
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

const wouldCancel = (payment: Payment, reason: string): Finding => ({
  kind: "WOULD_CANCEL",
  pgUid: payment.pgUid,
  storeOrderId: payment.storeOrderId,
  pgAmount: payment.amount,
  reason,
});

/** Everything one run learns, gathered as it goes and turned into the report at the end. */
class RunTally {
  readonly counts = emptyCounts();
  readonly cancelled: string[] = [];
  readonly findings: Finding[] = [];
  readonly errors: RunError[] = [];
  /** Refunds and new findings, published once the run's outcome is settled. */
  readonly events: PaysyncEvent[] = [];
  deadlineReached = false;
  lockLost = false;
  /** The gateway refused PG_API_KEY during the cancel step: no further cancel starts. */
  credentialRefused = false;

  fail(stage: RunError["stage"], error: unknown, pgUid?: string): void {
    this.errors.push(
      pgUid === undefined
        ? { stage, message: message(error) }
        : { stage, message: message(error), pgUid },
    );
  }
}

/**
 * A claim this long past its lease, whose payment no run's window holds, is handed to a
 * person rather than left open in silence.
 */
const SILENT_CLAIM_MS = 86_400_000;

/** Mismatches and duplicates kept for the report and the ledger; counts stay exact past it. */
const FINDINGS_KEPT = 10_000;

/**
 * One reconciliation run over a closed window: read the gateway, look up the store, judge,
 * guard, then cancel through the ledger. Every failure before the cancel step ends the run
 * with nothing cancelled; the handler, the CLI and the tests all come through here.
 */
export async function runSync(config: SyncConfig, ports: SyncPorts): Promise<RunReport> {
  const now = ports.now ?? Date.now;
  const logger = ports.logger ?? silentLogger;
  const startedAt = now();
  const runId = (ports.newRunId ?? ulid)(startedAt);
  const window =
    config.window ?? scheduledWindow(startedAt, config.lookbackSeconds, config.graceSeconds);
  const tally = new RunTally();
  const pastDeadline = () => config.deadlineAt !== undefined && now() >= config.deadlineAt;
  const log = (level: keyof Logger, text: string, fields: Record<string, unknown> = {}) =>
    logger[level](text, { runId, ...fields });

  log("info", "run started", {
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    dryRun: config.dryRun,
  });

  const events = ports.events ?? noEvents;
  const status = await lockedRun();
  // After the status is settled: a bus that refuses events never changes what the run did.
  const unpublished = await publish(tally.events);
  if (unpublished !== undefined) tally.errors.push(unpublished);
  const report = buildReport({
    runId,
    status,
    dryRun: config.dryRun,
    window,
    startedAt,
    finishedAt: now(),
    counts: tally.counts,
    cancelled: tally.cancelled,
    findings: tally.findings,
    errors: tally.errors,
  });
  const { cancelled: _cancelled, findings: _findings, ...finished } = report;
  const finishedUnpublished = await publish([{ detailType: "Run Finished", detail: finished }]);
  if (finishedUnpublished !== undefined) report.errors.push(finishedUnpublished);
  try {
    await ports.ledger.recordRun(
      report,
      Math.floor(startedAt / 1000) + config.runRecordTtlDays * 86_400,
      config.backfillSlice,
    );
  } catch (error) {
    // The run's effects are already in the ledger's payment records; only its summary is lost.
    log("error", "could not record the run", { error: message(error) });
  }
  log(status === "SUCCEEDED" || status === "SKIPPED_LOCKED" ? "info" : "warn", "run finished", {
    status,
    counts: report.counts,
  });
  return report;

  /** The error, when the bus did not take them all; the run's effects stand either way. */
  async function publish(batch: readonly PaysyncEvent[]): Promise<RunError | undefined> {
    if (batch.length === 0) return undefined;
    try {
      await events.publish(batch);
      return undefined;
    } catch (error) {
      log("error", "events not published; the run's effects stand", {
        events: batch.length,
        error: message(error),
      });
      return {
        stage: "events",
        message: `${batch.length} event(s) not published: ${message(error)}`,
      };
    }
  }

  /** Records a finding in the ledger, and raises it to the shop the first time only. */
  async function keepFinding(finding: Finding): Promise<void> {
    const { raised } = await ports.ledger.recordFinding(finding, runId, now());
    if (raised) {
      tally.events.push({
        detailType: "Finding Raised",
        detail: { ...finding, runId, at: new Date(now()).toISOString() },
      });
    }
  }

  async function lockedRun(): Promise<RunStatus> {
    // A dry run writes no claim, so it needs no lock and never makes a real run skip. A
    // backfill's slice goes without it too: the claims arbitrate between any runs, and the
    // lock would only make slices wait on each other and on the schedule (README, Backfill).
    if (config.dryRun || config.holdsRunLock === false) return work();
    try {
      const lock = await ports.ledger.acquireRunLock(runId, startedAt, config.runLockLeaseMs);
      if (!lock.acquired) {
        log("info", "another run holds the lock", {
          owner: lock.owner,
          leaseUntil: new Date(lock.leaseUntil).toISOString(),
        });
        return "SKIPPED_LOCKED";
      }
    } catch (error) {
      tally.fail("lock", error);
      return "FAILED";
    }
    // Long runs renew the lease well before it ends, so nobody takes the lock over from a
    // live run; a lost lock stops new cancels at once.
    const heartbeat = setInterval(() => {
      ports.ledger.acquireRunLock(runId, now(), config.runLockLeaseMs).then(
        (renewed) => {
          if (!renewed.acquired) tally.lockLost = true;
        },
        (error: unknown) => log("warn", "could not renew the run lock", { error: message(error) }),
      );
    }, config.runLockLeaseMs / 3);
    heartbeat.unref();
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
      await ports.ledger.releaseRunLock(runId).catch((error: unknown) => {
        // The lease runs out on its own; the next run waits at most that long.
        log("warn", "could not release the run lock", { error: message(error) });
      });
    }
  }

  async function work(): Promise<RunStatus> {
    // Open claims are read first (a handful), so the stream can keep their payments.
    let openClaims: OpenClaim[] = [];
    if (!config.dryRun) {
      try {
        openClaims = await ports.ledger.openClaims();
      } catch (error) {
        tally.fail("ledger", error);
        return "FAILED";
      }
    }
    const verdict = await readAndJudge(window, new Set(openClaims.map((c) => c.pgUid)));
    if (verdict === undefined) return tally.deadlineReached ? "PARTIAL" : "FAILED";
    const { orphans, flagged } = verdict;
    tally.findings.push(...flagged);

    const { scanned, matched, mismatches, duplicates } = tally.counts;
    const judged = matched + mismatches + duplicates + tally.counts.orphans;
    const trip = guardTrip({ orphans: tally.counts.orphans, scanned, judged }, config);
    if (trip !== undefined) {
      log("error", "blast-radius guard tripped: nothing cancelled", { reason: trip });
      tally.findings.push(...orphans.map((p) => wouldCancel(p, `halted: ${trip}`)));
      tally.errors.push({ stage: "guard", message: trip });
      return "HALTED";
    }
    if (config.dryRun) {
      tally.findings.push(
        ...orphans.map((p) => wouldCancel(p, "dry run: paid at the gateway, no paid order")),
      );
      return "SUCCEEDED";
    }

    let rechecked: Recheck;
    try {
      rechecked = await recheckOrphans(ports.orders, orphans, config.orderChunkSize);
    } catch (error) {
      tally.fail("store", error);
      return "FAILED";
    }
    const paidMeanwhile = orphans.length - rechecked.orphans.length;
    if (paidMeanwhile > 0) {
      // Contracts §7: counted as what they are now, not as orphans.
      tally.counts.orphans -= paidMeanwhile;
      tally.counts.matched += rechecked.matched;
      tally.counts.mismatches += rechecked.mismatches.length;
      tally.findings.push(...rechecked.mismatches);
      const still = new Set(rechecked.orphans);
      log("info", "orders paid while the window was read: not cancelled", {
        pgUids: orphans.filter((payment) => !still.has(payment)).map((payment) => payment.pgUid),
      });
    }

    try {
      await closeStaleClaims(openClaims, verdict.watched, rechecked.orphans);
      for (const finding of [...flagged, ...rechecked.mismatches]) await keepFinding(finding);
    } catch (error) {
      // A ledger that cannot take a finding cannot be trusted with a claim either.
      tally.fail("ledger", error);
      return "FAILED";
    }

    await cancelAll(rechecked.orphans);
    try {
      // CANCEL_FAILED findings too: each is for a person, and is raised once.
      for (const finding of tally.findings) {
        if (finding.kind === "CANCEL_FAILED") await keepFinding(finding);
      }
    } catch (error) {
      tally.fail("ledger", error);
    }
    if (tally.lockLost) tally.fail("lock", "lost the run lock to another run; stopped cancelling");
    if (tally.errors.length > 0) return "FAILED";
    return tally.deadlineReached ? "PARTIAL" : "SUCCEEDED";
  }

  /** Streams the window through the judge; `undefined` when the run cannot act on it. */
  async function readAndJudge(
    range: TimeWindow,
    watched: ReadonlySet<string>,
  ): Promise<WindowVerdict | undefined> {
    const judge = createWindowJudge({
      store: ports.orders,
      orderChunkSize: config.orderChunkSize,
      graceStart: startedAt - config.graceSeconds * 1000,
      // Past MAX_CANCELS_PER_RUN the guard halts, and a report lists at most 1,000.
      orphanKeep: Math.max(config.maxCancelsPerRun, REPORT_LIST_LIMIT) + 1,
      findingKeep: FINDINGS_KEPT,
      watched,
      beforeLookup: () => {
        if (pastDeadline()) throw new DeadlineReached("deadline reached while looking up orders");
      },
    });
    let verdict: WindowVerdict;
    try {
      const read = await readWindow(
        ports.gateway,
        { window: range, perPage: config.pageSize },
        { concurrency: config.concurrency, pastDeadline, sink: (page) => judge.addPage(page) },
      );
      verdict = await judge.finish();
      log("info", "window read", { pages: read.pages, listed: read.listed });
    } catch (error) {
      if (error instanceof DeadlineReached) tally.deadlineReached = true;
      else tally.fail(error instanceof StoreError ? "store" : "gateway", error);
      return undefined;
    }
    Object.assign(tally.counts, verdict.counts);
    if (verdict.outOfOrder > 0) {
      log("warn", "the gateway listed payments out of (paid_at, pg_uid) order", {
        times: verdict.outOfOrder,
      });
    }
    log("info", "judged", { ...tally.counts });
    return verdict;
  }

  /**
   * Closes claims left open by runs that died or lost an answer, once their lease is over,
   * on the evidence of this window's listing. An orphan's claim is left to the cancel step,
   * which takes it over with the same key; a claim whose payment is out of the window waits
   * for a run (the nightly deep run) whose window holds it.
   */
  async function closeStaleClaims(
    open: readonly OpenClaim[],
    payments: ReadonlyMap<string, Payment>,
    orphans: readonly Payment[],
  ): Promise<void> {
    const orphanUids = new Set(orphans.map((p) => p.pgUid));
    for (const claim of open) {
      if (claim.state === "REQUESTED") {
        await closeRequested(claim, payments.get(claim.pgUid));
        continue;
      }
      if (claim.leaseUntil > now() || orphanUids.has(claim.pgUid)) continue;
      const payment = payments.get(claim.pgUid);
      // PortOne lists only paid payments: a cancelled one is asked after by its id.
      const status = payment?.status ?? (await ports.gateway.paymentStatus?.(claim.pgUid))?.status;
      if (status === "cancelled") {
        const closed = await ports.ledger.closeExpiredClaim(
          claim.pgUid,
          runId,
          now(),
          "CANCELLED",
          "the gateway has it cancelled; the answer to an earlier attempt was lost",
        );
        if (closed)
          log("info", "closed a stale claim: the gateway has it cancelled", { pgUid: claim.pgUid });
        continue;
      }
      // Out of this window and not known cancelled: a run whose window holds it decides,
      // unless none has for a day: then a person must hear of it (an old window, a manual
      // run or a backfill, whose payment no scheduled window will ever hold).
      if (payment === undefined) {
        if (now() - claim.leaseUntil < SILENT_CLAIM_MS) continue;
        const reason =
          status === undefined
            ? "outcome unknown: the cancel's answer was lost and no run can learn this payment's status any more; check it at the gateway"
            : `outcome unknown: the cancel's answer was lost, and the gateway has the payment ${status}; check it at the gateway`;
        if (await ports.ledger.closeExpiredClaim(claim.pgUid, runId, now(), "FAILED", reason)) {
          cancelFailed(claim.pgUid, claim.storeOrderId ?? "unknown", claim.amount, reason);
        }
        continue;
      }
      // Still not cancelled, and no longer an orphan: most likely its order got paid after
      // the claim. Whether an earlier attempt reached the gateway is unknown; a person checks.
      const reason = `claim abandoned: the payment is ${payment.status} and no longer an orphan; check that it was not refunded`;
      if (await ports.ledger.closeExpiredClaim(claim.pgUid, runId, now(), "FAILED", reason)) {
        cancelFailed(payment.pgUid, payment.storeOrderId, payment.amount, reason);
      }
    }
  }

  /**
   * A cancellation the gateway accepted earlier and had not finished: its state now says
   * whether it is done, failed (a person must know), or still under way (left for later).
   */
  async function closeRequested(claim: OpenClaim, listed: Payment | undefined): Promise<void> {
    const state = await ports.gateway.paymentStatus?.(claim.pgUid);
    const status = state?.status ?? listed?.status;
    if (status === "cancelled") {
      if (
        await ports.ledger.closeExpiredClaim(
          claim.pgUid,
          runId,
          now(),
          "CANCELLED",
          "the requested cancellation finished",
        )
      ) {
        log("info", "a requested cancellation finished", { pgUid: claim.pgUid });
      }
      return;
    }
    if (state?.cancellation !== "failed") return;
    const reason = `the requested cancellation failed at the gateway${state.cancellationDetail ? `: ${state.cancellationDetail}` : ""}; the payment is not refunded`;
    if (await ports.ledger.closeExpiredClaim(claim.pgUid, runId, now(), "FAILED", reason)) {
      cancelFailed(
        claim.pgUid,
        listed?.storeOrderId ?? claim.storeOrderId ?? "unknown",
        listed?.amount ?? claim.amount,
        reason,
      );
    }
  }

  /** Contracts §8: every payment in the `cancelled` list, so the shop stops waiting for it. */
  function paymentCancelled(payment: Payment): void {
    const { pgUid, storeOrderId, amount, currency } = payment;
    tally.events.push({
      detailType: "Payment Cancelled",
      detail: { pgUid, storeOrderId, amount, currency, runId, at: new Date(now()).toISOString() },
    });
  }

  function cancelFailed(
    pgUid: string,
    storeOrderId: string,
    pgAmount: number | undefined,
    reason: string,
  ): void {
    tally.counts.cancelFailed++;
    tally.findings.push({
      kind: "CANCEL_FAILED",
      pgUid,
      storeOrderId,
      ...(pgAmount === undefined ? {} : { pgAmount }),
      reason,
    });
    log("error", "cancel failed for good", { pgUid, reason });
  }

  async function cancelAll(orphans: readonly Payment[]): Promise<void> {
    const ctx = {
      gateway: ports.gateway,
      ledger: ports.ledger,
      logger,
      runId,
      now,
      leaseMs: config.claimLeaseMs,
      maxAttempts: config.maxCancelAttempts,
      reason: config.cancelReason,
      stopped: () => tally.credentialRefused || tally.lockLost,
    };
    const cancelOne = async (payment: Payment) => {
      if (tally.lockLost || tally.credentialRefused) return { payment, outcome: undefined };
      if (pastDeadline()) {
        tally.deadlineReached = true;
        return { payment, outcome: undefined };
      }
      const outcome = await settle(cancelOrphan(payment, ctx));
      // At once, not in report order: cancels already under way must see it before posting.
      const refused = !outcome.ok && outcome.error instanceof GatewayCredentialError;
      if (refused && !tally.credentialRefused) {
        tally.credentialRefused = true;
        tally.fail("gateway", outcome.error);
      }
      return { payment, outcome: refused ? undefined : outcome };
    };
    await fx(orphans)
      .toAsync()
      // Twice the gateway's concurrency: while some cancels wait on the ledger, others use
      // the gateway. The request budget still holds gateway calls to PG_CONCURRENCY.
      .chain(orderedPool(config.concurrency * 2, cancelOne))
      .each(({ payment, outcome }) => {
        if (outcome === undefined) return;
        if (outcome.ok) tallyCancel(outcome.value);
        else tally.fail("ledger", outcome.error, payment.pgUid);
      });
  }

  function tallyCancel(result: CancelResult): void {
    switch (result.kind) {
      case "cancelled":
      case "requested":
        tally.counts.cancelled++;
        tally.cancelled.push(result.pgUid);
        paymentCancelled(result.payment);
        break;
      case "alreadyCancelled":
        tally.counts.alreadyCancelled++;
        tally.cancelled.push(result.pgUid);
        paymentCancelled(result.payment);
        break;
      case "failed":
        cancelFailed(
          result.payment.pgUid,
          result.payment.storeOrderId,
          result.payment.amount,
          result.reason,
        );
        break;
      case "retryLater":
        tally.fail(
          "gateway",
          `cancel of ${result.pgUid} not confirmed, a later run resumes it: ${result.reason}`,
          result.pgUid,
        );
        break;
      case "skipped":
        log("info", "orphan skipped", { pgUid: result.pgUid, reason: result.reason });
        break;
    }
  }
}
