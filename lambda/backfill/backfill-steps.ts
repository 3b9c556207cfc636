import type { SyncConfig } from "../core/config.ts";
import { guardTrip } from "../core/guard.ts";
import { emptyCounts, type RunError, type RunReport, type RunStatus } from "../core/model.ts";
import { runSync, type SyncPorts } from "../core/run-sync.ts";
import { parseInstant, windowToJson } from "../core/window.ts";
import type { Events } from "../ports/events.ts";
import type { Ledger } from "../ports/ledger.ts";
import { ulid } from "../util/ulid.ts";
import { parseBackfillInput, planSlices } from "./plan-slices.ts";
import { type BackfillReport, fitReport, sumReports } from "./sum-reports.ts";

/**
 * The backfill state machine's steps (contracts §6), one function per Task state. The Lambda
 * handlers and the local runner both bind these, so the two run the same code; the state
 * machine only moves small JSON between them.
 */

export interface SliceWindow {
  readonly from: string;
  readonly to: string;
}

/** Plan's output: the execution's state until the guard replaces it. */
export interface BackfillPlan {
  readonly backfillId: string;
  readonly startedAt: string;
  readonly window: SliceWindow;
  readonly dryRun: boolean;
  /** The blast-radius limit on the sum of the slices' orphans. */
  readonly maxCancels: number;
  readonly slices: readonly SliceWindow[];
}

export type BackfillPass = "judge" | "apply";

/** One map item: the slice's window, its pass, and the most it may cancel. */
export interface SliceTask extends SliceWindow {
  readonly backfillId: string;
  readonly pass: BackfillPass;
  readonly maxCancels: number;
}

/** What a slice hands back to the map: a few numbers, never lists. */
export interface SliceOutcome extends SliceWindow {
  readonly status: RunStatus;
  readonly scanned: number;
  readonly orphans: number;
  /** Paid payments the store was asked about, for the guard's "store looks empty" rule. */
  readonly judged: number;
  /** Set by the state machine when the slice gave up after its retries: the error's name. */
  readonly error?: string;
}

/**
 * `apply` when the sums passed the guard; `dry-run` when they passed but nothing may be
 * cancelled; `halted` when the guard tripped; `failed` when a slice could not be judged, so
 * the guard had no sums to trust.
 */
export type GuardVerdict = "apply" | "dry-run" | "halted" | "failed";

/** Guard's output, which replaces the plan as the execution's state. */
export interface GuardedBackfill extends Omit<BackfillPlan, "slices"> {
  readonly verdict: GuardVerdict;
  readonly reason?: string;
  /** Every slice, in time order; `maxCancels` is what the judge pass counted in it. */
  readonly slices: readonly (SliceWindow & { readonly maxCancels: number })[];
}

/** A slice run that ended `FAILED`, thrown so that the state machine retries the slice. */
export class SliceRunFailed extends Error {
  override readonly name = "SliceRunFailed";
  constructor(readonly report: RunReport) {
    const first = report.errors[0];
    super(
      `slice [${report.window.from}, ${report.window.to}) FAILED (run ${report.runId})${first === undefined ? "" : `: ${first.stage}: ${first.message}`}`,
    );
  }
}

/** A state machine input that is not what this step expects: a bug, never retried into luck. */
export class BackfillStateError extends Error {
  override readonly name = "BackfillStateError";
}

type JsonObject = Record<string, unknown>;

function field<T>(
  state: unknown,
  key: string,
  check: (value: unknown) => value is T,
  what: string,
): T {
  const value =
    typeof state === "object" && state !== null ? (state as JsonObject)[key] : undefined;
  if (!check(value))
    throw new BackfillStateError(`${key}: expected ${what}, got ${JSON.stringify(value)}`);
  return value;
}
const isString = (value: unknown): value is string => typeof value === "string";
const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
const isInstant = (value: unknown): value is string =>
  typeof value === "string" && parseInstant(value) !== undefined;
const isPass = (value: unknown): value is BackfillPass => value === "judge" || value === "apply";

export interface PlanSettings {
  readonly graceSeconds: number;
  /** The backfill's limit when its input sets no `maxCancels` (contracts §5). */
  readonly maxCancelsPerRun: number;
  /** A deployment-wide `DRY_RUN` makes every backfill a dry run. */
  readonly dryRun: boolean;
}

