import type { Context } from "aws-lambda";
import { runDeadline } from "../aws/deadline.ts";
import {
  coreLogger,
  countingRaisedFindings,
  logger,
  publishRunMetrics,
} from "../aws/observability.ts";
import { discardContainerPorts, portsForContainer } from "../aws/ports.ts";
import { readEnvConfig } from "../config/env-config.ts";
import type { RunReport } from "../core/model.ts";
import { readSliceTask, runSlice, type SliceOutcome, SliceRunFailed } from "./backfill-steps.ts";

/**
 * One slice of a backfill's judge or apply map, as a run of its own. A `FAILED` run throws
 * `SliceRunFailed`, and the state machine retries the slice.
 */
export async function handler(event: unknown, context: Context): Promise<SliceOutcome> {
  const now = Date.now();
  logger.addContext(context);
  const task = readSliceTask(event);
  const env = readEnvConfig(process.env);
  const ports = await portsForContainer(process.env, env);
  const findings = countingRaisedFindings(ports.events);
  const config = {
    ...env.sync,
    deadlineAt: runDeadline(now, context.getRemainingTimeInMillis(), env.runDeadlineSeconds),
  };
  // The judge pass is a dry run of the whole backfill; only the apply pass's runs act, and
  // their metrics (cancels, new findings, failures) feed the same alarms as any run's.
  const metricsFor = (report: RunReport) => {
    if (task.pass === "apply") publishRunMetrics(report, findings.raised());
  };
  try {
    const { outcome, report } = await runSlice(task, config, {
      ...ports,
      events: findings.events,
      logger: coreLogger(),
    });
    metricsFor(report);
    return outcome;
  } catch (error) {
    if (error instanceof SliceRunFailed) metricsFor(error.report);
    logger.error("slice failed", { error: error instanceof Error ? error.message : String(error) });
    await discardContainerPorts();
    throw error;
  }
}
