/**
 * V8 heap settings for every process that runs a sync: the Lambda (its NODE_OPTIONS), the
 * `paysync` command (its shebang), `npm start` and the benchmark. Tests keep them in step.
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

/**
 * V8 does its garbage collection and its optimizing compiles on background threads, which
 * pays off with cores to spare. A Lambda has a fraction of one (0.58 vCPU at 1,024 MB), so
 * there they only take turns with the run, and splitting the work costs more in all. In the
 * bench at 1M payments, one run's background threads used 3.5 s of CPU beside the main
 * thread's 12.8 s (16.1 s during main()); the same code single-threaded used 14.0 s.
 *
 * Node refuses this flag in NODE_OPTIONS, so the Lambda gets it from its exec wrapper
 * (`lambda/config/node-wrapper.sh`, AWS_LAMBDA_EXEC_WRAPPER); the others on their command line.
 */
export const THREAD_FLAGS = ["--single-threaded"] as const;

/** Everything a sync's `node` starts with, where a command line carries it. */
export const NODE_FLAGS = [...HEAP_FLAGS, ...THREAD_FLAGS] as const;