/** Plan: the input checked (contracts §6) and cut into slices. Throws `BackfillInputError`. */
export function planBackfill(input: unknown, settings: PlanSettings, now: number): BackfillPlan {
  const parsed = parseBackfillInput(input, now, settings.graceSeconds);
  return {
    backfillId: ulid(now),
    startedAt: new Date(now).toISOString(),
    window: windowToJson(parsed.window),
    dryRun: parsed.dryRun || settings.dryRun,
    maxCancels: parsed.maxCancels ?? settings.maxCancelsPerRun,
    slices: planSlices(parsed.window, parsed.sliceMinutes).map(windowToJson),
  };
}

/** Reads a map item; the state machine builds it, so a bad one is a definition bug. */
export function readSliceTask(state: unknown): SliceTask {
  return {
    backfillId: field(state, "backfillId", isString, "a backfill id"),
    pass: field(state, "pass", isPass, '"judge" or "apply"'),
    from: field(state, "from", isInstant, "an ISO-8601 instant"),
    to: field(state, "to", isInstant, "an ISO-8601 instant"),
    maxCancels: field(state, "maxCancels", isCount, "a whole number"),
  };
}

/**
 * One slice as a run: the same `runSync`, money rules and ledger as any other run. It takes
 * no run lock (the claims arbitrate), and its report is kept under the backfill.
 * - judge: a dry run. Its limit is the whole backfill's, so the report's numbers are whole;
 *   the orphan ratio is judged on the sums, by the guard.
 * - apply: a real run that may cancel at most what the judge pass counted in this slice, so
 *   the backfill never cancels more than the guard let through. More orphans than judged
 *   (orders unpaid in between) halt the slice for a person.
 * A `FAILED` run throws `SliceRunFailed` after its report is recorded, for the map to retry.
 */
export async function runSlice(
  task: SliceTask,
  base: SyncConfig,
  ports: SyncPorts,
): Promise<{ outcome: SliceOutcome; report: RunReport }> {
  const from = parseInstant(task.from) as number;
  const to = parseInstant(task.to) as number;
  const config: SyncConfig = {
    ...base,
    window: { from, to },
    dryRun: base.dryRun || task.pass === "judge",
    maxCancelsPerRun: task.maxCancels,
    maxOrphanRatio: 1,
    holdsRunLock: false,
    backfillSlice: { backfillId: task.backfillId, pass: task.pass },
  };
  const report = await runSync(config, ports);
  if (report.status === "FAILED") throw new SliceRunFailed(report);
  const { counts } = report;
  const outcome: SliceOutcome = {
    from: task.from,
    to: task.to,
    status: report.status,
    scanned: counts.scanned,
    orphans: counts.orphans,
    judged: counts.matched + counts.mismatches + counts.duplicates + counts.orphans,
  };
  return { outcome, report };
}

function readOutcome(item: unknown): SliceOutcome {
  const error = typeof item === "object" && item !== null ? (item as JsonObject).error : undefined;
  return {
    from: field(item, "from", isInstant, "an ISO-8601 instant"),
    to: field(item, "to", isInstant, "an ISO-8601 instant"),
    status: field(item, "status", isString, "a run status") as RunStatus,
    scanned: field(item, "scanned", isCount, "a whole number"),
    orphans: field(item, "orphans", isCount, "a whole number"),
    judged: field(item, "judged", isCount, "a whole number"),
    ...(typeof error === "string" ? { error } : {}),
  };
}

function readPlanHeader(state: unknown): Omit<BackfillPlan, "slices"> {
  const window = field(
    state,
    "window",
    (value): value is SliceWindow =>
      isInstant((value as JsonObject | undefined)?.from) &&
      isInstant((value as JsonObject | undefined)?.to),
    "a window",
  );
  return {
    backfillId: field(state, "backfillId", isString, "a backfill id"),
    startedAt: field(state, "startedAt", isInstant, "an ISO-8601 instant"),
    window: { from: window.from, to: window.to },
    dryRun: field(state, "dryRun", (v): v is boolean => typeof v === "boolean", "a boolean"),
    maxCancels: field(state, "maxCancels", isCount, "a whole number"),
  };
}

/**
 * Guard: the blast-radius guard of one run (`guardTrip`), applied to the sums of the judge
 * pass, so a backfill cut into many small slices cannot slip under a per-run limit.
 */
