/**
 * The names the handler publishes under and the stack alarms on. One list, imported by both,
 * so a renamed metric cannot leave an alarm watching nothing.
 */
export const METRICS_NAMESPACE = "paysync";
/** Powertools adds it as the `service` dimension of every metric; alarms must match it. */
export const SERVICE_NAME = "paysync";

export const RUN_METRICS = {
  scanned: "Scanned",
  orphans: "Orphans",
  cancelled: "Cancelled",
  cancelFailed: "CancelFailed",
  mismatches: "Mismatches",
  duplicates: "Duplicates",
  halted: "Halted",
  partial: "Partial",
  failed: "Failed",
  succeeded: "Succeeded",
  skippedLocked: "SkippedLocked",
  durationMs: "DurationMs",
} as const;

export type RunMetricName = (typeof RUN_METRICS)[keyof typeof RUN_METRICS];

/** One record per backfill, from its Report state; the backfill alarm watches these two. */
export const BACKFILL_METRICS = {
  halted: "BackfillHalted",
  failed: "BackfillFailed",
} as const;
