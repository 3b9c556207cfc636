// npm run bench: paysync against the gateway-bound floor and against the seed's approach.
//
// First it bundles the CLI with esbuild, as the Lambda is bundled (bench/build-sync.ts). Then,
// for each N (BENCH_SIZES, default 10000,100000,1000000):
//   1. start the gateway simulator, the store (PGlite over the wire protocol) and DynamoDB
//      (dynalite), each in its own process (bench/services.ts), with N payments and N orders;
//   2. run `paysync sync --once --json` from that bundle in a process of its own, with the
//      heap flags every sync runs with (bench/sync-process.mjs), and read its report, its
//      time and its peak RSS;
//   3. start fresh services and run the seed-style baseline (bench/seed-style.ts) in its own
//      process, killed after BENCH_BASELINE_LIMIT_S (600) seconds.
// Then, once, the backfill row: fresh services with BENCH_BACKFILL_N payments (default 1M)
// spread over 7 days, and `paysync backfill --from --to --json` over that week in the same
// wrapper. It runs right after the single run of the same N, if BENCH_SIZES has it, for the
// ratio of the two; without BENCH_BACKFILL_N it runs only when BENCH_SIZES holds 1,000,000,
// so a small BENCH_SIZES stays quick. BENCH_BACKFILL=off skips it.
// Then it prints the table and writes bench/results.json, bench/results.svg and the README's
// "Benchmark" section. Progress goes to stderr; BENCH_BASELINE=off skips the baseline.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NODE_FLAGS } from "../lambda/config/heap-flags.ts";
import { buildSync } from "./build-sync.ts";
import { renderChart } from "./chart.ts";
import {
  type Child,
  type CpuSample,
  cpuBetween,
  installReaper,
  sampleMachine,
  spawnChild,
} from "./children.ts";
import {
  API_KEY,
  BACKFILL_DAYS,
  CONCURRENCY,
  expectedOrphans,
  LATENCY_MS,
  lowerBoundMs,
  ORDER_CHUNK_SIZE,
  PAGE_SIZE,
  paidAtSpan,
} from "./dataset.ts";
import type {
  BackfillResult,
  BaselineResult,
  Machine,
  PaysyncResult,
  PhaseCpu,
  Results,
  Row,
} from "./results.ts";
import { formatTable, updateReadme } from "./table.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCH = path.join(ROOT, "bench");
const SERVICES_READY_MS = 5 * 60_000;
const SYNC_LIMIT_MS = 15 * 60_000;
const STATS_ANSWER_MS = 30_000;
const STOP_MS = 10_000;
/**
 * A 512 MB Lambda's share of a vCPU (about 0.29): Lambda gives CPU in proportion to memory,
 * one full vCPU at 1,769 MB.
 */
const LAMBDA_512_VCPU = 512 / 1769;
/** The most PG_MAX_RPS allows; 16 in flight at 50 ms each cannot pass 320 a second. */
const MAX_RPS = 10_000;

const started = Date.now();
function log(line: string): void {
  const elapsed = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${elapsed}s] ${line}\n`);
}

function loudly(line: string): void {
  process.stderr.write(`\n!!!!!!!! ${line}\n\n`);
}

function parseSizes(raw: string | undefined): number[] {
  if (raw === undefined || raw.trim() === "") return [10_000, 100_000, 1_000_000];
  const sizes = raw.split(",").map((part) => Number(part.trim()));
  for (const n of sizes) {
    if (!Number.isSafeInteger(n) || n < PAGE_SIZE) {
      throw new Error(`BENCH_SIZES: each size must be an integer >= ${PAGE_SIZE}, got ${raw}`);
    }
  }
  return sizes;
}

/** The backfill's N, or null for none: see the header. */
function backfillSize(sizes: readonly number[]): number | null {
  if ((process.env.BENCH_BACKFILL ?? "on").toLowerCase() === "off") return null;
  const raw = process.env.BENCH_BACKFILL_N;
  if (raw === undefined || raw.trim() === "") {
    return sizes.includes(1_000_000) ? 1_000_000 : null;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < PAGE_SIZE) {
    throw new Error(`BENCH_BACKFILL_N must be an integer >= ${PAGE_SIZE}, got ${raw}`);
  }
  return n;
}

function parseSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be seconds > 0`);
  return value;
}

