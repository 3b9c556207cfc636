import type { BackfillSliceTag } from "../core/config.ts";
import type { Finding, RunReport } from "../core/model.ts";

export interface ClaimRequest {
  readonly pgUid: string;
  readonly storeOrderId: string;
  readonly amount: number;
  readonly currency: string;
  readonly idempotencyKey: string;
  readonly runId: string;
  readonly now: number;
  readonly leaseMs: number;
  /** Attempts allowed before the record is failed for a person to look at. */
  readonly maxAttempts: number;
}

/**
 * The answer to "may this run cancel this payment now?".
 * Only `claimed` allows a gateway call, and then only with the key it carries: a
 * takeover reuses the key of the first claim, so the gateway can never refund twice.
 */
export type ClaimResult =
  | { readonly kind: "claimed"; readonly idempotencyKey: string; readonly attempt: number }
  | { readonly kind: "done"; readonly state: "CANCELLED" | "ALREADY_CANCELLED" | "REQUESTED" }
  | { readonly kind: "failed"; readonly reason: string }
  | { readonly kind: "busy"; readonly owner: string; readonly leaseUntil: number };

export type FinalCancelState = "CANCELLED" | "ALREADY_CANCELLED" | "FAILED";

/**
 * Where a claim can end up: final, or `REQUESTED`, a cancellation the gateway accepted and has
 * not finished (PortOne). A `REQUESTED` record stays open until a later run's lookup closes it.
 */
export type ClaimOutcomeState = FinalCancelState | "REQUESTED";

export type CancelState = "CLAIMED" | ClaimOutcomeState;

/** The stored record of one payment's cancel, as the claim rules read it. */
export interface CancelRecord {
  readonly state: CancelState;
  readonly owner: string;
  readonly leaseUntil: number;
  readonly attempts: number;
  readonly idempotencyKey: string;
  readonly lastError?: string;
}

/** A claim still `CLAIMED` (whoever holds it) or `REQUESTED` (waiting for the gateway). */
export interface OpenClaim {
  readonly pgUid: string;
  readonly state: "CLAIMED" | "REQUESTED";
  /** From the claim, for a finding about a payment outside the run's window. */
  readonly storeOrderId?: string;
  readonly amount?: number;
  readonly owner: string;
  readonly leaseUntil: number;
  readonly attempts: number;
}

export type LockResult =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly owner: string; readonly leaseUntil: number };

/** Where paysync remembers what it did: per-payment cancel records, the run lock and run records. */
export interface Ledger {
  claimCancel(request: ClaimRequest): Promise<ClaimResult>;
  /** The outcome; a no-op (not an error) if another run has taken the claim over meanwhile. */
  completeCancel(
    pgUid: string,
    runId: string,
    state: ClaimOutcomeState,
    now: number,
    detail?: string,
  ): Promise<void>;
  /** Transient failure: the attempt is counted and the lease ends now, so a later run resumes. */
  releaseCancel(pgUid: string, runId: string, now: number, error: string): Promise<void>;
  /**
   * Every open claim. A claim whose payment stopped being an orphan (the cancel took effect
   * but its answer was lost, or the order got paid meanwhile) is never claimed again, so
   * runs look for such claims here and close them on the gateway's listing.
   */
  openClaims(): Promise<OpenClaim[]>;
  /**
   * Closes a claim whose lease has run out, or a `REQUESTED` one; `false` if it is no longer
   * open (another run closed it, or a live owner holds it).
   */
  closeExpiredClaim(
    pgUid: string,
    runId: string,
    now: number,
    state: FinalCancelState,
    detail: string,
  ): Promise<boolean>;
  /**
   * Keeps a finding for a person. `raised` is true only the first time this payment and kind
   * are recorded, and never once a person resolved it: later runs see it, and stay quiet.
   */
  recordFinding(finding: Finding, runId: string, now: number): Promise<{ raised: boolean }>;
  acquireRunLock(runId: string, now: number, leaseMs: number): Promise<LockResult>;
  releaseRunLock(runId: string): Promise<void>;
  /** The run's record by day; a backfill's slice is also kept under its backfill and pass. */
  recordRun(report: RunReport, expiresAtSeconds: number, slice?: BackfillSliceTag): Promise<void>;
  /** A backfill's slice reports for one pass, in time order: the last report of each slice. */
  backfillSlices(backfillId: string, pass: BackfillSliceTag["pass"]): Promise<RunReport[]>;
}
