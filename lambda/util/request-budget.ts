/**
 * One budget for every gateway call: at most `concurrency` in flight and at most `maxRps`
 * started in any one-second span. Page reads, retries and cancels all draw from it, so no
 * mix of them can burst past what the gateway allows.
 */
export interface RequestBudget {
  run<T>(request: () => Promise<T>): Promise<T>;
}

export interface RequestBudgetOptions {
  readonly concurrency: number;
  readonly maxRps: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Extra time on top of each second, for the jitter between leaving here and arriving there. */
  readonly slackMs?: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const { concurrency, maxRps } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const span = 1000 + (options.slackMs ?? 20);
  if (!(concurrency >= 1 && maxRps >= 1))
    throw new RangeError("concurrency and maxRps must be >= 1");

  let inFlight = 0;
  const slotWaiters: Array<() => void> = [];
  // A token bucket that holds one token: starts are paced evenly, `interval` apart, so no
  // burst can form. A bucket that let `maxRps` go at once would, after a little network
  // jitter, let the gateway count `maxRps + 1` in a one-second span.
  const interval = span / maxRps;
  let nextStart = Number.NEGATIVE_INFINITY;
  let rateGate: Promise<void> = Promise.resolve();

  async function takeSlot(): Promise<void> {
    if (inFlight < concurrency) {
      inFlight++;
      return;
    }
    // The releasing request hands its slot over directly, so inFlight never overshoots.
    await new Promise<void>((resolve) => slotWaiters.push(resolve));
  }

  function releaseSlot(): void {
    const next = slotWaiters.shift();
    if (next) next();
    else inFlight--;
  }

  async function waitForRate(): Promise<void> {
    for (;;) {
      const wait = nextStart - now();
      // Below the clock's millisecond, a timer would only add its own delay.
      if (wait < 1) break;
      await sleep(wait);
    }
    nextStart = Math.max(now(), nextStart) + interval;
  }

  function takeRate(): Promise<void> {
    // Serialised, so waiters leave in arrival order and each sees the previous start.
    const mine = rateGate.then(waitForRate);
    rateGate = mine.catch(() => {});
    return mine;
  }

  return {
    async run<T>(request: () => Promise<T>): Promise<T> {
      await takeSlot();
      try {
        await takeRate();
        return await request();
      } finally {
        releaseSlot();
      }
    },
  };
}
