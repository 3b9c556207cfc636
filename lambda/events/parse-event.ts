import type { SyncConfig } from "../core/config.ts";
import type { TimeWindow } from "../core/model.ts";
import {
  explicitWindowProblem,
  MAX_WINDOW_MS,
  parseInstant,
  scheduledWindow,
} from "../core/window.ts";

/** A bad event (contracts §6). The message names the problem; nothing has been sent anywhere. */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
  constructor(problem: string) {
    super(`invalid event: ${problem}`);
  }
}

export const MANUAL_EVENT_KEYS = ["from", "to", "dryRun", "lookbackSeconds", "maxCancels"] as const;
type ManualKey = (typeof MANUAL_EVENT_KEYS)[number];

/** Same ceiling as the CLI's `--max-cancels`. */
const MAX_CANCELS_LIMIT = 1_000_000;

/** What one invocation changes in the environment's sync config. */
export interface EventPlan {
  readonly source: "scheduled" | "manual";
  readonly window?: TimeWindow;
  /** Only ever turns a dry run on: an event cannot override a deployment-wide `DRY_RUN`. */
  readonly dryRun?: true;
  readonly maxCancelsPerRun?: number;
}

type Settings = Pick<SyncConfig, "graceSeconds" | "lookbackSeconds">;
type JsonObject = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : `${typeof value} ${JSON.stringify(value)}`;

const isScheduledEvent = (event: JsonObject): boolean =>
  event["detail-type"] === "Scheduled Event" && event.source === "aws.events";

/**
 * Turns a Lambda event into the run it asks for, checking everything before a single request
 * goes out. `now` is the invocation's clock; the window checks use it.
 */
export function parseEvent(event: unknown, settings: Settings, now: number): EventPlan {
  if (!isObject(event)) {
    throw new InvalidEventError(
      `expected a JSON object (a scheduled event, or a manual event with only ${MANUAL_EVENT_KEYS.join(", ")}), got ${describe(event)}`,
    );
  }
  return isScheduledEvent(event)
    ? parseScheduled(event, settings, now)
    : parseManual(event, settings, now);
}

function parseScheduled(event: JsonObject, settings: Settings, now: number): EventPlan {
  const time = typeof event.time === "string" ? parseInstant(event.time) : undefined;
  if (time === undefined) {
    throw new InvalidEventError(
      `scheduled event: time must be an ISO-8601 timestamp with an offset, got ${describe(event.time)}`,
    );
  }
  // A retried or late delivery still reads the window its schedule slot meant; a clock ahead of
  // ours must not pull the window's end into the grace period.
  const slot = Math.min(time, now);
  return {
    source: "scheduled",
    window: scheduledWindow(slot, settings.lookbackSeconds, settings.graceSeconds),
  };
}

function parseManual(event: JsonObject, settings: Settings, now: number): EventPlan {
  const unknown = Object.keys(event).filter(
    (key) => !(MANUAL_EVENT_KEYS as readonly string[]).includes(key),
  );
  if (unknown.length > 0) {
    throw new InvalidEventError(
      `unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; a manual event may only have ${MANUAL_EVENT_KEYS.join(", ")}`,
    );
  }
  const has = (key: ManualKey) => Object.hasOwn(event, key);

  const dryRun = has("dryRun") ? readBoolean(event, "dryRun") : false;
  const maxCancels = has("maxCancels") ? readMaxCancels(event) : undefined;
  const window = readWindow(event, has, settings, now);
  return {
    source: "manual",
    ...(window === undefined ? {} : { window }),
    ...(dryRun ? { dryRun: true as const } : {}),
    ...(maxCancels === undefined ? {} : { maxCancelsPerRun: maxCancels }),
  };
}

function readWindow(
  event: JsonObject,
  has: (key: ManualKey) => boolean,
  settings: Settings,
  now: number,
): TimeWindow | undefined {
  if (has("lookbackSeconds") && (has("from") || has("to"))) {
    throw new InvalidEventError("give either from and to, or lookbackSeconds, not both");
  }
  if (has("from") !== has("to")) throw new InvalidEventError("from and to go together");

  let window: TimeWindow;
  let label: string;
  if (has("from")) {
    window = { from: readInstant(event, "from"), to: readInstant(event, "to") };
    label = "from/to";
  } else if (has("lookbackSeconds")) {
    const lookback = readWholeNumber(event, "lookbackSeconds", Math.floor(MAX_WINDOW_MS / 1000));
    if (lookback <= settings.graceSeconds) {
      throw new InvalidEventError(
        `lookbackSeconds: must be greater than the grace period (GRACE_SECONDS = ${settings.graceSeconds}), or the window is empty`,
      );
    }
    window = scheduledWindow(now, lookback, settings.graceSeconds);
    label = "lookbackSeconds";
  } else {
    return undefined;
  }
  const problem = explicitWindowProblem(window, now, settings.graceSeconds);
  if (problem !== undefined) throw new InvalidEventError(`${label}: ${problem}`);
  return window;
}

function readInstant(event: JsonObject, key: "from" | "to"): number {
  const value = event[key];
  const instant = typeof value === "string" ? parseInstant(value) : undefined;
  if (instant === undefined) {
    throw new InvalidEventError(
      `${key}: expected an ISO-8601 timestamp with an offset, e.g. 2026-11-24T00:00:00Z, got ${describe(value)}`,
    );
  }
  return instant;
}

function readBoolean(event: JsonObject, key: "dryRun"): boolean {
  const value = event[key];
  if (typeof value !== "boolean")
    throw new InvalidEventError(`${key}: expected true or false, got ${describe(value)}`);
  return value;
}

function readWholeNumber(event: JsonObject, key: ManualKey, max: number): number {
  const value = event[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidEventError(
      `${key}: expected a whole number from 0 to ${max}, got ${describe(value)}`,
    );
  }
  return value;
}

const readMaxCancels = (event: JsonObject): number =>
  readWholeNumber(event, "maxCancels", MAX_CANCELS_LIMIT);
