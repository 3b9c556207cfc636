import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { RunReport } from "../core/model.ts";
import type { LogFields, Logger } from "../ports/logger.ts";
import { METRICS_NAMESPACE, RUN_METRICS, SERVICE_NAME } from "./metric-names.ts";

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

/**
 * One EMF record per run. Every status flag is written on every run, as 0 or 1, so a sum over
 * a period counts runs and an alarm on "no success" sees zeros rather than gaps.
 */
export function publishRunMetrics(report: RunReport, target: Metrics = metrics): void {
  const { counts, status } = report;
  const count = (name: string, value: number) => target.addMetric(name, MetricUnit.Count, value);
  count(RUN_METRICS.scanned, counts.scanned);
  count(RUN_METRICS.orphans, counts.orphans);
  count(RUN_METRICS.cancelled, counts.cancelled);
  count(RUN_METRICS.cancelFailed, counts.cancelFailed);
  count(RUN_METRICS.mismatches, counts.mismatches);
  count(RUN_METRICS.duplicates, counts.duplicates);
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
