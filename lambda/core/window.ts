import { parseIsoTimestamp } from "../util/iso-time.ts";
import type { TimeWindow } from "./model.ts";

/** Contracts §6: no manual window may span more than this. */
export const MAX_WINDOW_MS = 31 * 86_400_000;

/** The scheduled window `[now - lookback, now - grace)`: closed, so its pages no longer shift. */
export function scheduledWindow(
  now: number,
  lookbackSeconds: number,
  graceSeconds: number,
): TimeWindow {
  return { from: now - lookbackSeconds * 1000, to: now - graceSeconds * 1000 };
}

/**
 * Strict ISO-8601 instant with an explicit offset. A bare date or a local time would be read
 * in the machine's zone, and the window would silently move by hours.
 */
export const parseInstant = parseIsoTimestamp;

/** Why an explicit window may not be used, or `undefined` when it may. */
export function explicitWindowProblem(
  window: TimeWindow,
  now: number,
  graceSeconds: number,
): string | undefined {
  if (window.from >= window.to) return "from must be earlier than to";
  if (window.to - window.from > MAX_WINDOW_MS) return "the window is longer than 31 days";
  const graceStart = now - graceSeconds * 1000;
  if (window.to > graceStart) {
    return `to must not be later than now minus the grace period (${new Date(graceStart).toISOString()})`;
  }
  return undefined;
}

export const windowToJson = (window: TimeWindow): { from: string; to: string } => ({
  from: new Date(window.from).toISOString(),
  to: new Date(window.to).toISOString(),
});
