import type { TimeWindow } from "./model.ts";

/** What `runSync` needs to know; connection details stay with whoever builds the ports. */
export interface SyncConfig {
  readonly pageSize: number;
  readonly concurrency: number;
  readonly orderChunkSize: number;
  readonly graceSeconds: number;
  readonly lookbackSeconds: number;
  readonly maxCancelsPerRun: number;
  readonly maxOrphanRatio: number;
  readonly dryRun: boolean;
  /** An explicit window; without it the run reads `[now - lookback, now - grace)`. */
  readonly window?: TimeWindow;
  /** Epoch ms after which the run starts no new work and ends `PARTIAL`. */
  readonly deadlineAt?: number;
  /** How long a cancel claim is ours: longer than one gateway cancel with all its retries. */
  readonly claimLeaseMs: number;
  /** How long the run lock is ours without renewal: longer than any run. */
  readonly runLockLeaseMs: number;
  /** Gateway attempts for one payment, across runs, before a person has to look. */
  readonly maxCancelAttempts: number;
  /** How long run records live (DynamoDB TTL); cancel records are kept as the audit trail. */
  readonly runRecordTtlDays: number;
  /** Written into every cancel request, for the gateway's and the customer's records. */
  readonly cancelReason: string;
  /**
   * `false` for a backfill's slice: it runs beside its siblings and the scheduled runs without
   * the run lock, because the per-payment claims, not the lock, are what keep a cancel to
   * one. Default `true`.
   */
  readonly holdsRunLock?: boolean;
  /** Set for a backfill's slice: its run record is also kept under the backfill, by pass. */
  readonly backfillSlice?: BackfillSliceTag;
}

/** Which backfill a slice run belongs to, and which of its passes. */
export interface BackfillSliceTag {
  readonly backfillId: string;
  readonly pass: "judge" | "apply";
}

export const defaultSyncConfig: SyncConfig = {
  pageSize: 100,
  concurrency: 8,
  orderChunkSize: 500,
  graceSeconds: 1800,
  lookbackSeconds: 7200,
  maxCancelsPerRun: 100,
  maxOrphanRatio: 0.2,
  dryRun: false,
  claimLeaseMs: 5 * 60_000,
  runLockLeaseMs: 16 * 60_000,
  maxCancelAttempts: 5,
  runRecordTtlDays: 90,
  cancelReason: "paysync: payment has no paid order in the store",
};

/** Scanned payments below which the orphan-ratio guard is not judged (contracts §4). */
export const ORPHAN_RATIO_MIN_SCANNED = 20;
