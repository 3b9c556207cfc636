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
  const poll = () => {
    polledPeakKiB = peakRssKiB(proc.pid) ?? polledPeakKiB;
  };
  const poller = setInterval(poll, 250);
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
