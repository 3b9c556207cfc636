/**
 * V8 heap settings for every process that runs a sync: the Lambda (its NODE_OPTIONS), the
 * `paysync` command (its shebang), `npm start` and the benchmark. A test keeps them in step.
 *
 * A run streams: its live heap is a few MiB of pages in flight plus the orphans it keeps
 * (about 150 MiB at the 1,000,000 that MAX_CANCELS_PER_RUN allows at most). By default V8
 * sizes its heap from the host's memory; on a large host it lets about 100 MiB of spent
 * pages pile up before it collects, so peak memory would track the host, not the run. A
 * 256 MiB old space (half the Lambda's 512 MB) makes V8 collect early, and 4 MiB
 * semi-spaces keep the young generation small. Measured by the bench at 1M payments: peak
 * RSS 212 → 125 MiB, for about 15 % more CPU (README, "How a run streams").
 */
export const HEAP_FLAGS = ["--max-old-space-size=256", "--max-semi-space-size=4"] as const;
