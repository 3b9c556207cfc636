import { parseIsoTimestamp } from "../../lambda/util/iso-time.ts";
import { type ApiAnswer, errorAnswer, notFound, okAnswer } from "./answers.ts";
import {
  datasetCancelledAmount,
  paymentProblem,
  type SimCancelFlow,
  type SimPayment,
} from "./dataset.ts";

/** `[fromMs, toMs)` on paid_at. */
export interface PaymentWindow {
  fromMs: number;
  toMs: number;
}

export interface CancelResult {
  answer: ApiAnswer;
  /** True when the answer is a stored one for a repeated Idempotency-Key. */
  replayed: boolean;
}

export type CancellationStatus = "REQUESTED" | "SUCCEEDED" | "FAILED";

/** One cancellation of a payment, in the words PortOne shows them (Toss shows the succeeded). */
export interface SimCancellation {
  readonly id: string;
  readonly status: CancellationStatus;
  /** In `amount`'s terms (a PortOne discount included). */
  readonly amount: number;
  readonly reason: string;
  readonly requestedAt: string;
  /** When it succeeded or failed. */
  readonly finishedAt?: string;
}

/** A payment as it stands, with its cancellations oldest first; copies, free to keep. */
export interface PaymentView {
  readonly payment: SimPayment;
  readonly cancellations: readonly SimCancellation[];
}

/** A cancellation the simulator finished, for dialects that list cancels as transactions. */
export interface FinishedCancellation {
  readonly pgUid: string;
  readonly cancellation: SimCancellation;
}

/** How a cancel that passed every check takes effect. */
export type CancelFlow = "immediate" | SimCancelFlow;

export interface CancelCall {
  readonly pgUid: string;
  /** What answers are stored under: the Idempotency-Key, and whatever else the gateway adds. */
  readonly scope: string;
  readonly now: Date;
  readonly answers?: CancelAnswers;
  readonly reason?: string;
  readonly flow?: CancelFlow;
  /** For a requested flow: how long after `now` the next read of the payment finishes it. */
  readonly finishAfterMs?: number;
}

interface LedgerEntry {
  payment: SimPayment;
  paidAtMs: number;
  cancellations: SimCancellation[];
  pending?: PendingCancellation;
}

interface PendingCancellation {
  readonly index: number;
  readonly dueMs: number;
  readonly outcome: "SUCCEEDED" | "FAILED";
}

interface StoredAnswer {
  pgUid: string;
  answer: ApiAnswer;
}

const DATASET_REASON = "cancelled before the simulator started";

/**
 * The gateway's state: payments, their cancellations, and the answers stored per
 * idempotency scope. Everything here is synchronous, so two concurrent HTTP requests can
 * never interleave inside a cancel — that is what makes "at most one effective cancel per
 * payment" hold by construction.
 */
export class PaymentLedger {
  readonly #ordered: LedgerEntry[];
  readonly #byUid = new Map<string, LedgerEntry>();
  readonly #answersByScope = new Map<string, StoredAnswer>();
  readonly #effectiveCancels = new Map<string, number>();
  readonly #finished: FinishedCancellation[] = [];
  readonly #pending = new Set<LedgerEntry>();

  constructor(payments: Iterable<SimPayment>) {
    // Sorting an already ordered dataset is a single linear pass.
    this.#ordered = Array.from(payments, toEntry).sort(compareEntries);
    for (const entry of this.#ordered) {
      if (this.#byUid.has(entry.payment.pg_uid)) {
        throw new Error(`duplicate pg_uid ${entry.payment.pg_uid}`);
      }
      this.#byUid.set(entry.payment.pg_uid, entry);
    }
  }

  /** O(log n): two binary searches over the (paid_at, pg_uid) order. */
  count(window: PaymentWindow): number {
    const { start, end } = this.#bounds(window);
    return end - start;
  }

  /** 1-based page of the window, ordered by (paid_at, pg_uid); O(log n + perPage). */
  page(window: PaymentWindow, page: number, perPage: number): SimPayment[] {
    const { start, end } = this.#bounds(window);
    const first = start + (page - 1) * perPage;
    if (first >= end) return [];
    return this.#ordered
      .slice(first, Math.min(first + perPage, end))
      .map((entry) => ({ ...entry.payment }));
  }

  /**
   * Cancels once per scope. `answers` turns what happened into the dialect's answer, and may
   * refuse first (`check`): both are stored against the scope, like any deliberate answer.
   */
  cancel(call: CancelCall): CancelResult {
    const answers = call.answers ?? referenceAnswers;
    const stored = this.#answersByScope.get(call.scope);
    if (stored) return replayOrReject(stored, call, answers);
    const answer = this.#applyCancel(call, answers);
    // Only deliberate outcomes reach here; transient faults are decided before
    // the ledger is touched, so they can never be stored against a key.
    this.#answersByScope.set(call.scope, { pgUid: call.pgUid, answer });
    return { answer, replayed: false };
  }

