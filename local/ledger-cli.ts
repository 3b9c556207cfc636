import { parseArgs } from "node:util";
import {
  createLedgerOperator,
  type FindingView,
  type LedgerOperator,
  type PaymentStory,
  RESOLVABLE_KINDS,
  type RunSummary,
  UnknownFinding,
} from "../lambda/adapters/ledger-operator.ts";
import { createDocumentClient } from "../lambda/adapters/ledger-table.ts";
import { ConfigError, readEnvConfig } from "../lambda/config/env-config.ts";
import { parseInstant } from "../lambda/core/window.ts";
import { UsageError } from "./cli-args.ts";

export const LEDGER_USAGE = `usage:
  paysync ledger payment <pgUid> [--json]
  paysync ledger findings [--kind K] [--since ISO] [--all] [--json]
  paysync ledger runs [--day YYYY-MM-DD] [--json]
  paysync ledger resolve <pgUid> --kind K --note TEXT [--by NAME] [--json]

  payment    one payment's story: its cancel record, its findings and every step, in order
  findings   what waits for a person, newest first (--all: resolved ones too)
  runs       a UTC day's runs, newest first (default today)
  resolve    mark a finding handled: it leaves \`findings\`, and later runs stay quiet about it

  Kinds: ${RESOLVABLE_KINDS.join(", ")}.
  The ledger is LEDGER_TABLE, at DYNAMODB_ENDPOINT or in AWS (the SDK's credentials and
  region); one of the two must be set: these commands never open an empty embedded table.
  Exit codes: 0 done, 1 failed (unknown payment or kind, or the ledger could not be read),
  64 bad arguments or configuration.`;

type Values = Record<string, string | boolean | undefined>;

interface Command {
  readonly name: "payment" | "findings" | "runs" | "resolve";
  readonly values: Values;
  readonly positionals: readonly string[];
}

type OptionSpec = Readonly<Record<string, { readonly type: "boolean" | "string" }>>;

const OPTIONS: Readonly<Record<"payment" | "findings" | "runs" | "resolve", OptionSpec>> = {
  payment: { json: { type: "boolean" } },
  findings: {
    json: { type: "boolean" },
    kind: { type: "string" },
    since: { type: "string" },
    all: { type: "boolean" },
  },
  runs: { json: { type: "boolean" }, day: { type: "string" } },
  resolve: {
    json: { type: "boolean" },
    kind: { type: "string" },
    note: { type: "string" },
    by: { type: "string" },
  },
};

const isCommand = (name: string | undefined): name is Command["name"] =>
  name !== undefined && name in OPTIONS;

function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  if (!isCommand(name)) {
    throw new UsageError(
      name === undefined ? "missing ledger command" : `unknown ledger command: ${name}`,
    );
  }
  let parsed: { values: Values; positionals: string[] };
  try {
    const result = parseArgs({
      args: rest,
      options: { ...OPTIONS[name] },
      allowPositionals: true,
      strict: true,
    });
    parsed = { values: result.values as Values, positionals: result.positionals };
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const wanted = name === "payment" || name === "resolve" ? 1 : 0;
  if (parsed.positionals.length !== wanted) {
    throw new UsageError(
      wanted === 1 ? `ledger ${name} takes one <pgUid>` : `ledger ${name} takes no arguments`,
    );
  }
  const kind = parsed.values.kind;
  if (typeof kind === "string" && !(RESOLVABLE_KINDS as readonly string[]).includes(kind)) {
    throw new UsageError(`--kind: expected one of ${RESOLVABLE_KINDS.join(", ")}, got ${kind}`);
  }
  if (name === "resolve") {
    if (kind === undefined) throw new UsageError("ledger resolve needs --kind");
    const note = parsed.values.note;
    if (typeof note !== "string" || note.trim() === "")
      throw new UsageError("ledger resolve needs --note TEXT: what was done, for the next person");
  }
  const since = parsed.values.since;
  if (typeof since === "string" && parseInstant(since) === undefined) {
    throw new UsageError(`--since: not an ISO-8601 timestamp with an offset: ${since}`);
  }
  const day = parsed.values.day;
  if (typeof day === "string" && !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new UsageError(`--day: expected YYYY-MM-DD, got ${day}`);
  }
  return { name, values: parsed.values, positionals: parsed.positionals };
}

