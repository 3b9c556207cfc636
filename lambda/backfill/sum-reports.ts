import {
  emptyCounts,
  type Finding,
  type RunCounts,
  type RunError,
  type RunReport,
  type RunStatus,
} from "../core/model.ts";
import { REPORT_LIST_LIMIT } from "../core/report.ts";

/** One slice as the backfill report lists it (contracts §7). */
export interface SliceSummary {
  readonly from: string;
  readonly to: string;
  readonly status: RunStatus;
  readonly counts: RunCounts;
}

export type BackfillReport = RunReport & { slices: SliceSummary[] };

const COUNT_NAMES = Object.keys(emptyCounts()) as (keyof RunCounts)[];

/** Every count of every slice, added up. */
export function sumCounts(all: readonly RunCounts[]): RunCounts {
  const sum = emptyCounts();
  for (const counts of all) for (const name of COUNT_NAMES) sum[name] += counts[name];
  return sum;
}

/**
 * Contracts §7: `HALTED` when the guard tripped on the sums (nothing was cancelled); else
 * `FAILED` if a slice failed after its retries; else `PARTIAL` if one ended `PARTIAL`; else
 * `SUCCEEDED`. A slice that found the lock held waited for nothing: it is no failure.
 */
export function backfillStatus(halted: boolean, statuses: readonly RunStatus[]): RunStatus {
  if (halted) return "HALTED";
  if (statuses.includes("FAILED")) return "FAILED";
  if (statuses.includes("PARTIAL")) return "PARTIAL";
  return "SUCCEEDED";
}

export interface BackfillParts {
  readonly runId: string;
  readonly dryRun: boolean;
  readonly window: { readonly from: string; readonly to: string };
  readonly startedAt: number;
  readonly finishedAt: number;
  /** True when the guard on the sums tripped and no slice was applied. */
  readonly halted: boolean;
  /** The slices' own reports, in time order. */
  readonly slices: readonly RunReport[];
  /** Errors of the backfill itself (the guard's, a slice that never reported). */
  readonly errors?: readonly RunError[];
}

/**
 * The slices' reports summed and merged into one backfill report: counts added, lists
 * concatenated in time order and cut at 1,000 with `truncated`, each slice's errors named by
 * its window.
 */
export function sumReports(parts: BackfillParts): BackfillReport {
  const cancelled = parts.slices.flatMap((slice) => slice.cancelled);
  const findings: Finding[] = parts.slices.flatMap((slice) => slice.findings);
  const errors: RunError[] = [
    ...(parts.errors ?? []),
    ...parts.slices.flatMap((slice) =>
      slice.errors.map((error) => ({
        ...error,
        message: `slice [${slice.window.from}, ${slice.window.to}): ${error.message}`,
      })),
    ),
  ];
  const slices = parts.slices.map((slice) => ({
    from: slice.window.from,
    to: slice.window.to,
    status: slice.status,
    counts: { ...slice.counts },
  }));
  const truncated =
    [cancelled, findings, errors, slices].some((list) => list.length > REPORT_LIST_LIMIT) ||
    parts.slices.some((slice) => slice.truncated === true);
  return {
    runId: parts.runId,
    status: backfillStatus(
      parts.halted,
      parts.slices.map((slice) => slice.status),
    ),
    dryRun: parts.dryRun,
    window: { ...parts.window },
    startedAt: new Date(parts.startedAt).toISOString(),
    finishedAt: new Date(parts.finishedAt).toISOString(),
    durationMs: parts.finishedAt - parts.startedAt,
    counts: sumCounts(parts.slices.map((slice) => slice.counts)),
    cancelled: cancelled.slice(0, REPORT_LIST_LIMIT),
    findings: findings.slice(0, REPORT_LIST_LIMIT),
    errors: errors.slice(0, REPORT_LIST_LIMIT),
    slices: slices.slice(0, REPORT_LIST_LIMIT),
    ...(truncated ? { truncated: true as const } : {}),
  };
}