/** Children get a clean environment: nothing from the caller's shell leaks into a run. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "TZ"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    date: new Date().toISOString(),
  };
}

// ---------------------------------------------------------------- services

type Role = "gateway" | "store" | "ledger";

interface Service {
  role: Role;
  url: string;
  child: Child;
}

async function startService(
  role: Role,
  n: number,
  nowMs: number,
  spanDays?: number,
): Promise<Service> {
  const child = spawnChild(
    `${role} service`,
    [
      "--import",
      "tsx",
      path.join(BENCH, "services.ts"),
      "--role",
      role,
      "--n",
      String(n),
      "--now",
      String(nowMs),
      ...(spanDays === undefined ? [] : ["--span-days", String(spanDays)]),
    ],
    { env: baseEnv(), onStderr: (line) => log(`  [${role}] ${line}`) },
  );
  try {
    const ready = JSON.parse(
      await child.nextLine((line) => line.includes('"ready"'), SERVICES_READY_MS),
    ) as { url: string; startMs: number };
    log(`  ${role} ready in ${(ready.startMs / 1000).toFixed(1)} s (pid ${child.pid})`);
    return { role, url: ready.url, child };
  } catch (error) {
    child.kill();
    throw error;
  }
}

async function startServices(roles: readonly Role[], n: number, nowMs: number, spanDays?: number) {
  const settled = await Promise.allSettled(
    roles.map((role) => startService(role, n, nowMs, spanDays)),
  );
  const services = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) {
    await stopServices(services);
    throw failed.reason;
  }
  return new Map(services.map((s) => [s.role, s]));
}

async function serviceStats(service: Service | undefined): Promise<Record<string, unknown>> {
  if (!service) return {};
  try {
    const answer = service.child.nextLine((line) => line.includes('"stats"'), STATS_ANSWER_MS);
    service.child.write("stats");
    const parsed = JSON.parse(await answer) as {
      stats: Record<string, unknown>;
      maxRssKiB: number;
    };
    return { ...parsed.stats, peakRssMiB: Math.round(parsed.maxRssKiB / 1024) };
  } catch (error) {
    log(`  could not read ${service.role} stats: ${(error as Error).message}`);
    return {};
  }
}

async function stopServices(services: Iterable<Service>): Promise<void> {
  await Promise.all(
    [...services].map(async (service) => {
      service.child.write("stop");
      const exit = await service.child.waitExit(STOP_MS);
      if (exit.timedOut) log(`  ${service.role} did not stop in time and was killed`);
    }),
  );
}

// ---------------------------------------------------------------- paysync

const num = (value: unknown): number | null => (typeof value === "number" ? value : null);

/** One CLI command measured in the sync process, against fresh services. */
interface Command {
  /** For progress lines and the ledger table's name. */
  label: string;
  /** The gateway spreads the payments over this many days (services.ts --span-days). */
  spanDays?: number;
  /** The CLI's arguments (BENCH_SYNC_ARGS); `sync --once --json` when unset. */
  args?: (nowMs: number) => readonly string[];
}

type Measured = Omit<PaysyncResult, "boundMs" | "ratio" | "lambda512Ms" | "cpu"> & {
  /** CPU of each process between two epoch moments; works after the processes are gone. */
  phase(from: unknown, to: unknown, toPlus?: number): PhaseCpu | null;
  /** Epoch ms to ms from the start of main(). */
  at(epoch: unknown, plus?: number): number | null;
  mainStartedAt: number | undefined;
  mainEnd: number | undefined;
  /** The CLI's JSON report as printed. */
  report: Record<string, unknown>;
};