  effectiveCancels(): Map<string, number> {
    return new Map(this.#effectiveCancels);
  }

  snapshot(): SimPayment[] {
    return this.#ordered.map((entry) => ({ ...entry.payment }));
  }

  /** One payment as a request reading it at `nowMs` sees it: a due cancellation finishes first. */
  view(pgUid: string, nowMs: number): PaymentView | undefined {
    const entry = this.#byUid.get(pgUid);
    if (!entry) return undefined;
    this.#settle(entry, nowMs, false);
    return viewOf(entry);
  }

  /** Every payment, in (paid_at, pg_uid) order, as a request reading them all sees them. */
  views(nowMs: number): PaymentView[] {
    this.finishRequested(nowMs);
    return this.#ordered.map(viewOf);
  }

  /**
   * Finishes requested cancellations: those due by `nowMs`, or all of them when it is
   * omitted. Returns how many finished.
   */
  finishRequested(nowMs?: number): number {
    let finished = 0;
    for (const entry of [...this.#pending]) {
      if (this.#settle(entry, nowMs ?? Number.POSITIVE_INFINITY, nowMs === undefined)) {
        finished += 1;
      }
    }
    return finished;
  }

  /** Cancellations the simulator made succeed, in the order they did. */
  finishedCancellations(): readonly FinishedCancellation[] {
    return this.#finished;
  }

  /** `[start, end)` indexes of the window's entries: `from` inclusive, `to` exclusive. */
  #bounds(window: PaymentWindow): { start: number; end: number } {
    const start = lowerBound(this.#ordered, window.fromMs);
    // A reversed window is rejected by the query parser; clamp anyway so it is empty here.
    const end = Math.max(start, lowerBound(this.#ordered, window.toMs));
    return { start, end };
  }

  #applyCancel(call: CancelCall, answers: CancelAnswers): ApiAnswer {
    const entry = this.#byUid.get(call.pgUid);
    if (!entry) return answers.answer({ kind: "notFound", pgUid: call.pgUid });
    this.#settle(entry, call.now.getTime(), false);
    const { payment } = entry;
    if (payment.status === "cancelled") {
      return answers.answer({ kind: "alreadyCancelled", view: viewOf(entry) });
    }
    if (payment.status !== "paid") {
      return answers.answer({ kind: "notCancellable", view: viewOf(entry) });
    }
    if (entry.pending) return answers.answer({ kind: "cancellationPending", view: viewOf(entry) });
    const refused = answers.check?.(viewOf(entry));
    if (refused) return refused;
    const at = call.now.toISOString();
    const flow = call.flow ?? "immediate";
    const cancellation: SimCancellation = {
      id: `${payment.pg_uid}-cancel-${entry.cancellations.length + 1}`,
      status: flow === "immediate" ? "SUCCEEDED" : "REQUESTED",
      amount: payment.amount,
      reason: call.reason ?? "",
      requestedAt: at,
    };
    entry.cancellations.push(cancellation);
    if (flow === "immediate") {
      this.#succeed(entry, entry.cancellations.length - 1, at);
      return answers.answer({ kind: "cancelled", view: viewOf(entry), cancellation });
    }
    entry.pending = {
      index: entry.cancellations.length - 1,
      dueMs: call.now.getTime() + (call.finishAfterMs ?? 0),
      outcome: flow === "requested" ? "SUCCEEDED" : "FAILED",
    };
    this.#pending.add(entry);
    return answers.answer({ kind: "requested", view: viewOf(entry), cancellation });
  }

  /** Ends the entry's requested cancellation if it is due; true if it did. */
  #settle(entry: LedgerEntry, nowMs: number, force: boolean): boolean {
    const { pending } = entry;
    if (!pending || (!force && nowMs < pending.dueMs)) return false;
    entry.pending = undefined;
    this.#pending.delete(entry);
    const at = new Date(Number.isFinite(nowMs) ? nowMs : Date.now()).toISOString();
    if (pending.outcome === "SUCCEEDED") {
      this.#succeed(entry, pending.index, at);
    } else {
      const requested = entry.cancellations[pending.index] as SimCancellation;
      entry.cancellations[pending.index] = { ...requested, status: "FAILED", finishedAt: at };
    }
    return true;
  }

  #succeed(entry: LedgerEntry, index: number, at: string): void {
    const cancellation = { ...(entry.cancellations[index] as SimCancellation) };
    const succeeded: SimCancellation = { ...cancellation, status: "SUCCEEDED", finishedAt: at };
    entry.cancellations[index] = succeeded;
    entry.payment.status = "cancelled";
    entry.payment.cancelled_at = at;
    this.#finished.push({ pgUid: entry.payment.pg_uid, cancellation: succeeded });
    // Counted rather than flagged so a double cancel would show up as 2.
    const uid = entry.payment.pg_uid;
    this.#effectiveCancels.set(uid, (this.#effectiveCancels.get(uid) ?? 0) + 1);
  }
}

/** What a cancel did, for a dialect to put in its own words. */
export type CancelEffect =
  | { kind: "cancelled"; view: PaymentView; cancellation: SimCancellation }
  /** Accepted, finished later (PortOne `REQUESTED`); the payment is still paid. */
  | { kind: "requested"; view: PaymentView; cancellation: SimCancellation }
  | { kind: "alreadyCancelled"; view: PaymentView }
  | { kind: "notCancellable"; view: PaymentView }
  /** An accepted cancellation has not finished: nothing is left to cancel meanwhile. */
  | { kind: "cancellationPending"; view: PaymentView }
  | { kind: "notFound"; pgUid: string };

export interface CancelAnswers {
  answer(effect: CancelEffect): ApiAnswer;
  /** A refusal before any effect, e.g. a balance that no longer matches. */
  check?(view: PaymentView): ApiAnswer | undefined;
  /**
   * A stored scope used again for another payment. Only a gateway whose scope is the key
   * alone can see it; one that scopes by the URL (which names the payment) never does.
   */
  keyReused?(pgUid: string, key: string, storedFor: string): ApiAnswer;
}

/** The reference API's answers (contracts §1). */
export const referenceAnswers: CancelAnswers = {
  answer(effect) {
    switch (effect.kind) {
      case "cancelled":
        return okAnswer({
          code: 200,
          message: `${effect.view.payment.pg_uid} 취소 완료`,
          pg_uid: effect.view.payment.pg_uid,
          cancelled_at: effect.view.payment.cancelled_at,
        });
      case "alreadyCancelled":
        return errorAnswer(
          409,
          "ALREADY_CANCELLED",
          `payment ${effect.view.payment.pg_uid} is already cancelled`,
        );
      case "notCancellable":
      case "cancellationPending":
        return errorAnswer(
          409,
          "NOT_CANCELLABLE",
          `payment ${effect.view.payment.pg_uid} has status ${effect.view.payment.status} and cannot be cancelled`,
        );
      case "requested":
        // The reference API has no asynchronous cancel; only PortOne asks for one.
        throw new Error("the reference API cancels at once");
      case "notFound":
        return notFound(`payment ${effect.pgUid} not found`);
    }
  },
  keyReused: (_pgUid, key, storedFor) =>
    errorAnswer(
      422,
      "IDEMPOTENCY_KEY_REUSED",
      `Idempotency-Key ${key} was already used for payment ${storedFor}`,
    ),
};

function replayOrReject(stored: StoredAnswer, call: CancelCall, answers: CancelAnswers) {
  if (stored.pgUid === call.pgUid) return { answer: stored.answer, replayed: true };
  if (!answers.keyReused) {
    throw new Error(`idempotency scope ${call.scope} is shared by two payments`);
  }
  return { answer: answers.keyReused(call.pgUid, call.scope, stored.pgUid), replayed: false };
}

function viewOf(entry: LedgerEntry): PaymentView {
  return { payment: { ...entry.payment }, cancellations: entry.cancellations.slice() };
}

/** First index whose paid_at is at or after `ms` (entries are sorted by paid_at first). */
function lowerBound(entries: readonly LedgerEntry[], ms: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((entries[middle] as LedgerEntry).paidAtMs < ms) low = middle + 1;
    else high = middle;
  }
  return low;
}