export function guardBackfill(state: unknown, limits: { maxOrphanRatio: number }): GuardedBackfill {
  const header = readPlanHeader(state);
  const judged = field(state, "judged", Array.isArray, "the judge pass's outcomes").map(
    readOutcome,
  );
  const slices = judged.map(({ from, to, orphans }) => ({ from, to, maxCancels: orphans }));
  // HALTED here means the slice's orphans alone passed the whole backfill's limit: its counts
  // are complete, and the sums trip below. Anything else left the sums incomplete.
  const unjudged = judged.filter((s) => s.status !== "SUCCEEDED" && s.status !== "HALTED");
  if (unjudged.length > 0) {
    const named = unjudged
      .slice(0, 5)
      .map((s) => `[${s.from}, ${s.to}) ${s.status}${s.error ? ` (${s.error})` : ""}`);
    return {
      ...header,
      verdict: "failed",
      reason: `${unjudged.length} slice(s) could not be judged, so nothing was applied: ${named.join("; ")}`,
      slices,
    };
  }
  const sum = (key: "scanned" | "orphans" | "judged") =>
    judged.reduce((total, slice) => total + slice[key], 0);
  const trip = guardTrip(
    { orphans: sum("orphans"), scanned: sum("scanned"), judged: sum("judged") },
    { maxCancelsPerRun: header.maxCancels, maxOrphanRatio: limits.maxOrphanRatio },
  );
  if (trip !== undefined) {
    return { ...header, verdict: "halted", reason: `the backfill's sums: ${trip}`, slices };
  }
  return { ...header, verdict: header.dryRun ? "dry-run" : "apply", slices };
}

export interface ReportPorts {
  readonly ledger: Ledger;
  readonly events?: Events;
  readonly now?: () => number;
}

/** A slice with no report in the ledger: it never got as far as recording one. */
function silentSlice(window: SliceWindow, dryRun: boolean, error: string | undefined): RunReport {
  return {
    runId: "",
    status: "FAILED",
    dryRun,
    window: { from: window.from, to: window.to },
    startedAt: window.from,
    finishedAt: window.from,
    durationMs: 0,
    counts: emptyCounts(),
    cancelled: [],
    findings: [],
    errors: [
      { stage: "config", message: `the slice recorded no report${error ? ` (${error})` : ""}` },
    ],
  };
}

/**
 * Report (its input: the guard's state, plus the apply map's outcomes as `applied` when it
 * ran): the slices' last reports, read back from the ledger (the map results carry only a
 * few numbers), summed into one backfill report (contracts §7). It is recorded as a run,
 * announced as `Run Finished`, and returned as the execution's output.
 */
export async function reportBackfill(
  state: unknown,
  ports: ReportPorts,
  ttlDays: number,
): Promise<BackfillReport> {
  const header = readPlanHeader(state);
  const verdict = field(
    state,
    "verdict",
    (v): v is GuardVerdict => v === "apply" || v === "dry-run" || v === "halted" || v === "failed",
    "a guard verdict",
  );
  const reason = (state as JsonObject).reason;
  const windows = field(state, "slices", Array.isArray, "the slices").map(
    (item): SliceWindow => ({
      from: field(item, "from", isInstant, "an ISO-8601 instant"),
      to: field(item, "to", isInstant, "an ISO-8601 instant"),
    }),
  );
  const appliedRaw = (state as JsonObject).applied;
  const applied = Array.isArray(appliedRaw) ? appliedRaw.map(readOutcome) : [];
  const pass: BackfillPass = verdict === "apply" ? "apply" : "judge";

  const recorded = new Map(
    (await ports.ledger.backfillSlices(header.backfillId, pass)).map((report) => [
      Date.parse(report.window.from),
      report,
    ]),
  );
  const slices = windows.map((window) => {
    const report = recorded.get(Date.parse(window.from));
    if (report !== undefined) return report;
    const outcome = applied.find((o) => o.from === window.from);
    return silentSlice(window, header.dryRun, outcome?.error);
  });
  const errors: RunError[] =
    typeof reason === "string" && verdict !== "apply" && verdict !== "dry-run"
      ? [{ stage: "guard", message: reason }]
      : [];
  const now = ports.now ?? Date.now;
  const report = fitReport(
    sumReports({
      runId: header.backfillId,
      dryRun: header.dryRun,
      window: header.window,
      startedAt: Date.parse(header.startedAt),
      finishedAt: now(),
      halted: verdict === "halted",
      notApplied: verdict === "failed",
      slices,
      errors,
    }),
  );
  const { cancelled: _c, findings: _f, slices: _s, ...finished } = report;
  try {
    await ports.events?.publish([{ detailType: "Run Finished", detail: finished }]);
  } catch (error) {
    report.errors.push({
      stage: "events",
      message: `1 event(s) not published: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  await ports.ledger.recordRun(
    report,
    Math.floor(Date.parse(header.startedAt) / 1000) + ttlDays * 86_400,
  );
  return report;
}
