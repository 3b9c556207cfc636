import type { Finding, RunCounts, RunError, RunReport, RunStatus, TimeWindow } from "./model.ts";
import { windowToJson } from "./window.ts";

/** Contracts §7: longer lists are cut, and the report says so. */
export const REPORT_LIST_LIMIT = 1000;

export interface ReportParts {
  readonly runId: string;
  readonly status: RunStatus;
  readonly dryRun: boolean;
  readonly window: TimeWindow;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly counts: RunCounts;
  readonly cancelled: readonly string[];
  readonly findings: readonly Finding[];
  readonly errors: readonly RunError[];
}

export function buildReport(parts: ReportParts): RunReport {
  const truncated =
    parts.cancelled.length > REPORT_LIST_LIMIT ||
    parts.findings.length > REPORT_LIST_LIMIT ||
    parts.errors.length > REPORT_LIST_LIMIT;
  return {
    runId: parts.runId,
    status: parts.status,
    dryRun: parts.dryRun,
    window: windowToJson(parts.window),
    startedAt: new Date(parts.startedAt).toISOString(),
    finishedAt: new Date(parts.finishedAt).toISOString(),
    durationMs: parts.finishedAt - parts.startedAt,
    counts: { ...parts.counts },
    cancelled: parts.cancelled.slice(0, REPORT_LIST_LIMIT),
    findings: parts.findings.slice(0, REPORT_LIST_LIMIT),
    errors: parts.errors.slice(0, REPORT_LIST_LIMIT),
    ...(truncated ? { truncated: true as const } : {}),
  };
}

/** Exit codes of contracts §5. */
export function exitCodeFor(status: RunStatus): number {
  switch (status) {
    case "SUCCEEDED":
    case "SKIPPED_LOCKED":
      return 0;
    case "FAILED":
      return 1;
    case "HALTED":
      return 2;
    case "PARTIAL":
      return 3;
  }
}
