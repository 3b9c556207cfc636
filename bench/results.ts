// The shape of bench/results.json, shared by the runner, the chart and the README table.

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
}

export interface PaysyncResult {
  /** The run report's status, or why there is none. */
  status: string;
  exitCode: number | null;
  /** main(["sync", "--once", "--json"]) inside the sync process: connect, run, close. */
  wallMs: number | null;
  /** The run report's durationMs (runSync alone). */
  runMs: number | null;
  /** Spawn to exit, module loading included. */
  processMs: number;
  /** Loading the bundled CLI, before main(). */
  loadMs: number | null;
  /** User + system CPU of the sync process during main(). */
  cpuMs: number | null;
  /** `cpuMs` per payment of the window, in microseconds. */
  cpuUsPerPayment: number | null;
  /**
   * The wall time to expect on a 512 MB Lambda, which gets about 0.29 of a vCPU (a full one
   * at 1,769 MB): `max(wallMs, cpuMs / 0.29)`, since the run can go no faster than either.
   */
  lambda512Ms: number | null;
  boundMs: number;
  ratio: number | null;
  /** getrusage maxRSS of the sync process, reported by itself at the end. */
  peakRssMiB: number | null;
  /** maxRSS right after the CLI's modules were loaded, before main() ran. */
  loadRssMiB: number | null;
  /**
   * Peaks of process.memoryUsage() sampled every 100 ms during main(): where the RSS went
   * (heapTotal: the JS heap V8 holds; arrayBuffers: off-heap tables and buffers).
   */
  memoryPeaksMiB: Record<string, number> | null;
  /** CPU of the sync's main thread and of all its other threads, from /proc, loading included. */
  threadCpuMs?: { main: number; others: number } | null;
  /** V8's collections during main(), by kind (perf_hooks' "gc" entries): count and summed ms. */
  gc?: Record<string, { count: number; ms: number }> | null;
  paymentsPerSecond: number | null;
  counts: Record<string, number> | null;
  expectedCancelled: number;
  /** The simulator's own count of payments cancelled, and of payments cancelled twice. */
  effectiveCancels: number | null;
  doubleCancels: number | null;
  /** Where the time went, in ms from the start of main(). */
  timeline: Record<string, number | null>;
  /**
   * CPU each process used (ms, from /proc) during the whole of main(), while pages were read
   * (first gateway call to last page answered) and while orphans were cancelled.
   */
  cpu: Record<PhaseName, PhaseCpu | null>;
  gateway: Record<string, unknown>;
  store: Record<string, unknown>;
  ledger: Record<string, unknown>;
  problems: string[];
}

export type PhaseName = "main" | "pages" | "cancels";

export interface PhaseCpu {
  ms: number;
  sync: number | null;
  gateway: number | null;
  store: number | null;
  ledger: number | null;
  /** Everything else the machine ran meanwhile (other users' work would show up here). */
  other: number | null;
}

/**
 * The backfill row: `paysync backfill --from --to --json` over a week of N payments, measured
 * by the same wrapper as a run. No lower bound and no 512 MB Lambda estimate: its slices run
 * 4 at a time in this one process, where on AWS each is a Lambda of its own.
 */
export interface BackfillResult
  extends Omit<PaysyncResult, "boundMs" | "ratio" | "lambda512Ms" | "cpu"> {
  n: number;
  days: number;
  window: { from: string; to: string };
  /** Slices in the backfill report. */
  slices: number | null;
  /** The single run's wall at the same N in the same bench run, and this wall over it. */
  singleRunWallMs: number | null;
  toSingleRun: number | null;
  /**
   * CPU of each process (ms, from /proc) during main(); before the first gateway call
   * (loading the CDK, synthesizing the definition, the plan); from the first call to the
   * judge pass's last page answered; and from the apply pass's first page to the end.
   */
  cpu: Record<BackfillPhase, PhaseCpu | null>;
}

export type BackfillPhase = "main" | "setup" | "judge" | "apply";

export interface BaselineResult {
  finished: boolean;
  /** From its first request to its last cancel; null when it did not finish. */
  wallMs: number | null;
  processMs: number;
  limitMs: number;
  /** Its own maxRSS when it finished, else the last VmHWM read before it was killed. */
  peakRssMiB: number | null;
  scanned: number | null;
  cancelled: number | null;
  effectiveCancels: number | null;
  /** How far it got (its last progress line) when it was stopped. */
  progress: Record<string, unknown> | null;
  phases: Record<string, number> | null;
  problems: string[];
}

export interface Row {
  n: number;
  paysync: PaysyncResult;
  baseline: BaselineResult | null;
}

export interface Results {
  machine: Machine;
  settings: Record<string, number | string | readonly string[]>;
  rows: Row[];
  /** Null when BENCH_BACKFILL=off. */
  backfill: BackfillResult | null;
}
