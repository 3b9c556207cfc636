import { ORPHAN_RATIO_MIN_SCANNED } from "./config.ts";

export interface GuardLimits {
  readonly maxCancelsPerRun: number;
  readonly maxOrphanRatio: number;
}

/**
 * The blast-radius guard. An empty or broken store makes every payment look like an orphan;
 * this is what stops that from turning into mass refunds. Returns why the run must halt.
 */
export function guardTrip(
  orphans: number,
  scanned: number,
  limits: GuardLimits,
): string | undefined {
  if (orphans > limits.maxCancelsPerRun) {
    return `${orphans} orphans exceed MAX_CANCELS_PER_RUN (${limits.maxCancelsPerRun})`;
  }
  if (scanned >= ORPHAN_RATIO_MIN_SCANNED && orphans / scanned > limits.maxOrphanRatio) {
    return `${orphans} of ${scanned} payments are orphans, more than MAX_ORPHAN_RATIO (${limits.maxOrphanRatio})`;
  }
  return undefined;
}