function toEntry(payment: SimPayment): LedgerEntry {
  const paidAtMs = parseIsoTimestamp(payment.paid_at);
  if (paidAtMs === undefined) {
    throw new Error(`payment ${payment.pg_uid} has an invalid paid_at ${payment.paid_at}`);
  }
  const broken = paymentProblem(payment);
  if (broken) throw new Error(`payment ${payment.pg_uid}: ${broken.field} ${broken.problem}`);
  // Copied so that cancelling never mutates the caller's array.
  return { payment: { ...payment }, paidAtMs, cancellations: datasetCancellations(payment) };
}

/** The one cancellation a dataset's cancelled payment already had. */
function datasetCancellations(payment: SimPayment): SimCancellation[] {
  if (payment.status !== "cancelled" && payment.status !== "partial_cancelled") return [];
  const at = payment.cancelled_at ?? payment.paid_at;
  return [
    {
      id: `${payment.pg_uid}-cancel-1`,
      status: "SUCCEEDED",
      amount: datasetCancelledAmount(payment),
      reason: DATASET_REASON,
      requestedAt: at,
      finishedAt: at,
    },
  ];
}

function compareEntries(a: LedgerEntry, b: LedgerEntry): number {
  if (a.paidAtMs !== b.paidAtMs) return a.paidAtMs - b.paidAtMs;
  if (a.payment.pg_uid === b.payment.pg_uid) return 0;
  return a.payment.pg_uid < b.payment.pg_uid ? -1 : 1;
}
