import type { Context } from "aws-lambda";
import { runDeadline } from "./aws/deadline.ts";
import {
  coreLogger,
  countingRaisedFindings,
  logger,
  publishRunFailure,
  publishRunMetrics,
} from "./aws/observability.ts";
import { discardContainerPorts, portsForContainer } from "./aws/ports.ts";
import { RunFailedError } from "./aws/run-failed-error.ts";
import { type EnvConfig, readEnvConfig } from "./config/env-config.ts";
import type { SyncConfig } from "./core/config.ts";
import type { RunReport } from "./core/model.ts";
import { runSync } from "./core/run-sync.ts";
import { windowToJson } from "./core/window.ts";
import { parseEvent } from "./events/parse-event.ts";
import { ulid } from "./util/ulid.ts";

/** The environment's config and the event's plan. Throws, naming the problem, before any request. */
function readInvocation(event: unknown, context: Context, now: number) {
  const env: EnvConfig = readEnvConfig(process.env);
  const { source, ...overrides } = parseEvent(event, env.sync, now);
  logger.info("invocation accepted", {
    source,
    ...overrides,
    ...(overrides.window === undefined ? {} : { window: windowToJson(overrides.window) }),
  });
  const config: SyncConfig = {
    ...env.sync,
    ...overrides,
    deadlineAt: runDeadline(now, context.getRemainingTimeInMillis(), env.runDeadlineSeconds),
  };
  return { env, config };
}

/**
 * Logs why the invocation stopped and rethrows. Past the event check it counts as a failed run,
 * and the container's connections are dropped so the next invocation starts clean.
 */
const stop =
  (why: string, { failedRun }: { failedRun: boolean }) =>
  async (error: unknown): Promise<never> => {
    logger.error(why, { error: error instanceof Error ? error.message : String(error) });
    if (failedRun) {
      publishRunFailure();
      await discardContainerPorts();
    }
    throw error;
  };

/**
 * Scheduled or manual event (contracts §6) → config → `runSync` → the run report (§7).
 * `HALTED`, `PARTIAL` and `SKIPPED_LOCKED` return normally (their metrics alarm); only a
 * `FAILED` run throws.
 */
export async function handler(event: unknown, context: Context): Promise<RunReport> {
  const now = Date.now();
  logger.addContext(context);
  const { env, config } = await Promise.resolve()
    .then(() => readInvocation(event, context, now))
    .catch(stop("invocation refused: nothing was sent", { failedRun: false }));
  const ports = await portsForContainer(process.env, env).catch(
    stop("could not set up the run", { failedRun: true }),
  );

  const runId = ulid(now);
  logger.appendKeys({ runId });
  const findings = countingRaisedFindings(ports.events);
  try {
    const report = await runSync(config, {
      ...ports,
      events: findings.events,
      logger: coreLogger(),
      newRunId: () => runId,
    }).catch(stop("run crashed", { failedRun: true }));
    publishRunMetrics(report, findings.raised());
    if (report.status !== "FAILED") return report;
    logger.error("run failed", { report });
    await discardContainerPorts();
    throw new RunFailedError(report);
  } finally {
    logger.removeKeys(["runId"]);
  }
}
