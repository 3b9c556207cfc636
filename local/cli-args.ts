import { parseArgs } from "node:util";
import type { TimeWindow } from "../lambda/core/model.ts";
import { parseInstant } from "../lambda/core/window.ts";

/** Bad arguments: exit 64, the message on stderr, and nothing sent anywhere. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE = `usage:
  paysync sync --once [--dry-run] [--from ISO --to ISO] [--max-cancels N] [--json]
  paysync sync            run the scheduler loop (what npm start does)
  paysync backfill --from ISO --to ISO [--slice-minutes N] [--dry-run] [--max-cancels N] [--json]
                          a long window through the backfill state machine (paysync backfill --help)
  paysync ledger …        read the ledger, and resolve findings (paysync ledger --help)
  paysync --help          this text

  --once          one run, then exit with its status (0 ok or skipped, 1 failed, 2 halted, 3 partial)
  --dry-run       find and report, cancel nothing
  --from, --to    an explicit window [from, to), ISO-8601 with an offset, e.g. 2026-11-24T00:00:00Z
  --max-cancels   raise MAX_CANCELS_PER_RUN for this run only
  --json          print exactly one JSON run report on stdout; logs go to stderr`;

export interface SyncArgs {
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly window?: TimeWindow;
  readonly maxCancels?: number;
}

export function parseCliArgs(argv: readonly string[]): SyncArgs {
  let parsed: ReturnType<typeof parseSync>;
  try {
    parsed = parseSync(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== "sync") {
    throw new UsageError(
      positionals.length === 0
        ? "missing command: sync"
        : `unknown command: ${positionals.join(" ")}`,
    );
  }
  if (
    !values.once &&
    (values["dry-run"] || values.json || values.from || values.to || values["max-cancels"])
  ) {
    throw new UsageError("--dry-run, --json, --from, --to and --max-cancels need --once");
  }
  if ((values.from === undefined) !== (values.to === undefined))
    throw new UsageError("--from and --to go together");
  const window =
    values.from !== undefined && values.to !== undefined
      ? parseWindow(values.from, values.to)
      : undefined;
  const maxCancels =
    values["max-cancels"] === undefined ? undefined : parseMaxCancels(values["max-cancels"]);
  return {
    once: values.once ?? false,
    dryRun: values["dry-run"] ?? false,
    json: values.json ?? false,
    ...(window ? { window } : {}),
    ...(maxCancels === undefined ? {} : { maxCancels }),
  };
}

function parseSync(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      once: { type: "boolean" },
      "dry-run": { type: "boolean" },
      json: { type: "boolean" },
      from: { type: "string" },
      to: { type: "string" },
      "max-cancels": { type: "string" },
    },
  });
}

function parseWindow(fromText: string, toText: string): TimeWindow {
  const from = parseInstant(fromText);
  const to = parseInstant(toText);
  if (from === undefined)
    throw new UsageError(`--from: not an ISO-8601 timestamp with an offset: ${fromText}`);
  if (to === undefined)
    throw new UsageError(`--to: not an ISO-8601 timestamp with an offset: ${toText}`);
  return { from, to };
}

function parseMaxCancels(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 1_000_000) {
    throw new UsageError(`--max-cancels: expected a whole number up to 1000000, got ${text}`);
  }
  return Number(text);
}
