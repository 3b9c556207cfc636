import type { Context } from "aws-lambda";
import { runDeadline } from "./aws/deadline.ts";
import { coreLogger, logger, publishRunMetrics, publishRunFailure } from "./aws/observability.ts";
import { discardContainerPorts, portsForContainer } from "./aws/ports.ts";
import { type EnvConfig, readEnvConfig } from "./config/env-config.ts";
import type { SyncConfig } from "./core/config.ts";
import type { RunReport } from "./core/model.ts";
import { runSync } from "./core/run-sync.ts";
import { parseEvent } from "./events/parse-event.ts";
import { ulid } from "./util/ulid.ts";

/** Errors quoted in a failed run's message; the full list is in the report and the ledger. */
const QUOTED_ERRORS = 5;

/** A `FAILED` run, thrown so that Lambda records an error and its retry, DLQ and alarm apply. */
export class RunFailedError extends Error {
  override readonly name = "RunFailedError";
  constructor(readonly report: RunReport) {
    const quoted = report.errors.slice(0, QUOTED_ERRORS).map((e) => `${e.stage}: ${e.message}`);
    const more = report.errors.length - quoted.length;
    super(
      `paysync run ${report.runId} FAILED: ${quoted.join("; ") || "no error recorded"}${more > 0 ? `; and ${more} more` : ""}`,
    );
  }
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** The environment's config and the event's plan, or an error naming the problem: no request yet. */
function readInvocation(event: unknown, context: Context, now: number): SyncConfig & { env: EnvConfig } {
  const env = readEnvConfig(process.env);
  const { source, ...overrides } = parseEvent(event, env.sync, now);
  logger.info("invocation accepted", {
    source,
    ...(overrides.maxCancelsPerRun === undefined ? {} : { maxCancels: overrides.maxCancelsPerRun }),
  });
  return {
    ...env.sync,
    ...overrides,
    deadlineAt: runDeadline(now, context.getRemainingTimeInMillis(), env.runDeadlineSeconds),
    env,
  };
}

/**
 * Scheduled or manual event (contracts §6) → config → `runSync` → the run report (§7).
 * `HALTED`, `PARTIAL` and `SKIPPED_LOCKED` return normally and their metrics alarm; only
 * `FAILED` throws.
 */
export async function handler(event: unknown, context: Context): Promise<RunReport> {
  const now = Date.now();
  logger.addContext(context);
  let invocation: ReturnType<typeof readInvocation>;
  try {
    invocation = readInvocation(event, context, now);
  } catch (error) {
    logger.error("invocation refused: nothing was sent", { error: message(error) });
    throw error;
  }
  const { env, ...config } = invocation;

  let ports: Awaited<ReturnType<typeof portsForContainer>>;
  try {
    ports = await portsForContainer(process.env, env);
  } catch (error) {
    logger.error("could not set up the run", { error: message(error) });
    publishRunFailure();
    throw error;
  }

  const runId = ulid(now);
  logger.appendKeys({ runId });
  try {
    let report: RunReport;
    try {
      report = await runSync(config, { ...ports, logger: coreLogger(), newRunId: () => runId });
    } catch (error) {
      logger.error("run crashed", { error: message(error) });
      publishRunFailure();
      await discardContainerPorts();
      throw error;
    }
    publishRunMetrics(report);
    if (report.status !== "FAILED") return report;
    logger.error("run failed", { report });
    await discardContainerPorts();
    throw new RunFailedError(report);
  } finally {
    logger.removeKeys(["runId"]);
  }
}
