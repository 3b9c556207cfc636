import { ORPHAN_RATIO_MIN_SCANNED } from "./config.ts";

export interface GuardLimits {
  readonly maxCancelsPerRun: number;
  readonly maxOrphanRatio: number;
}

export interface GuardInput {
  readonly orphans: number;
  readonly scanned: number;
  /** Paid payments outside the grace period, i.e. the ones the store was asked about. */
  readonly judged: number;
}

/**
 * Below the ratio rule's 20 scanned, a window in which the store knows none of at least this
 * many paid payments still halts: that is what an empty table or a wrong database looks like.
 */
export const ALL_ORPHANS_MIN_JUDGED = 5;

/**
 * The blast-radius guard. An empty or broken store makes every payment look like an orphan;
 * this is what stops that from turning into mass refunds. Returns why the run must halt.
 */
export function guardTrip(
  { orphans, scanned, judged }: GuardInput,
  limits: GuardLimits,
): string | undefined {
  if (orphans > limits.maxCancelsPerRun) {
    return `${orphans} orphans exceed MAX_CANCELS_PER_RUN (${limits.maxCancelsPerRun})`;
  }
  if (scanned >= ORPHAN_RATIO_MIN_SCANNED && orphans / scanned > limits.maxOrphanRatio) {
    return `${orphans} of ${scanned} payments are orphans, more than MAX_ORPHAN_RATIO (${limits.maxOrphanRatio})`;
  }
  // MAX_ORPHAN_RATIO=1 says "any share is fine", so it also lifts this small-window rule.
  if (judged >= ALL_ORPHANS_MIN_JUDGED && orphans === judged && limits.maxOrphanRatio < 1) {
    return `the store has no paid order for any of the ${judged} paid payments; it looks empty or broken`;
  }
  return undefined;
}
