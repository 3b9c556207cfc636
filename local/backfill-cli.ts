import { parseArgs } from "node:util";
import { DEFAULT_BACKFILL_CONCURRENCY } from "../infra/stack-settings.ts";
import { createLoggedEvents } from "../lambda/adapters/logged-events.ts";
import { BackfillInputError, parseBackfillInput } from "../lambda/backfill/plan-slices.ts";
import type { BackfillReport } from "../lambda/backfill/sum-reports.ts";
import { ConfigError, readEnvConfig } from "../lambda/config/env-config.ts";
import { exitCodeFor } from "../lambda/core/report.ts";
import { UsageError } from "./cli-args.ts";
import { createConsoleLogger } from "./console-logger.ts";
import { openRunEnvironment } from "./run-environment.ts";
import { formatSummary } from "./summary.ts";

export const BACKFILL_USAGE = `usage:
  paysync backfill --from ISO --to ISO [--slice-minutes N] [--dry-run] [--max-cancels N] [--json]

  Reconciles a long window through the backfill state machine the stack deploys, run here
  on aws-local-stepfunctions: the window is cut into slices, every slice is judged without
  cancelling, the blast-radius guard is applied to the sums, then every slice is reconciled.

  --from, --to      the window [from, to), ISO-8601 with an offset; at most 366 days, and
                    to no later than now minus GRACE_SECONDS
  --slice-minutes   slice length (default 360; lengthened to keep at most 400 slices)
  --dry-run         judge and report, cancel nothing
  --max-cancels     the limit on the whole backfill's orphans (default MAX_CANCELS_PER_RUN)
  --json            print exactly one JSON backfill report on stdout; logs go to stderr

  exit: 0 succeeded, 1 failed, 2 halted (nothing cancelled), 3 partial, 64 bad arguments`;

const EXIT_USAGE = 64;

function readArgs(argv: readonly string[]) {
  let values: ReturnType<typeof parse>["values"];
  try {
    const parsed = parse(argv);
    if (parsed.positionals.length > 0) {
      throw new UsageError(`unexpected argument: ${parsed.positionals.join(" ")}`);
    }
    values = parsed.values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.from === undefined || values.to === undefined) {
    throw new UsageError("--from and --to are required");
  }
  const whole = (name: string, text: string | undefined) => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text))
      throw new UsageError(`--${name}: expected a whole number, got ${text}`);
    return Number(text);
  };
  const maxCancels = whole("max-cancels", values["max-cancels"]);
  const sliceMinutes = whole("slice-minutes", values["slice-minutes"]);
  // The state machine's input (contracts §6), as `aws stepfunctions start-execution` takes it.
  const input = {
    from: values.from,
    to: values.to,
    ...(values["dry-run"] ? { dryRun: true } : {}),
    ...(maxCancels === undefined ? {} : { maxCancels }),
    ...(sliceMinutes === undefined ? {} : { sliceMinutes }),
  };
  return { input, json: values.json ?? false };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      from: { type: "string" },
      to: { type: "string" },
      "slice-minutes": { type: "string" },
      "dry-run": { type: "boolean" },
      "max-cancels": { type: "string" },
      json: { type: "boolean" },
    },
  });
}

function formatBackfill(report: BackfillReport): string {
  const lines = [formatSummary(report).replace(/^run /, "backfill ")];
  lines.push(`  slices    ${report.slices.length}`);
  for (const slice of report.slices) {
    const c = slice.counts;
    lines.push(
      `    ${slice.from} → ${slice.to}  ${slice.status.padEnd(9)} scanned ${c.scanned}, orphans ${c.orphans}, cancelled ${c.cancelled}`,
    );
  }
  return lines.join("\n");
}

/** `paysync backfill …` (contracts §5): checks everything before a single connection. */
export async function backfillMain(
  argv: readonly string[],
  environment: NodeJS.ProcessEnv,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${BACKFILL_USAGE}\n`);
    return 0;
  }
  let args: ReturnType<typeof readArgs>;
  let env: ReturnType<typeof readEnvConfig>;
  try {
    args = readArgs(argv);
    env = readEnvConfig(environment);
    // The Plan state checks this too; here it costs no connection and no synth.
    parseBackfillInput(args.input, Date.now(), env.sync.graceSeconds);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof BackfillInputError
    ) {
      process.stderr.write(
        `paysync backfill: ${error.message}\n${error instanceof ConfigError ? "" : `${BACKFILL_USAGE}\n`}`,
      );
      return EXIT_USAGE;
    }
    throw error;
  }
  const logger = createConsoleLogger();
  const handle = await openRunEnvironment(env).catch((error: unknown) => {
    logger.error("could not start", {
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  });
  if (handle === undefined) return 1;
  try {
    // Loaded only here: the CDK library (for the definition) and the interpreter are heavy.
    const { runLocalBackfill } = await import("./backfill/run-backfill.ts");
    const events =
      handle.ports.events ?? createLoggedEvents((line, fields) => logger.debug(line, fields));
    const report = await runLocalBackfill(args.input, {
      sync: {
        ...handle.sync,
        ...(env.runDeadlineSeconds === undefined
          ? {}
          : { deadlineAt: Date.now() + env.runDeadlineSeconds * 1000 }),
      },
      ports: { ...handle.ports, events, logger },
      concurrency: DEFAULT_BACKFILL_CONCURRENCY,
    });
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${formatBackfill(report)}\n`);
    return exitCodeFor(report.status);
  } catch (error) {
    logger.error("backfill failed", {
      error: error instanceof Error ? error.message : String(error),
    });
    return 1;
  } finally {
    await handle.close();
  }
}
