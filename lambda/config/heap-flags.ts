/**
 * V8 heap settings for every process that runs a sync: the Lambda (its NODE_OPTIONS), the
 * `paysync` command (its shebang), `npm start` and the benchmark. Tests keep them in step.
 *
 * A run streams: its live heap is a few MiB of pages in flight plus the orphans it keeps
 * (about 150 MiB at the 1,000,000 that MAX_CANCELS_PER_RUN allows at most). By default V8
 * sizes its heap from the host's memory; on a large host it lets about 100 MiB of spent
 * pages pile up before it collects, so peak memory would track the host, not the run. A
 * 256 MiB old space (half the Lambda's 512 MB) makes V8 collect early. Measured by the
 * bench at 1M payments: peak RSS 212 → 125 MiB (README, "How a run streams").
 *
 * The young generation is fixed at 16 MiB semi-spaces (LAUNCH_FLAGS sets the floor). A run
 * allocates about 2.5 KiB per payment, nearly all of it dead within a page, while the pages
 * in flight stay alive: each scavenge copies those survivors again, so the count of
 * scavenges is the cost. At 4 MiB a 1M run made 650 of them (1.39 s); at 16 MiB, 157
 * (0.95 s), for about 1 µs less CPU a payment. A fixed young generation costs the same at
 * any size of run: peak RSS 75 → 97 MiB at 10k and 113 → 135 MiB at 1M.
 */
export const HEAP_FLAGS = ["--max-old-space-size=256", "--max-semi-space-size=16"] as const;

/**
 * Flags Node refuses in NODE_OPTIONS, so the Lambda gets them from its exec wrapper
 * (`lambda/config/node-wrapper.sh`, AWS_LAMBDA_EXEC_WRAPPER); the others on their command line.
 *
 * `--single-threaded`: V8 does its garbage collection and its optimizing compiles on
 * background threads, which pays off with cores to spare. A Lambda has a fraction of one
 * (0.43 vCPU at 768 MB), so there they only take turns with the run, and splitting the
 * work costs more in all. In the bench at 1M payments, one run's background threads used
 * 3.5 s of CPU beside the main thread's 12.8 s (16.1 s during main()); the same code
 * single-threaded used 14.0 s.
 *
 * `--min-semi-space-size=16`: the young generation starts at its full size rather than
 * growing into it, so a short run and a long one collect alike.
 */
export const LAUNCH_FLAGS = ["--single-threaded", "--min-semi-space-size=16"] as const;

/** Everything a sync's `node` starts with, where a command line carries it. */
export const NODE_FLAGS = [...HEAP_FLAGS, ...LAUNCH_FLAGS] as const;
