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
 * `FAILED` if a slice failed after its retries, or the slices were never applied because one
 * could not be judged; else `PARTIAL` if one ended `PARTIAL`; else `SUCCEEDED`. An apply
 * slice that halts on its own (more orphans than its judge pass counted) needs a person: it
 * counts as failed, since its siblings may have cancelled.
 */
export function backfillStatus(
  halted: boolean,
  statuses: readonly RunStatus[],
  notApplied = false,
): RunStatus {
  if (halted) return "HALTED";
  if (notApplied || statuses.includes("FAILED") || statuses.includes("HALTED")) return "FAILED";
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
  /** True when a slice could not be judged, so none was applied. */
  readonly notApplied?: boolean;
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
      parts.notApplied,
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

/**
 * Step Functions holds at most 256 KiB in a state, and the report is the execution's output.
 * Past this size the longest list is halved until the report fits; it is then `truncated`,
 * and the whole lists stay in the slices' run records in the ledger.
 */
export const MAX_OUTPUT_BYTES = 200 * 1024;

export function fitReport(report: BackfillReport, maxBytes = MAX_OUTPUT_BYTES): BackfillReport {
  let fitted = report;
  while (Buffer.byteLength(JSON.stringify(fitted), "utf8") > maxBytes) {
    const lists = {
      cancelled: fitted.cancelled.length,
      findings: fitted.findings.length,
      errors: fitted.errors.length,
      slices: fitted.slices.length,
    };
    const longest = (Object.keys(lists) as (keyof typeof lists)[]).reduce((a, b) =>
      lists[a] >= lists[b] ? a : b,
    );
    if (lists[longest] === 0) break;
    fitted = {
      ...fitted,
      [longest]: fitted[longest].slice(0, Math.floor(lists[longest] / 2)),
      truncated: true,
    };
  }
  return fitted;
}
