import type { CancelOutcome, Gateway, PaymentState } from "../ports/gateway.ts";
import { GatewayCredentialError, GatewayError } from "../ports/gateway.ts";
import type { Ledger } from "../ports/ledger.ts";
import type { Logger } from "../ports/logger.ts";
import { decideBeforeCancel } from "./decide-cancel.ts";
import { cancelIdempotencyKey } from "./idempotency-key.ts";
import type { Payment } from "./model.ts";

/** How one orphan ended in this run. */
export type CancelResult =
  | { readonly kind: "cancelled"; readonly pgUid: string; readonly payment: Payment }
  /** Accepted by the gateway, not finished (PortOne `REQUESTED`); reported as cancelled. */
  | { readonly kind: "requested"; readonly pgUid: string; readonly payment: Payment }
  | { readonly kind: "alreadyCancelled"; readonly pgUid: string; readonly payment: Payment }
  | { readonly kind: "failed"; readonly payment: Payment; readonly reason: string }
  /** Not finished now; the claim's lease runs out and a later run resumes with the same key. */
  | { readonly kind: "retryLater"; readonly pgUid: string; readonly reason: string }
  /** Nothing to do here: done earlier, or another live run holds the claim. */
  | { readonly kind: "skipped"; readonly pgUid: string; readonly reason: string };

export interface CancelContext {
  readonly gateway: Gateway;
  readonly ledger: Ledger;
  readonly logger: Logger;
  readonly runId: string;
  readonly now: () => number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly reason: string;
  /** True once the run must send no further cancel (the gateway refused the credential). */
  readonly stopped: () => boolean;
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Claim, call, record: the only path by which paysync moves money. The claim is a
 * conditional write, so two runs can never both call; the key comes from the claim, so a
 * resumed claim replays the first call; the record closes the claim for good.
 */
export async function cancelOrphan(payment: Payment, ctx: CancelContext): Promise<CancelResult> {
  const { pgUid } = payment;
  const claim = await ctx.ledger.claimCancel({
    pgUid,
    storeOrderId: payment.storeOrderId,
    amount: payment.amount,
    currency: payment.currency,
    idempotencyKey: cancelIdempotencyKey(pgUid),
    runId: ctx.runId,
    now: ctx.now(),
    leaseMs: ctx.leaseMs,
    maxAttempts: ctx.maxAttempts,
  });
  switch (claim.kind) {
    case "done":
      return { kind: "skipped", pgUid, reason: `the ledger already has it ${claim.state}` };
    case "busy":
      return { kind: "skipped", pgUid, reason: `run ${claim.owner} holds the claim` };
    case "failed":
      return { kind: "failed", payment, reason: `failed earlier, needs a person: ${claim.reason}` };
    case "claimed":
      break;
  }

  // The listing may be minutes old: the payment's state right now decides (contracts §7).
  let state: PaymentState | undefined;
  try {
    state = await ctx.gateway.paymentStatus?.(pgUid);
  } catch (error) {
    // Nothing was sent that could move money: the claim is released for a later run.
    await ctx.ledger.releaseCancel(pgUid, ctx.runId, ctx.now(), message(error));
    if (error instanceof GatewayCredentialError) throw error;
    return { kind: "retryLater", pgUid, reason: `lookup before cancel: ${message(error)}` };
  }
  const decision = decideBeforeCancel(payment, state);
  switch (decision.kind) {
    case "alreadyCancelled":
      return record(payment, claim.attempt, { kind: "already_cancelled" }, ctx);
    case "requested":
      return record(payment, claim.attempt, { kind: "requested" }, ctx);
    case "person":
      await ctx.ledger.completeCancel(pgUid, ctx.runId, "FAILED", ctx.now(), decision.reason);
      return { kind: "failed", payment, reason: decision.reason };
    case "cancel":
      break;
  }

  if (ctx.stopped()) {
    await ctx.ledger.releaseCancel(
      pgUid,
      ctx.runId,
      ctx.now(),
      "the run stopped before its cancel",
    );
    return { kind: "skipped", pgUid, reason: "the run stopped before its cancel" };
  }
  let outcome: CancelOutcome;
  try {
    outcome = await ctx.gateway.cancel({
      pgUid,
      idempotencyKey: claim.idempotencyKey,
      reason: ctx.reason,
      cancellable: decision.cancellable,
      currency: payment.currency,
    });
  } catch (error) {
    if (error instanceof GatewayCredentialError) {
      // Refused before anything happened: the claim waits for a working key.
      await ctx.ledger.releaseCancel(pgUid, ctx.runId, ctx.now(), message(error));
      throw error;
    }
    if (error instanceof GatewayError && error.retryable) {
      await ctx.ledger.releaseCancel(pgUid, ctx.runId, ctx.now(), message(error));
      return { kind: "retryLater", pgUid, reason: message(error) };
    }
    // An answer we cannot read may still have refunded: a person checks before any retry.
    const reason = `unreadable cancel answer: ${message(error)}`;
    await ctx.ledger.completeCancel(pgUid, ctx.runId, "FAILED", ctx.now(), reason);
    return { kind: "failed", payment, reason };
  }
  return record(payment, claim.attempt, outcome, ctx);
}

/** Writes the gateway's answer into the ledger and says how the orphan ended. */
async function record(
  payment: Payment,
  attempt: number,
  outcome: CancelOutcome,
  ctx: CancelContext,
): Promise<CancelResult> {
  const { pgUid } = payment;
  switch (outcome.kind) {
    case "cancelled":
      await ctx.ledger.completeCancel(
        pgUid,
        ctx.runId,
        "CANCELLED",
        ctx.now(),
        outcome.cancelledAt,
      );
      ctx.logger.info("cancelled", {
        pgUid,
        storeOrderId: payment.storeOrderId,
        amount: payment.amount,
        attempt,
      });
      return { kind: "cancelled", pgUid, payment };
    case "requested":
      // Kept open in the ledger: a later run's lookup learns how it ended.
      await ctx.ledger.completeCancel(pgUid, ctx.runId, "REQUESTED", ctx.now());
      ctx.logger.info("cancellation requested; the gateway finishes it later", { pgUid });
      return { kind: "requested", pgUid, payment };
    case "already_cancelled":
      await ctx.ledger.completeCancel(pgUid, ctx.runId, "ALREADY_CANCELLED", ctx.now());
      ctx.logger.info("already cancelled at the gateway", { pgUid });
      return { kind: "alreadyCancelled", pgUid, payment };
    case "rejected": {
      const reason = `gateway refused: ${outcome.code}: ${outcome.message}`;
      await ctx.ledger.completeCancel(pgUid, ctx.runId, "FAILED", ctx.now(), reason);
      return { kind: "failed", payment, reason };
    }
  }
}
