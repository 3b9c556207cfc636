// The sync under measurement, in a process of its own: `paysync sync --once --json` through
// the CLI's own main(), with the environment the bench hands over. main() comes from the
// bundle BENCH_SYNC_ENTRY names, or from the TypeScript sources through tsx when it is unset.
// BENCH_SYNC_ARGS (a JSON array) replaces the arguments, so that the backfill row is measured
// by the same wrapper: `["backfill", "--from", …, "--to", …, "--json"]`.
//
// stdout carries the CLI's output only: exactly one JSON report line. What the bench
// needs besides (the exit code, the time main() took, and this process's peak RSS from
// getrusage, which Linux keeps as a high-water mark) goes to the file named by
// BENCH_STATS_FILE, written after main() has returned and closed every connection.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// The bench keeps stdin open; when it closes, the bench is gone and so is the reason to run.
const onStdinEnd = () => process.exit(70);
process.stdin.on("end", onStdinEnd);
process.stdin.resume();

const args = process.env.BENCH_SYNC_ARGS
  ? JSON.parse(process.env.BENCH_SYNC_ARGS)
  : ["sync", "--once", "--json"];
if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
  throw new Error("BENCH_SYNC_ARGS must be a JSON array of strings");
}

const startedAt = performance.now();
const entry = process.env.BENCH_SYNC_ENTRY;
if (!entry) (await import("tsx/esm/api")).register();
const { main } = await import(entry ?? "../local/cli.ts");
const loadedAt = performance.now();
// The floor: what loading the CLI and its SDKs costs before any work.
const loadRssKiB = process.resourceUsage().maxRSS;
const loadCpu = process.cpuUsage();
const mainStartedAt = Date.now();
const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampleMemory = () => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], usage[key]);
};
const sampler = setInterval(sampleMemory, 100);
// Garbage collections during main(), by kind: how often V8 collected, and for how long.
const gcKinds = Object.fromEntries(
  Object.entries({
    minor: constants.NODE_PERFORMANCE_GC_MINOR,
    major: constants.NODE_PERFORMANCE_GC_MAJOR,
    incremental: constants.NODE_PERFORMANCE_GC_INCREMENTAL,
    weakcb: constants.NODE_PERFORMANCE_GC_WEAKCB,
  }).map(([name, kind]) => [kind, name]),
);
const gc = {};
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = gcKinds[entry.detail?.kind] ?? String(entry.detail?.kind);
    gc[kind] ??= { count: 0, ms: 0 };
    gc[kind].count += 1;
    gc[kind].ms += entry.duration;
  }
});
gcObserver.observe({ entryTypes: ["gc"] });
const exitCode = await main(args, process.env);
const finishedAt = performance.now();
clearInterval(sampler);
gcObserver.disconnect();

// CPU by thread, from Linux's per-task counters (utime + stime, in clock ticks of 1/100 s),
// since the process started: the main thread against V8's background threads (GC helpers,
// compilers), which a fraction of a vCPU pays for too. Null where /proc is missing.
const threadCpuMs = () => {
  try {
    const tasks = readdirSync("/proc/self/task").map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return { tid: Number(tid), ms: (Number(fields[11]) + Number(fields[12])) * 10 };
    });
    const main = tasks.find((task) => task.tid === process.pid)?.ms ?? 0;
    const all = tasks.reduce((sum, task) => sum + task.ms, 0);
    return { main, others: all - main };
  } catch {
    return null;
  }
};
const cpuMs = (usage) => (usage.user + usage.system) / 1000;
const stats = {
  exitCode,
  loadMs: Math.round(loadedAt - startedAt),
  mainMs: Math.round(finishedAt - loadedAt),
  mainStartedAt,
  loadRssKiB,
  maxRssKiB: process.resourceUsage().maxRSS,
  heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  peaksMiB: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, Math.round(v / 2 ** 20)])),
  // CPU used by main() alone: on a small machine, a run that keeps a core busy for as long
  // as its wall time is CPU-bound, not gateway-bound.
  mainCpuMs: Math.round(cpuMs(process.cpuUsage(loadCpu))),
  threadCpuMs: threadCpuMs(),
  gc: Object.fromEntries(
    Object.entries(gc).map(([kind, { count, ms }]) => [kind, { count, ms: Math.round(ms) }]),
  ),
};
if (process.env.BENCH_STATS_FILE)
  writeFileSync(process.env.BENCH_STATS_FILE, JSON.stringify(stats));
else process.stderr.write(`${JSON.stringify({ benchStats: stats })}\n`);
process.stdin.off("end", onStdinEnd);
process.stdin.destroy();
process.exitCode = exitCode;
// Every connection is closed by now; a stray handle must not keep a finished run alive.
setTimeout(() => process.exit(), 2000).unref();
