import type { TimeWindow } from "../core/model.ts";
import { parseInstant } from "../core/window.ts";

/** Contracts §6: a backfill spans at most this. */
export const MAX_BACKFILL_MS = 366 * 86_400_000;

/**
 * At most this many slices, so the plan and the map's results stay far below Step Functions'
 * 256 KiB state limit (a slice is about 100 bytes of JSON). A longer window gets longer
 * slices rather than a refusal.
 */
export const MAX_SLICES = 400;

/**
 * The default slice: what one Lambda run holds with room to spare. Measured (`npm run bench`,
 * 1M payments): the sync spends about 10 µs of CPU per payment (9 to 11 on the bench's host,
 * whose speed varies), and the gateway bound is about 34 µs per payment, so a 768 MB slice
 * function (0.43 vCPU, CPU-bound only past 15 µs per payment) keeps pace with the gateway at
 * about 29,000 payments a second, or 25M in the 14½ minutes it may work. A large platform takes 1M payments a day; six hours is
 * 250k, a hundredth of that, which leaves room for a slow gateway and a busy hour.
 */
export const DEFAULT_SLICE_MINUTES = 6 * 60;

export interface BackfillInput {
  readonly window: TimeWindow;
  readonly dryRun: boolean;
  /** The blast-radius limit for the whole backfill; the run's `MAX_CANCELS_PER_RUN` if unset. */
  readonly maxCancels?: number;
  readonly sliceMinutes?: number;
}

/** An input the backfill refuses before any request to the gateway; the message names it. */
export class BackfillInputError extends Error {
  override readonly name = "BackfillInputError";
}

const KEYS = new Set(["from", "to", "dryRun", "maxCancels", "sliceMinutes"]);

const wholeNumber = (value: unknown, name: string, min: number, max: number): number => {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new BackfillInputError(`${name}: expected a whole number from ${min} to ${max}`);
  }
  return value;
};

/**
 * Contracts §6's backfill input, checked whole: `from` and `to` (ISO-8601 with an offset,
 * `to` no later than now minus the grace period, at most 366 days apart), and the optional
 * `dryRun`, `maxCancels` and `sliceMinutes`. Anything else is refused.
 */
export function parseBackfillInput(
  input: unknown,
  now: number,
  graceSeconds: number,
): BackfillInput {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new BackfillInputError("the input must be a JSON object with from and to");
  }
  const fields = input as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !KEYS.has(key));
  if (unknown.length > 0) {
    throw new BackfillInputError(
      `unknown key(s) ${unknown.join(", ")}; allowed: ${[...KEYS].join(", ")}`,
    );
  }
  const instant = (name: "from" | "to") => {
    const value = fields[name];
    const ms = typeof value === "string" ? parseInstant(value) : undefined;
    if (ms === undefined) {
      throw new BackfillInputError(`${name}: expected an ISO-8601 timestamp with an offset`);
    }
    return ms;
  };
  const window = { from: instant("from"), to: instant("to") };
  if (window.from >= window.to) throw new BackfillInputError("from must be earlier than to");
  if (window.to - window.from > MAX_BACKFILL_MS) {
    throw new BackfillInputError("the window is longer than 366 days");
  }
  const graceStart = now - graceSeconds * 1000;
  if (window.to > graceStart) {
    throw new BackfillInputError(
      `to must not be later than now minus the grace period (${new Date(graceStart).toISOString()})`,
    );
  }
  if (fields.dryRun !== undefined && typeof fields.dryRun !== "boolean") {
    throw new BackfillInputError("dryRun: expected true or false");
  }
  return {
    window,
    dryRun: fields.dryRun === true,
    ...(fields.maxCancels === undefined
      ? {}
      : { maxCancels: wholeNumber(fields.maxCancels, "maxCancels", 0, 1_000_000) }),
    ...(fields.sliceMinutes === undefined
      ? {}
      : { sliceMinutes: wholeNumber(fields.sliceMinutes, "sliceMinutes", 1, 31 * 24 * 60) }),
  };
}

/**
 * `[from, to)` cut into consecutive slices that cover it exactly once: each slice's `to` is
 * the next one's `from`, the first starts at `from` and the last ends at `to`. The slice
 * length is `sliceMinutes` (default six hours), lengthened when the window would need more
 * than `MAX_SLICES`.
 */
export function planSlices(window: TimeWindow, sliceMinutes = DEFAULT_SLICE_MINUTES): TimeWindow[] {
  const span = window.to - window.from;
  if (!(span > 0)) throw new RangeError("the window must not be empty");
  const wanted = sliceMinutes * 60_000;
  const length = Math.max(wanted, Math.ceil(span / MAX_SLICES));
  const slices: TimeWindow[] = [];
  for (let from = window.from; from < window.to; from += length) {
    slices.push({ from, to: Math.min(from + length, window.to) });
  }
  return slices;
}
