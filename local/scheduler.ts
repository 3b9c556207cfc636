import { fx, range } from "@fxts/core";

/** Resolves after `ms`, or at once when `signal` aborts, so a stop never waits out the interval. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * The seed's stable interval: each run starts `intervalMs` after the previous start, or at
 * once if that run took longer. Runs never overlap, and once `signal` aborts the run in
 * flight finishes and no new one starts.
 */
export async function runEvery(
  intervalMs: number,
  signal: AbortSignal,
  runOnce: () => Promise<void>,
): Promise<void> {
  await fx(range(1, Number.POSITIVE_INFINITY))
    .toAsync()
    .takeWhile(() => !signal.aborted)
    .each(() => Promise.all([runOnce(), pause(intervalMs, signal)]));
}
