import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { FindingKind, RunReport } from "../core/model.ts";
import { type Events, noEvents } from "../ports/events.ts";
import type { LogFields, Logger } from "../ports/logger.ts";
import { BACKFILL_METRICS, METRICS_NAMESPACE, RUN_METRICS, SERVICE_NAME } from "./metric-names.ts";

const LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

/** The contract's `LOG_LEVEL`, so the CLI and the Lambda are tuned the same way. */
function logLevelFromEnv(): LogLevel | undefined {
  const wanted = process.env.LOG_LEVEL?.trim().toUpperCase();
  return LOG_LEVELS.find((level) => level === wanted);
}

const level = logLevelFromEnv();

/** One Logger and one Metrics per container, as Powertools expects: they carry state. */
export const logger = new PowertoolsLogger({
  serviceName: SERVICE_NAME,
  ...(level === undefined ? {} : { logLevel: level }),
});

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

/** The core's logger port, written as Powertools JSON lines. */
export function coreLogger(target: PowertoolsLogger = logger): Logger {
  const extra = (fields: LogFields | undefined) => (fields === undefined ? [] : [{ ...fields }]);
  return {
    debug: (message, fields) => target.debug(message, ...extra(fields)),
    info: (message, fields) => target.info(message, ...extra(fields)),
    warn: (message, fields) => target.warn(message, ...extra(fields)),
    error: (message, fields) => target.error(message, ...extra(fields)),
  };
}

const flag = (on: boolean): number => (on ? 1 : 0);

/** Findings raised for the first time in a run, by kind. */
export type RaisedFindings = Readonly<Partial<Record<FindingKind, number>>>;

/**
 * The run's events port, counting the findings the core raises as it hands them over, so
 * the finding metrics count each finding once per payment and kind, the first time it is
 * seen, whatever the bus does with it.
 */
export function countingRaisedFindings(inner: Events = noEvents): {
  events: Events;
  raised: () => RaisedFindings;
} {
  const counts: Partial<Record<FindingKind, number>> = {};
  return {
    events: {
      publish: (batch) => {
        for (const event of batch) {
          if (event.detailType === "Finding Raised") {
            counts[event.detail.kind] = (counts[event.detail.kind] ?? 0) + 1;
          }
        }
        return inner.publish(batch);
      },
    },
    raised: () => ({ ...counts }),
  };
}

/**
 * One EMF record per run. Every status flag is written on every run, as 0 or 1, so a sum over
 * a period counts runs and an alarm on "no success" sees zeros rather than gaps.
 */
export function publishRunMetrics(
  report: RunReport,
  raised: RaisedFindings,
  target: Metrics = metrics,
): void {
  const { counts, status } = report;
  const count = (name: string, value: number) => target.addMetric(name, MetricUnit.Count, value);
  count(RUN_METRICS.scanned, counts.scanned);
  count(RUN_METRICS.orphans, counts.orphans);
  count(RUN_METRICS.cancelled, counts.cancelled);
  // New findings only: a finding every run of its window sees again is not news.
  count(RUN_METRICS.cancelFailed, raised.CANCEL_FAILED ?? 0);
  count(RUN_METRICS.mismatches, raised.AMOUNT_MISMATCH ?? 0);
  count(RUN_METRICS.duplicates, raised.DUPLICATE_PAYMENT ?? 0);
  count(RUN_METRICS.halted, flag(status === "HALTED"));
  count(RUN_METRICS.partial, flag(status === "PARTIAL"));
  count(RUN_METRICS.failed, flag(status === "FAILED"));
  count(RUN_METRICS.succeeded, flag(status === "SUCCEEDED"));
  count(RUN_METRICS.skippedLocked, flag(status === "SKIPPED_LOCKED"));
  target.addMetric(RUN_METRICS.durationMs, MetricUnit.Milliseconds, report.durationMs);
  // Searchable next to the numbers, without turning the run id into a dimension.
  target.addMetadata("runId", report.runId);
  target.publishStoredMetrics();
}

/** A run that ended without a report (setup failed: secrets, connections; or it crashed). */
export function publishRunFailure(target: Metrics = metrics): void {
  target.addMetric(RUN_METRICS.failed, MetricUnit.Count, 1);
  target.addMetric(RUN_METRICS.succeeded, MetricUnit.Count, 0);
  target.publishStoredMetrics();
}

/** A backfill's outcome, 0 or 1 each, so its alarm sees zeros rather than gaps. */
export function publishBackfillMetrics(report: RunReport, target: Metrics = metrics): void {
  target.addMetric(BACKFILL_METRICS.halted, MetricUnit.Count, flag(report.status === "HALTED"));
  target.addMetric(BACKFILL_METRICS.failed, MetricUnit.Count, flag(report.status === "FAILED"));
  target.addMetadata("runId", report.runId);
  target.publishStoredMetrics();
}
