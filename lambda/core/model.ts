/** A payment as the gateway reports it, normalised by the gateway adapter. */
export interface Payment {
  readonly pgUid: string;
  /** Always a string: gateways send numbers or strings, the store compares text. */
  readonly storeOrderId: string;
  /** Integer, in the currency's minor unit. */
  readonly amount: number;
  readonly currency: string;
  /** `paid`, `cancelled`, or anything else (never acted on). */
  readonly status: string;
  /** Epoch milliseconds. */
  readonly paidAt: number;
}

/** A paid order as the store reports it. */
export interface PaidOrder {
  readonly id: string;
  readonly amount: number;
  /** The payment the store accepted for this order, when the store's query returns it. */
  readonly pgUid?: string;
}

/** A closed time window `[from, to)`, in epoch milliseconds. */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

export type RunStatus = "SUCCEEDED" | "HALTED" | "FAILED" | "SKIPPED_LOCKED" | "PARTIAL";

export type FindingKind =
  | "AMOUNT_MISMATCH"
  | "DUPLICATE_PAYMENT"
  | "CANCEL_FAILED"
  | "WOULD_CANCEL";

export interface Finding {
  readonly kind: FindingKind;
  readonly pgUid: string;
  readonly storeOrderId: string;
  readonly pgAmount?: number;
  readonly orderAmount?: number;
  /** DUPLICATE_PAYMENT: the other paid payments for the same order. */
  readonly otherPgUids?: readonly string[];
  /** Why, in words, for the person who reads the report. */
  readonly reason?: string;
}

export interface RunCounts {
  scanned: number;
  matched: number;
  orphans: number;
  cancelled: number;
  alreadyCancelled: number;
  cancelFailed: number;
  mismatches: number;
  duplicates: number;
  inGrace: number;
  ignored: number;
}

export interface RunError {
  readonly stage:
    | "config"
    | "lock"
    | "gateway"
    | "store"
    | "ledger"
    | "guard"
    | "deadline"
    | "events";
  readonly message: string;
  readonly pgUid?: string;
}

/** The run report of contracts §7. */
export interface RunReport {
  runId: string;
  status: RunStatus;
  dryRun: boolean;
  window: { from: string; to: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  counts: RunCounts;
  cancelled: string[];
  findings: Finding[];
  errors: RunError[];
  truncated?: true;
}

export const emptyCounts = (): RunCounts => ({
  scanned: 0,
  matched: 0,
  orphans: 0,
  cancelled: 0,
  alreadyCancelled: 0,
  cancelFailed: 0,
  mismatches: 0,
  duplicates: 0,
  inGrace: 0,
  ignored: 0,
});
