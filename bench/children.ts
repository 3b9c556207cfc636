// Child processes for the bench: every one is tracked and killed when the bench ends, however
// it ends; each wait is bounded; peak RSS can be read from /proc while a child lives.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}

let installed = false;
/** Once: no child outlives the bench, on a normal exit, a signal or a crash. */
export function installReaper(log: (line: string) => void): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping ${live.size} child process(es)`);
      killAll();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (error) => {
    log(`crashed: ${error.stack ?? error.message}`);
    killAll();
    process.exit(1);
  });
  process.on("unhandledRejection", (reason) => {
    log(`crashed: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
    killAll();
    process.exit(1);
  });
}

/** VmHWM (peak resident set) of a live process in KiB, from /proc; undefined elsewhere. */
export function peakRssKiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** Cumulative user + system CPU of a process at a moment (epoch ms). */
export interface CpuSample {
  at: number;
  cpuMs: number;
}

// Linux's USER_HZ: /proc/<pid>/stat counts CPU in ticks of 10 ms.
const MS_PER_TICK = 10;

/** Cumulative CPU of a live process from /proc/<pid>/stat; undefined elsewhere. */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)": state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** CPU the whole machine has spent busy (all cores, all processes) from /proc/stat. */
export function machineCpuMs(): number | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    // cpu user nice system idle iowait irq softirq steal …
    const [user, nice, system, , , irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
      (sum, v) => sum + (v ?? 0),
      0,
    );
    return busy * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** Samples the machine's busy CPU every 100 ms until stopped. */
export function sampleMachine(): { samples: readonly CpuSample[]; stop(): void } {
  const samples: CpuSample[] = [];
  const take = () => {
    const cpuMs = machineCpuMs();
    if (cpuMs !== undefined) samples.push({ at: Date.now(), cpuMs });
  };
  take();
  const timer = setInterval(take, 100);
  timer.unref();
  return { samples, stop: () => clearInterval(timer) };
}

/** CPU used between two moments, interpolated between samples. */
export function cpuBetween(samples: readonly CpuSample[], from: number, to: number): number | null {
  if (samples.length < 2 || to <= from) return null;
  const at = (moment: number): number => {
    const first = samples[0] as CpuSample;
    if (moment <= first.at) return first.cpuMs;
    for (let i = 1; i < samples.length; i += 1) {
      const next = samples[i] as CpuSample;
      if (moment <= next.at) {
        const prev = samples[i - 1] as CpuSample;
        const share = (moment - prev.at) / (next.at - prev.at || 1);
        return prev.cpuMs + share * (next.cpuMs - prev.cpuMs);
      }
    }
    return (samples.at(-1) as CpuSample).cpuMs;
  };
  return at(to) - at(from);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the bench killed it for running past its time limit. */
  timedOut: boolean;
  /** Wall time from spawn to exit. */
  wallMs: number;
  /** The last VmHWM read while it lived (polled, and read once more before a kill). */
  polledPeakKiB: number | undefined;
}

export interface Child {
  readonly name: string;
  readonly pid: number | undefined;
  /** The next stdout line that satisfies `accept`, or a rejection after `timeoutMs`. */
  nextLine(accept: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Every stdout line so far. */
  readonly stdoutLines: readonly string[];
  /** Its CPU, read from /proc every 100 ms while it lives (Linux only). */
  readonly cpuSamples: readonly CpuSample[];
  write(line: string): void;
  /** Resolves at exit; kills the child (SIGKILL) if it is still running after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<Exit>;
  kill(): void;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  /** Each stderr line, for progress and logs. */
  onStderr?: (line: string) => void;
}

export function spawnChild(name: string, args: readonly string[], options: SpawnOptions): Child {
  const began = performance.now();
  const proc = spawn(process.execPath, [...args], {
    env: options.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  live.add(proc);
  const stdoutLines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  let polledPeakKiB: number | undefined;
  const cpuSamples: CpuSample[] = [];
  const poll = () => {
    polledPeakKiB = peakRssKiB(proc.pid) ?? polledPeakKiB;
    const cpuMs = cpuMsOf(proc.pid);
    if (cpuMs !== undefined) cpuSamples.push({ at: Date.now(), cpuMs });
  };
  const poller = setInterval(poll, 100);
  poller.unref();

  createInterface({ input: proc.stdout }).on("line", (line) => {
    stdoutLines.push(line);
    for (const waiter of [...waiters]) waiter(line);
  });
  createInterface({ input: proc.stderr }).on("line", (line) => options.onStderr?.(line));
  // A child that exits early closes its stdin; writing then must not crash the bench.
  proc.stdin.on("error", () => {});

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  const exited = new Promise<void>((resolve) => {
    proc.once("exit", (code, signal) => {
      exitInfo = { code, signal, at: performance.now() };
      clearInterval(poller);
      live.delete(proc);
      for (const waiter of [...waiters]) waiter("");
      resolve();
    });
    proc.once("error", (error) => {
      options.onStderr?.(`${name}: ${error.message}`);
    });
  });

  return {
    name,
    pid: proc.pid,
    stdoutLines,
    cpuSamples,
    nextLine(accept, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: no answer within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        const waiter = (line: string) => {
          if (exitInfo) {
            clearTimeout(timer);
            waiters.delete(waiter);
            reject(
              new Error(`${name} exited (${exitInfo.code ?? exitInfo.signal}) before answering`),
            );
          } else if (accept(line)) {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(line);
          }
        };
        waiters.add(waiter);
        if (exitInfo) waiter("");
      });
    },
    write(line) {
      if (!exitInfo && proc.stdin.writable) proc.stdin.write(`${line}\n`);
    },
    async waitExit(timeoutMs) {
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        poll();
        proc.kill("SIGKILL");
      }, timeoutMs);
      await exited;
      clearTimeout(timer);
      const info = exitInfo as NonNullable<typeof exitInfo>;
      return {
        code: info.code,
        signal: info.signal,
        timedOut,
        wallMs: Math.round(info.at - began),
        polledPeakKiB,
      };
    },
    kill() {
      if (!exitInfo) {
        poll();
        proc.kill("SIGKILL");
      }
    },
  };
}