async function measure(n: number, syncEntry: string, command: Command): Promise<Measured> {
  const nowMs = Date.now();
  log(`N=${n}: starting the gateway, the store and the ledger`);
  const services = await startServices(["gateway", "store", "ledger"], n, nowMs, command.spanDays);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "paysync-bench-"));
  const statsFile = path.join(scratch, "sync-stats.json");
  const expected = expectedOrphans(n);
  const problems: string[] = [];
  try {
    const args = command.args?.(nowMs);
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(),
      PG_BASE_URL: services.get("gateway")?.url,
      PG_API_KEY: API_KEY,
      STORE_DATABASE_URL: services.get("store")?.url,
      DYNAMODB_ENDPOINT: services.get("ledger")?.url,
      LEDGER_TABLE: `paysync_bench_${command.label === "sync" ? "" : `${command.label}_`}${n}_${nowMs}`,
      PG_PAGE_SIZE: String(PAGE_SIZE),
      PG_CONCURRENCY: String(CONCURRENCY),
      PG_MAX_RPS: String(MAX_RPS),
      ORDER_CHUNK_SIZE: String(ORDER_CHUNK_SIZE),
      MAX_CANCELS_PER_RUN: String(n),
      MAX_ORPHAN_RATIO: "1",
      LOG_LEVEL: "warn",
      BENCH_STATS_FILE: statsFile,
      BENCH_SYNC_ENTRY: syncEntry,
      ...(args === undefined ? {} : { BENCH_SYNC_ARGS: JSON.stringify(args) }),
    };
    log(
      `N=${n}: paysync ${args === undefined ? "sync --once" : args.join(" ")} (${expected} orphans expected)`,
    );
    let stderrLines = 0;
    const machine = sampleMachine();
    // With the heap flags the Lambda, `npm start` and `npx paysync` run with.
    // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of each sync there, for `--cpu-prof` work.
    const profile = process.env.BENCH_CPU_PROF
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [];
    const sync = spawnChild(
      command.label,
      [...NODE_FLAGS, ...profile, path.join(BENCH, "sync-process.mjs")],
      {
        env,
        onStderr: (line) => {
          stderrLines += 1;
          if (stderrLines <= 20) log(`  [${command.label}] ${line}`);
          else if (stderrLines === 21) log(`  [${command.label}] (further log lines not shown)`);
        },
      },
    );
    const exit = await sync.waitExit(SYNC_LIMIT_MS);
    machine.stop();
    if (exit.timedOut) problems.push(`killed after ${SYNC_LIMIT_MS / 60_000} minutes`);

    const reportLines = sync.stdoutLines.filter((line) => line.trim() !== "");
    if (reportLines.length !== 1) {
      problems.push(`stdout had ${reportLines.length} non-empty lines, expected one JSON report`);
    }
    let report: {
      status?: string;
      durationMs?: number;
      counts?: Record<string, number>;
    } & Record<string, unknown> = {};
    try {
      report = JSON.parse(reportLines.at(-1) ?? "{}");
    } catch {
      problems.push("stdout is not a JSON report");
    }
    let stats: {
      exitCode?: number;
      mainMs?: number;
      mainStartedAt?: number;
      maxRssKiB?: number;
      loadRssKiB?: number;
      loadMs?: number;
      mainCpuMs?: number;
      peaksMiB?: Record<string, number>;
      threadCpuMs?: { main: number; others: number } | null;
      gc?: Record<string, { count: number; ms: number }>;
    } = {};
    try {
      stats = JSON.parse(readFileSync(statsFile, "utf8"));
    } catch {
      problems.push("the sync process wrote no stats (it crashed or was killed)");
    }
    const gateway = await serviceStats(services.get("gateway"));
    const store = await serviceStats(services.get("store"));
    const ledger = await serviceStats(services.get("ledger"));

    const counts = report.counts ?? null;
    // Without a report there was no run to time (a configuration error exits at once).
    const wallMs = report.status === undefined ? null : (stats.mainMs ?? null);
    const peakKiB = stats.maxRssKiB ?? exit.polledPeakKiB;
    if (report.status !== "SUCCEEDED") problems.push(`status ${report.status ?? "missing"}`);
    if (counts?.cancelled !== expected) {
      problems.push(`cancelled ${counts?.cancelled ?? "?"}, expected ${expected}`);
    }
    if (num(gateway.effectiveCancels) !== expected) {
      problems.push(`the simulator saw ${String(gateway.effectiveCancels)} effective cancels`);
    }
    if (num(gateway.doubleCancels) !== 0) {
      problems.push(`${String(gateway.doubleCancels)} payments were cancelled twice`);
    }
    const at = (epoch: unknown, plus = 0) =>
      typeof epoch === "number" && stats.mainStartedAt !== undefined
        ? epoch + plus - stats.mainStartedAt
        : null;
    const phase = (from: unknown, to: unknown, toPlus = 0): PhaseCpu | null => {
      if (typeof from !== "number" || typeof to !== "number") return null;
      const end = to + toPlus;
      const used = (samples: readonly CpuSample[] | undefined) => {
        const ms = samples ? cpuBetween(samples, from, end) : null;
        return ms === null ? null : Math.round(ms);
      };
      const ours = {
        sync: used(sync.cpuSamples),
        gateway: used(services.get("gateway")?.child.cpuSamples),
        store: used(services.get("store")?.child.cpuSamples),
        ledger: used(services.get("ledger")?.child.cpuSamples),
      };
      const all = used(machine.samples);
      const sum = Object.values(ours).reduce<number>((total, ms) => total + (ms ?? 0), 0);
      return { ms: end - from, ...ours, other: all === null ? null : Math.max(0, all - sum) };
    };
    const mainEnd =
      stats.mainStartedAt === undefined || stats.mainMs === undefined
        ? undefined
        : stats.mainStartedAt + stats.mainMs;
    return {
      status: report.status ?? `no report (exit ${exit.code ?? exit.signal})`,
      exitCode: exit.code,
      wallMs,
      runMs: report.durationMs ?? null,
      processMs: exit.wallMs,
      loadMs: stats.loadMs ?? null,
      cpuMs: stats.mainCpuMs ?? null,
      cpuUsPerPayment:
        stats.mainCpuMs === undefined ? null : Math.round((stats.mainCpuMs * 10_000) / n) / 10,
      peakRssMiB: peakKiB === undefined ? null : Math.round(peakKiB / 1024),
      loadRssMiB: stats.loadRssKiB === undefined ? null : Math.round(stats.loadRssKiB / 1024),
      memoryPeaksMiB: stats.peaksMiB ?? null,
      threadCpuMs: stats.threadCpuMs ?? null,
      gc: stats.gc ?? null,
      paymentsPerSecond: wallMs === null ? null : Math.round(n / (wallMs / 1000)),
      counts,
      expectedCancelled: expected,
      effectiveCancels: num(gateway.effectiveCancels),
      doubleCancels: num(gateway.doubleCancels),
      timeline: {
        firstGatewayRequest: at(gateway.firstRequestAt),
        lastPageAnswered: at(gateway.lastPageAt, LATENCY_MS),
        firstCancel: at(gateway.firstCancelAt),
        lastCancelAnswered: at(gateway.lastCancelAt, LATENCY_MS),
        firstStoreQuery: at(store.firstAt),
        lastStoreQuery: at(store.lastAt),
        firstLedgerCall: at(ledger.firstAt),
        lastLedgerCall: at(ledger.lastAt),
        end: wallMs,
      },
      gateway,
      store,
      ledger,
      problems,
      phase,
      at,
      mainStartedAt: stats.mainStartedAt,
      mainEnd,
      report,
    };
  } finally {
    await stopServices(services.values());
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function runPaysync(n: number, syncEntry: string): Promise<PaysyncResult> {
  const {
    phase,
    at: _at,
    mainStartedAt,
    mainEnd,
    report: _report,
    ...measured
  } = await measure(n, syncEntry, { label: "sync" });
  const boundMs = lowerBoundMs(n);
  const { wallMs, cpuMs } = measured;
  return {
    ...measured,
    lambda512Ms:
      wallMs === null || cpuMs === null
        ? null
        : Math.round(Math.max(wallMs, cpuMs / LAMBDA_512_VCPU)),
    boundMs,
    ratio: wallMs === null ? null : wallMs / boundMs,
    cpu: {
      main: phase(mainStartedAt, mainEnd),
      pages: phase(measured.gateway.firstRequestAt, measured.gateway.lastPageAt, LATENCY_MS),
      cancels: phase(measured.gateway.firstCancelAt, measured.gateway.lastCancelAt, LATENCY_MS),
    },
  };
}

/**
 * `paysync backfill` over a week of N payments: the stack's state machine on
 * aws-local-stepfunctions in the sync process, judge pass then apply pass over 6-hour slices.
 */
async function runBackfill(
  n: number,
  syncEntry: string,
  singleRunWallMs: number | null,
): Promise<BackfillResult> {
  let window = { from: "", to: "" };
  const { phase, at, mainStartedAt, mainEnd, report, ...measured } = await measure(n, syncEntry, {
    label: "backfill",
    spanDays: BACKFILL_DAYS,
    args: (nowMs) => {
      const span = paidAtSpan(nowMs, BACKFILL_DAYS);
      window = { from: new Date(span.fromMs).toISOString(), to: new Date(span.toMs).toISOString() };
      return ["backfill", "--from", window.from, "--to", window.to, "--json"];
    },
  });
  // The window must hold every payment, each read and judged once per pass.
  if (measured.counts !== null && measured.counts.scanned !== n) {
    measured.problems.push(`scanned ${measured.counts.scanned}, expected all ${n}`);
  }
  const { gateway } = measured;
  const pageRequests = num(gateway.pageRequests);
  if (pageRequests === null || num(gateway.rereads) !== pageRequests / 2) {
    measured.problems.push(
      `${String(gateway.pageRequests)} page requests of which ${String(gateway.rereads)} re-reads: not one judge and one apply read of each page`,
    );
  }
  const { wallMs } = measured;
  return {
    n,
    days: BACKFILL_DAYS,
    window,
    slices: Array.isArray(report.slices) ? report.slices.length : null,
    ...measured,
    timeline: {
      ...measured.timeline,
      judgeLastPageAnswered: at(gateway.lastFirstReadAt, LATENCY_MS),
      applyFirstPage: at(gateway.firstRereadAt),
    },
    singleRunWallMs,
    toSingleRun:
      wallMs === null || singleRunWallMs === null || singleRunWallMs === 0
        ? null
        : wallMs / singleRunWallMs,
    cpu: {
      main: phase(mainStartedAt, mainEnd),
      setup: phase(mainStartedAt, gateway.firstRequestAt),
      judge: phase(gateway.firstRequestAt, gateway.lastFirstReadAt, LATENCY_MS),
      apply: phase(gateway.firstRereadAt, mainEnd),
    },
  };
}

// ---------------------------------------------------------------- baseline

async function runBaseline(n: number, limitMs: number): Promise<BaselineResult> {
  log(`N=${n}: fresh gateway and store for the seed-style baseline`);
  const services = await startServices(["gateway", "store"], n, Date.now());
  const scratch = mkdtempSync(path.join(os.tmpdir(), "paysync-bench-"));
  const statsFile = path.join(scratch, "seed-stats.json");
  const expected = expectedOrphans(n);
  const problems: string[] = [];
  try {
    log(`N=${n}: seed-style baseline (limit ${Math.round(limitMs / 1000)} s)`);
    let progress: Record<string, unknown> | null = null;
    const seed = spawnChild("seed-style", ["--import", "tsx", path.join(BENCH, "seed-style.ts")], {
      env: {
        ...baseEnv(),
        PG_BASE_URL: services.get("gateway")?.url,
        PG_API_KEY: API_KEY,
        STORE_DATABASE_URL: services.get("store")?.url,
        BENCH_STATS_FILE: statsFile,
      },
      onStderr: (line) => {
        try {
          const parsed = JSON.parse(line) as { progress?: Record<string, unknown> };
          if (parsed.progress) {
            progress = parsed.progress;
            const pages = parsed.progress.pages;
            // Kept at every line, shown at every 1,000th page and at each new phase.
            if (typeof pages !== "number" || pages % 1000 === 0) {
              log(`  [seed-style] ${JSON.stringify(parsed.progress)}`);
            }
            return;
          }
        } catch {
          // not a progress line
        }
        log(`  [seed-style] ${line}`);
      },
    });
    const exit = await seed.waitExit(limitMs);
    const gateway = await serviceStats(services.get("gateway"));
    let stats: { maxRssKiB?: number } = {};
    let outcome: {
      scanned?: number;
      cancelled?: number;
      wallMs?: number;
      pagesMs?: number;
      ordersMs?: number;
      joinAndCancelMs?: number;
    } = {};
    if (!exit.timedOut) {
      try {
        stats = JSON.parse(readFileSync(statsFile, "utf8"));
        outcome = JSON.parse(seed.stdoutLines.at(-1) ?? "{}");
      } catch {
        problems.push(`exited ${exit.code ?? exit.signal} without a result`);
      }
    }
    const finished = !exit.timedOut && outcome.wallMs !== undefined;
    if (finished && outcome.cancelled !== expected) {
      problems.push(`cancelled ${outcome.cancelled}, expected ${expected}`);
    }
    const peakKiB = stats.maxRssKiB ?? exit.polledPeakKiB;
    return {
      finished,
      wallMs: finished ? (outcome.wallMs ?? null) : null,
      processMs: exit.wallMs,
      limitMs,
      peakRssMiB: peakKiB === undefined ? null : Math.round(peakKiB / 1024),
      scanned: outcome.scanned ?? null,
      cancelled: outcome.cancelled ?? null,
      effectiveCancels: num(gateway.effectiveCancels),
      progress: finished ? null : progress,
      phases: finished
        ? {
            pagesMs: outcome.pagesMs ?? 0,
            ordersMs: outcome.ordersMs ?? 0,
            joinAndCancelMs: outcome.joinAndCancelMs ?? 0,
          }
        : null,
      problems,
    };
  } finally {
    await stopServices(services.values());
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- reporting

const seconds = (ms: number | null) => (ms === null ? "?" : `${(ms / 1000).toFixed(2)} s`);

/** "(12.3 s): sync 95 %, gateway 40 %, …" — each process's share of one core. */
function cpuLine(c: PhaseCpu): string {
  const share = (ms: number | null) => (ms === null ? "?" : `${Math.round((ms / c.ms) * 100)} %`);
  const total = [c.sync, c.gateway, c.store, c.ledger].reduce<number>(
    (sum, ms) => sum + (ms ?? 0),
    0,
  );
  return (
    `(${seconds(c.ms)}): sync ${share(c.sync)}, simulator ${share(c.gateway)}, ` +
    `store ${share(c.store)}, ledger ${share(c.ledger)}, anything else ${share(c.other)} of one core; ` +
    `the bench's processes used ${Math.round((total / (c.ms * os.cpus().length)) * 100)} % of the machine`
  );
}

function describeRow(row: Row): void {
  const p = row.paysync;
  const t = p.timeline;
  log(
    `N=${row.n}: paysync ${p.status} in ${seconds(p.wallMs)} (bound ${seconds(p.boundMs)}, ` +
      `ratio ${p.ratio?.toFixed(2) ?? "?"}), peak RSS ${p.peakRssMiB ?? "?"} MiB (${p.loadRssMiB ?? "?"} after loading), ` +
      `cancelled ${p.counts?.cancelled ?? "?"}/${p.expectedCancelled}, ` +
      `sync CPU ${seconds(p.cpuMs)} (${p.cpuUsPerPayment ?? "?"} µs a payment; ${seconds(p.lambda512Ms)} on a 512 MB Lambda)`,
  );
  const m = p.memoryPeaksMiB;
  if (m) {
    log(
      `  memory peaks during main(): RSS ${m.rss} MiB, JS heap ${m.heapTotal} MiB (${m.heapUsed} used), ` +
        `array buffers ${m.arrayBuffers} MiB`,
    );
  }
  if (p.threadCpuMs) {
    log(
      `  CPU by thread, loading included: main ${seconds(p.threadCpuMs.main)}, ` +
        `V8's background threads and the rest ${seconds(p.threadCpuMs.others)}`,
    );
  }
  if (p.gc) {
    const kinds = Object.entries(p.gc).map(
      ([kind, { count, ms }]) => `${count} ${kind} (${seconds(ms)})`,
    );
    log(`  garbage collections during main(): ${kinds.join(", ")}`);
  }
  log(
    `  where the time went (s from main()): first gateway call ${seconds(t.firstGatewayRequest ?? null)}, ` +
      `last page answered ${seconds(t.lastPageAnswered ?? null)}, cancels ${seconds(t.firstCancel ?? null)}` +
      ` → ${seconds(t.lastCancelAnswered ?? null)}, end ${seconds(t.end ?? null)}`,
  );
  log(
    `  store: ${String(p.store.statements ?? "?")} statements, busy ${seconds(num(p.store.busyMs))}` +
      ` (${seconds(t.firstStoreQuery ?? null)} → ${seconds(t.lastStoreQuery ?? null)}); ` +
      `ledger: ${String(p.ledger.operations ?? "?")} calls, busy ${seconds(num(p.ledger.busyMs))}` +
      ` (${seconds(t.firstLedgerCall ?? null)} → ${seconds(t.lastLedgerCall ?? null)}); ` +
      `gateway: ${String(p.gateway.requests ?? "?")} requests, at most ${String(p.gateway.maxPerSecond ?? "?")} in a second`,
  );
  const operations = Object.entries(
    (p.ledger.byOperation ?? {}) as Record<string, { count: number; meanMs: number }>,
  )
    .map(([name, op]) => `${name} ${op.count}× ${op.meanMs} ms`)
    .join(", ");
  log(
    `  in flight at most: pages ${String(p.gateway.maxPagesInFlight ?? "?")}, cancels ` +
      `${String(p.gateway.maxCancelsInFlight ?? "?")} (gateway); ledger ${String(p.ledger.maxInFlight ?? "?")} ` +
      `(${operations || "no calls"}, as dynalite timed them)`,
  );
  for (const name of ["pages", "cancels", "main"] as const) {
    const c = p.cpu[name];
    if (c) log(`  CPU while ${name === "main" ? "main() ran" : `${name} ran`} ${cpuLine(c)}`);
  }
  const other = p.cpu.main?.other;
  if (other != null && p.cpu.main && other > 0.15 * p.cpu.main.ms) {
    loudly(
      `N=${row.n}: other processes used ${seconds(other)} of CPU while the sync ran ` +
        `(${Math.round((other / p.cpu.main.ms) * 100)} % of a core): the machine was not quiet`,
    );
  }
  if (p.problems.length > 0) loudly(`N=${row.n}: paysync: ${p.problems.join("; ")}`);
  const b = row.baseline;
  if (b) {
    log(
      b.finished
        ? `N=${row.n}: baseline finished in ${seconds(b.wallMs)}, peak RSS ${b.peakRssMiB ?? "?"} MiB, cancelled ${b.cancelled}` +
            ` (pages ${seconds(b.phases?.pagesMs ?? null)}, orders ${seconds(b.phases?.ordersMs ?? null)}, join+cancel ${seconds(b.phases?.joinAndCancelMs ?? null)})`
        : `N=${row.n}: baseline did not finish within ${seconds(b.limitMs)} (last progress ${JSON.stringify(b.progress)}), peak RSS so far ${b.peakRssMiB ?? "?"} MiB`,
    );
    if (b.problems.length > 0) loudly(`N=${row.n}: baseline: ${b.problems.join("; ")}`);
  }
}

function describeBackfill(b: BackfillResult): void {
  const t = b.timeline;
  log(
    `backfill N=${b.n} over ${b.days} days: ${b.status} in ${seconds(b.wallMs)} ` +
      `(${b.toSingleRun === null ? "no single run at this N" : `${b.toSingleRun.toFixed(2)}× the single run`}), ` +
      `${b.slices ?? "?"} slices, peak RSS ${b.peakRssMiB ?? "?"} MiB (${b.loadRssMiB ?? "?"} after loading), ` +
      `cancelled ${b.counts?.cancelled ?? "?"}/${b.expectedCancelled} (simulator: ${b.effectiveCancels ?? "?"}, ` +
      `${b.doubleCancels ?? "?"} twice), CPU ${seconds(b.cpuMs)} (${b.cpuUsPerPayment ?? "?"} µs a payment)`,
  );
  log(
    `  where the time went (s from main()): first gateway call ${seconds(t.firstGatewayRequest ?? null)}, ` +
      `judge pass's last page ${seconds(t.judgeLastPageAnswered ?? null)}, apply pass from ${seconds(t.applyFirstPage ?? null)}, ` +
      `cancels ${seconds(t.firstCancel ?? null)} → ${seconds(t.lastCancelAnswered ?? null)}, end ${seconds(t.end ?? null)}; ` +
      `gateway: ${String(b.gateway.requests ?? "?")} requests, at most ${String(b.gateway.maxPerSecond ?? "?")} in a second, ` +
      `${String(b.gateway.maxPagesInFlight ?? "?")} pages in flight`,
  );
  for (const name of ["setup", "judge", "apply", "main"] as const) {
    const c = b.cpu[name];
    if (c) log(`  CPU during ${name} ${cpuLine(c)}`);
  }
  if (b.problems.length > 0) loudly(`backfill N=${b.n}: ${b.problems.join("; ")}`);
}

async function main(): Promise<number> {
  installReaper(log);
  const sizes = parseSizes(process.env.BENCH_SIZES);
  const backfillN = backfillSize(sizes);
  const withBaseline = (process.env.BENCH_BASELINE ?? "on").toLowerCase() !== "off";
  const limitMs = parseSeconds("BENCH_BASELINE_LIMIT_S", 600) * 1000;
  const results: Results = {
    machine: machine(),
    settings: {
      pageSize: PAGE_SIZE,
      latencyMs: LATENCY_MS,
      concurrency: CONCURRENCY,
      maxRps: MAX_RPS,
      orderChunkSize: ORDER_CHUNK_SIZE,
      orphanShare: "0.1 %",
      baselineLimitS: limitMs / 1000,
      sync: "esbuild bundle of local/cli.ts, run as `paysync sync --once --json`",
      syncNodeFlags: NODE_FLAGS,
      ...(backfillN === null
        ? {}
        : {
            backfill: `the same bundle, run as \`paysync backfill --from --to --json\` over ${BACKFILL_DAYS} days of N = ${backfillN} payments`,
          }),
    },
    rows: [],
    backfill: null,
  };
  log(
    `sizes ${sizes.join(", ")}${backfillN === null ? "" : `; backfill of ${backfillN}`}; ${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}`,
  );
  const syncEntry = await buildSync(ROOT, path.join(BENCH, ".build"));
  log(
    `bundled the sync into ${path.relative(ROOT, syncEntry)}; it runs with ${NODE_FLAGS.join(" ")}`,
  );
  const backfill = async (singleRunWallMs: number | null) => {
    if (backfillN === null) return;
    results.backfill = await runBackfill(backfillN, syncEntry, singleRunWallMs);
    describeBackfill(results.backfill);
  };
  for (const n of sizes) {
    const paysync = await runPaysync(n, syncEntry);
    // Next to the single run it is compared with, before the baseline's long minutes.
    if (n === backfillN && results.backfill === null) await backfill(paysync.wallMs);
    const baseline = withBaseline ? await runBaseline(n, limitMs) : null;
    const row = { n, paysync, baseline };
    results.rows.push(row);
    describeRow(row);
  }

  if (backfillN !== null && results.backfill === null) await backfill(null);

  const table = formatTable(results);
  process.stdout.write(`\n${table}\n`);
  writeFileSync(path.join(BENCH, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(BENCH, "results.svg"), renderChart(results));
  const readme = path.join(ROOT, "README.md");
  writeFileSync(readme, updateReadme(readFileSync(readme, "utf8"), results));
  log("wrote bench/results.json, bench/results.svg and the README's Benchmark section");

  const failed = results.rows.filter((row) => row.paysync.problems.length > 0);
  if (failed.length > 0) {
    loudly(`paysync did not do the expected work at N = ${failed.map((r) => r.n).join(", ")}`);
    return 1;
  }
  if (results.backfill && results.backfill.problems.length > 0) {
    loudly(`the backfill did not do the expected work: ${results.backfill.problems.join("; ")}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
