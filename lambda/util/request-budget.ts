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
  /**
   * Extra spacing on top of one second. Requests leave here in order but reach the gateway
   * with a little network jitter; without slack the gateway could count `maxRps + 1` in a span.
   */
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
  // Start times of the most recent `maxRps` requests: a sliding log, so the limit holds
  // for every span, not just on average.
  const starts: number[] = [];
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
      const oldest = starts.length < maxRps ? undefined : starts[starts.length - maxRps];
      const wait = oldest === undefined ? 0 : oldest + span - now();
      if (wait <= 0) break;
      await sleep(wait);
    }
    starts.push(now());
    if (starts.length > maxRps) starts.splice(0, starts.length - maxRps);
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
