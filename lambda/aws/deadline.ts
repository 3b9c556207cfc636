/** The most a run keeps back from Lambda's timeout. */
const MAX_MARGIN_MS = 30_000;

/**
 * When a run stops starting new work (contracts §7: it then ends `PARTIAL`). The margin lets
 * the cancels already in flight settle, the report be recorded and the run lock be released
 * before Lambda stops the process; a cancel cut off anyway is resumed by the next run under the
 * same key. Short timeouts keep back a quarter of the time instead of 30 s.
 */
export function runDeadline(now: number, remainingMs: number, runDeadlineSeconds?: number): number {
  const margin = Math.min(MAX_MARGIN_MS, Math.floor(remainingMs / 4));
  const lambdaDeadline = now + remainingMs - margin;
  return runDeadlineSeconds === undefined
    ? lambdaDeadline
    : Math.min(lambdaDeadline, now + runDeadlineSeconds * 1000);
}
