import { createLoggedEvents } from "../lambda/adapters/logged-events.ts";
import { ConfigError, type EnvConfig, readEnvConfig } from "../lambda/config/env-config.ts";
import type { SyncConfig } from "../lambda/core/config.ts";
import { emptyCounts, type RunReport } from "../lambda/core/model.ts";
import { buildReport, exitCodeFor } from "../lambda/core/report.ts";
import { runSync } from "../lambda/core/run-sync.ts";
import { explicitWindowProblem, scheduledWindow } from "../lambda/core/window.ts";
import { ulid } from "../lambda/util/ulid.ts";
import { backfillMain } from "./backfill-cli.ts";
import { parseCliArgs, type SyncArgs, USAGE, UsageError } from "./cli-args.ts";
import { createConsoleLogger } from "./console-logger.ts";
import { ledgerMain } from "./ledger-cli.ts";
import { openRunEnvironment, type RunEnvironment } from "./run-environment.ts";
import { runEvery } from "./scheduler.ts";
import { formatSummary } from "./summary.ts";

/** Signals this soon after the first are the same Ctrl-C (contracts §5). */
const SAME_STOP_REQUEST_MS = 2_000;

export const EXIT_USAGE = 64;

interface Invocation {
  readonly args: SyncArgs;
  readonly env: EnvConfig;
}

/** Everything the user typed or set, checked before a single connection is opened. */
function readInvocation(argv: readonly string[], environment: NodeJS.ProcessEnv): Invocation {
  const args = parseCliArgs(argv);
  const env = readEnvConfig(environment);
  if (args.window) {
    const problem = explicitWindowProblem(args.window, Date.now(), env.sync.graceSeconds);
    if (problem) throw new UsageError(`--from/--to: ${problem}`);
  }
  return { args, env };
}

/** One run's config: the environment's, this invocation's overrides, and a fresh deadline. */
function runConfig(base: SyncConfig, { args, env }: Invocation): SyncConfig {
  return {
    ...base,
    dryRun: base.dryRun || args.dryRun,
    ...(args.window ? { window: args.window } : {}),
    ...(args.maxCancels === undefined ? {} : { maxCancelsPerRun: args.maxCancels }),
    ...(env.runDeadlineSeconds === undefined
      ? {}
      : { deadlineAt: Date.now() + env.runDeadlineSeconds * 1000 }),
  };
}

/** A report for a run that could not even start, so `--json` always yields one. */
function unstartedReport(invocation: Invocation, error: unknown): RunReport {
  const now = Date.now();
  const { sync } = invocation.env;
  return buildReport({
    runId: ulid(now),
    status: "FAILED",
    dryRun: sync.dryRun || invocation.args.dryRun,
    window: invocation.args.window ?? scheduledWindow(now, sync.lookbackSeconds, sync.graceSeconds),
    startedAt: now,
    finishedAt: now,
    counts: emptyCounts(),
    cancelled: [],
    findings: [],
    errors: [
      {
        stage: "config",
        message: `could not reach the services: ${error instanceof Error ? error.message : String(error)}`,
      },
    ],
  });
}

function print(report: RunReport, json: boolean): void {
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatSummary(report)}\n`);
}

export async function main(
  argv: readonly string[],
  environment: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv[0] === "ledger") return ledgerMain(argv.slice(1), environment);
  if (argv[0] === "backfill") return backfillMain(argv.slice(1), environment);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let invocation: Invocation;
  try {
    invocation = readInvocation(argv, environment);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(
        `paysync: ${error.message}\n${error instanceof UsageError ? `${USAGE}\n` : ""}`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }
  const logger = createConsoleLogger();
  const stop = new AbortController();
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      logger.info("stopping after the run in flight", { signal });
      stop.abort();
      return;
    }
    // One Ctrl-C reaches us twice: from the terminal (the whole process group) and again
    // from npm forwarding it to its child (contracts §5). That is one request to stop.
    if (now - firstSignalAt <= SAME_STOP_REQUEST_MS) {
      logger.debug("the same request to stop, delivered again", { signal });
      return;
    }
    logger.warn(
      "second signal: exiting now; the ledger lets the next run finish any claim in flight",
      { signal },
    );
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let environmentHandle: RunEnvironment;
  try {
    environmentHandle = await openRunEnvironment(invocation.env);
  } catch (error) {
    logger.error("could not start", {
      error: error instanceof Error ? error.message : String(error),
    });
    if (invocation.args.once) print(unstartedReport(invocation, error), invocation.args.json);
    return 1;
  }
  const { ports, sync, origins } = environmentHandle;
  const events = ports.events ?? createLoggedEvents((line, fields) => logger.debug(line, fields));
  const runOnce = () => runSync(runConfig(sync, invocation), { ...ports, events, logger });

  try {
    if (invocation.args.once) {
      const report = await runOnce();
      print(report, invocation.args.json);
      return exitCodeFor(report.status);
    }
    process.stdout.write(
      `paysync: one run every ${invocation.env.syncIntervalSeconds}s, window [now - ${sync.lookbackSeconds}s, now - ${sync.graceSeconds}s)` +
        `${sync.dryRun ? ", DRY RUN" : ""}\n  gateway  ${origins.gateway}\n  store    ${origins.store}\n  ledger   ${origins.ledger}\n` +
        "  Ctrl-C stops after the run in flight.\n\n",
    );
    await runEvery(invocation.env.syncIntervalSeconds * 1000, stop.signal, async () => {
      try {
        print(await runOnce(), false);
      } catch (error) {
        logger.error("run crashed", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    });
    process.stdout.write("paysync: stopped.\n");
    return 0;
  } finally {
    await environmentHandle.close();
  }
}
