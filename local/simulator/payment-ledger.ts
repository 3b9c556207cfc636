import { parseIsoTimestamp } from "../../lambda/util/iso-time.ts";
import { type ApiAnswer, errorAnswer, notFound, okAnswer } from "./answers.ts";
import type { SimPayment } from "./dataset.ts";

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

interface LedgerEntry {
  payment: SimPayment;
  paidAtMs: number;
}

interface StoredAnswer {
  pgUid: string;
  answer: ApiAnswer;
}

/**
 * The gateway's state: payments, their cancellation, and the answers stored
 * per Idempotency-Key. Everything here is synchronous, so two concurrent HTTP
 * requests can never interleave inside a cancel — that is what makes
 * "at most one effective cancel per payment" hold by construction.
 */
export class PaymentLedger {
  readonly #ordered: LedgerEntry[];
  readonly #byUid = new Map<string, LedgerEntry>();
  readonly #answersByKey = new Map<string, StoredAnswer>();
  readonly #effectiveCancels = new Map<string, number>();
  readonly #cancellations: LedgerEntry[] = [];

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
   * Cancels once per key. `answers` turns what happened into the dialect's answer, and may
   * refuse first (`check`): both are stored against the key, like any deliberate answer.
   */
  cancel(
    pgUid: string,
    idempotencyKey: string,
    now: Date,
    answers: CancelAnswers = referenceAnswers,
  ): CancelResult {
    const stored = this.#answersByKey.get(idempotencyKey);
    if (stored) return replayOrReject(stored, pgUid, idempotencyKey, answers);
    const answer = this.#applyCancel(pgUid, now, answers);
    // Only deliberate outcomes reach here; transient faults are decided before
    // the ledger is touched, so they can never be stored against a key.
    this.#answersByKey.set(idempotencyKey, { pgUid, answer });
    return { answer, replayed: false };
  }

  effectiveCancels(): Map<string, number> {
    return new Map(this.#effectiveCancels);
  }

  snapshot(): SimPayment[] {
    return this.#ordered.map((entry) => ({ ...entry.payment }));
  }

  /** `[start, end)` indexes of the window's entries: `from` inclusive, `to` exclusive. */
  #bounds(window: PaymentWindow): { start: number; end: number } {
    const start = lowerBound(this.#ordered, window.fromMs);
    // A reversed window is rejected by the query parser; clamp anyway so it is empty here.
    const end = Math.max(start, lowerBound(this.#ordered, window.toMs));
    return { start, end };
  }

  #applyCancel(pgUid: string, now: Date, answers: CancelAnswers): ApiAnswer {
    const entry = this.#byUid.get(pgUid);
    if (!entry) return answers.answer({ kind: "notFound", pgUid });
    const { payment } = entry;
    if (payment.status === "cancelled")
      return answers.answer({ kind: "alreadyCancelled", payment });
    if (payment.status !== "paid") return answers.answer({ kind: "notCancellable", payment });
    const refused = answers.check?.(payment);
    if (refused) return refused;
    payment.status = "cancelled";
    payment.cancelled_at = now.toISOString();
    this.#cancellations.push(entry);
    // Counted rather than flagged so a double cancel would show up as 2.
    this.#effectiveCancels.set(pgUid, (this.#effectiveCancels.get(pgUid) ?? 0) + 1);
    return answers.answer({ kind: "cancelled", payment });
  }

  /** A copy of one payment as it stands now. */
  get(pgUid: string): SimPayment | undefined {
    const entry = this.#byUid.get(pgUid);
    return entry ? { ...entry.payment } : undefined;
  }

  /** Every payment paid in the window, in order, as it stands now. */
  inWindow(window: PaymentWindow): SimPayment[] {
    const { start, end } = this.#bounds(window);
    return this.#ordered.slice(start, end).map((entry) => ({ ...entry.payment }));
  }

  /** Payments cancelled in the window, in the order they were cancelled. */
  cancelledIn(window: PaymentWindow): SimPayment[] {
    return this.#cancellations
      .filter((entry) => {
        const at = Date.parse(entry.payment.cancelled_at ?? "");
        return at >= window.fromMs && at < window.toMs;
      })
      .map((entry) => ({ ...entry.payment }));
  }
}

/** What a cancel did, for a dialect to put in its own words. */
export type CancelEffect =
  | { kind: "cancelled"; payment: SimPayment }
  | { kind: "alreadyCancelled"; payment: SimPayment }
  | { kind: "notCancellable"; payment: SimPayment }
  | { kind: "notFound"; pgUid: string }
  | { kind: "keyReused"; pgUid: string; key: string; storedFor: string };

export interface CancelAnswers {
  answer(effect: CancelEffect): ApiAnswer;
  /** A refusal before any effect, e.g. a balance that no longer matches. */
  check?(payment: SimPayment): ApiAnswer | undefined;
}

/** The reference API's answers (contracts §1). */
export const referenceAnswers: CancelAnswers = {
  answer(effect) {
    switch (effect.kind) {
      case "cancelled":
        return okAnswer({
          code: 200,
          message: `${effect.payment.pg_uid} 취소 완료`,
          pg_uid: effect.payment.pg_uid,
          cancelled_at: effect.payment.cancelled_at,
        });
      case "alreadyCancelled":
        return errorAnswer(
          409,
          "ALREADY_CANCELLED",
          `payment ${effect.payment.pg_uid} is already cancelled`,
        );
      case "notCancellable":
        return errorAnswer(
          409,
          "NOT_CANCELLABLE",
          `payment ${effect.payment.pg_uid} has status ${effect.payment.status} and cannot be cancelled`,
        );
      case "notFound":
        return notFound(`payment ${effect.pgUid} not found`);
      case "keyReused":
        return errorAnswer(
          422,
          "IDEMPOTENCY_KEY_REUSED",
          `Idempotency-Key ${effect.key} was already used for payment ${effect.storedFor}`,
        );
    }
  },
};

function replayOrReject(
  stored: StoredAnswer,
  pgUid: string,
  key: string,
  answers: CancelAnswers,
): CancelResult {
  if (stored.pgUid === pgUid) return { answer: stored.answer, replayed: true };
  return {
    answer: answers.answer({ kind: "keyReused", pgUid, key, storedFor: stored.pgUid }),
    replayed: false,
  };
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
  // Copied so that cancelling never mutates the caller's array.
  return { payment: { ...payment }, paidAtMs };
}

function compareEntries(a: LedgerEntry, b: LedgerEntry): number {
  if (a.paidAtMs !== b.paidAtMs) return a.paidAtMs - b.paidAtMs;
  if (a.payment.pg_uid === b.payment.pg_uid) return 0;
  return a.payment.pg_uid < b.payment.pg_uid ? -1 : 1;
}