/** The operator's table, never a fresh embedded one: an empty ledger would look all clear. */
function openOperator(environment: NodeJS.ProcessEnv): { operator: LedgerOperator; close(): void } {
  if (!environment.LEDGER_TABLE?.trim() && !environment.DYNAMODB_ENDPOINT?.trim()) {
    throw new ConfigError(
      "LEDGER_TABLE",
      "set LEDGER_TABLE (the stack's LedgerTableName output, with AWS credentials) or DYNAMODB_ENDPOINT: the ledger commands read an existing ledger",
    );
  }
  const env = readEnvConfig(environment);
  const { client, doc } = createDocumentClient(
    env.dynamodbEndpoint === undefined ? {} : { endpoint: env.dynamodbEndpoint },
  );
  return {
    operator: createLedgerOperator({ client: doc, tableName: env.ledgerTable }),
    close: () => client.destroy(),
  };
}

const pad = (rows: readonly (readonly string[])[]): string => {
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
};

function findingsTable(findings: readonly FindingView[]): string {
  if (findings.length === 0) return "no findings";
  return pad([
    ["RAISED", "KIND", "PG_UID", "ORDER", "RESOLVED", "REASON"],
    ...findings.map((f) => [
      f.raisedAt,
      f.kind,
      f.pgUid,
      f.storeOrderId,
      f.resolved === null ? "-" : `${f.resolved.at} by ${f.resolved.by}`,
      f.reason,
    ]),
  ]);
}

function storyText(story: PaymentStory): string {
  const head = `${story.pgUid}: ${story.state}${story.state === "NONE" ? " (paysync never claimed it)" : `, ${story.attempts} attempt(s), key ${story.idempotencyKey}`}`;
  const history =
    story.history.length === 0
      ? "no history"
      : pad([["AT", "RUN", "WHAT"], ...story.history.map((h) => [h.at, h.runId, h.what])]);
  return `${head}\n\n${history}\n\nfindings:\n${findingsTable(story.findings)}`;
}

function runsTable(runs: readonly RunSummary[]): string {
  if (runs.length === 0) return "no runs that day";
  return pad([
    ["STARTED", "STATUS", "WINDOW", "SCANNED", "CANCELLED", "FINDINGS", "RUN"],
    ...runs.map((r) => [
      r.startedAt,
      `${r.status}${r.dryRun ? " (dry)" : ""}`,
      `${r.window.from} → ${r.window.to}`,
      String(r.counts.scanned),
      String(r.counts.cancelled + r.counts.alreadyCancelled),
      String(r.counts.mismatches + r.counts.duplicates + r.counts.cancelFailed),
      r.runId,
    ]),
  ]);
}

/** `paysync ledger …`: the exit code. */
export async function ledgerMain(
  argv: readonly string[],
  environment: NodeJS.ProcessEnv,
  now: () => number = Date.now,
): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    const stream = argv.length === 0 ? process.stderr : process.stdout;
    stream.write(`${LEDGER_USAGE}\n`);
    return argv.length === 0 ? 64 : 0;
  }
  let command: Command;
  let opened: ReturnType<typeof openOperator>;
  try {
    command = parseCommand(argv);
    opened = openOperator(environment);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(
        `paysync: ${error.message}\n${error instanceof UsageError ? `${LEDGER_USAGE}\n` : ""}`,
      );
      return 64;
    }
    throw error;
  }
  const { values, positionals } = command;
  const json = values.json === true;
  const out = (value: unknown, human: string) =>
    process.stdout.write(`${json ? JSON.stringify(value) : human}\n`);
  try {
    const { operator } = opened;
    switch (command.name) {
      case "payment": {
        const story = await operator.payment(positionals[0] ?? "");
        out(story, storyText(story));
        return 0;
      }
      case "findings": {
        const since = typeof values.since === "string" ? parseInstant(values.since) : undefined;
        const findings = await operator.findings({
          ...(typeof values.kind === "string" ? { kind: values.kind } : {}),
          ...(since === undefined ? {} : { since }),
          all: values.all === true,
        });
        out(findings, findingsTable(findings));
        return 0;
      }
      case "runs": {
        const day =
          typeof values.day === "string" ? values.day : new Date(now()).toISOString().slice(0, 10);
        const runs = await operator.runs(day);
        out(runs, runsTable(runs));
        return 0;
      }
      case "resolve": {
        const resolved = await operator.resolve(positionals[0] ?? "", String(values.kind), {
          note: String(values.note),
          by: typeof values.by === "string" ? values.by : (environment.USER ?? "operator"),
          now: now(),
        });
        out(resolved, `resolved ${resolved.kind} for ${resolved.pgUid}`);
        return 0;
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `paysync: ${error instanceof UnknownFinding ? message : `the ledger ${process.env.LEDGER_TABLE ?? ""} could not be read: ${message}`}\n`,
    );
    return 1;
  } finally {
    opened.close();
  }
}
