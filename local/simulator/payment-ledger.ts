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

  cancel(pgUid: string, idempotencyKey: string, now: Date): CancelResult {
    const stored = this.#answersByKey.get(idempotencyKey);
    if (stored) return replayOrReject(stored, pgUid, idempotencyKey);
    const answer = this.#applyCancel(pgUid, now);
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

  #applyCancel(pgUid: string, now: Date): ApiAnswer {
    const entry = this.#byUid.get(pgUid);
    if (!entry) return notFound(`payment ${pgUid} not found`);
    const { payment } = entry;
    if (payment.status === "cancelled") {
      return errorAnswer(409, "ALREADY_CANCELLED", `payment ${pgUid} is already cancelled`);
    }
    if (payment.status !== "paid") {
      return errorAnswer(
        409,
        "NOT_CANCELLABLE",
        `payment ${pgUid} has status ${payment.status} and cannot be cancelled`,
      );
    }
    payment.status = "cancelled";
    // Counted rather than flagged so a double cancel would show up as 2.
    this.#effectiveCancels.set(pgUid, (this.#effectiveCancels.get(pgUid) ?? 0) + 1);
    return okAnswer({
      code: 200,
      message: `${pgUid} 취소 완료`,
      pg_uid: pgUid,
      cancelled_at: now.toISOString(),
    });
  }
}

function replayOrReject(stored: StoredAnswer, pgUid: string, key: string): CancelResult {
  if (stored.pgUid === pgUid) return { answer: stored.answer, replayed: true };
  const answer = errorAnswer(
    422,
    "IDEMPOTENCY_KEY_REUSED",
    `Idempotency-Key ${key} was already used for payment ${stored.pgUid}`,
  );
  return { answer, replayed: false };
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
