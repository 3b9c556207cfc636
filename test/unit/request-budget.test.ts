import { describe, expect, it } from "vitest";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";

/** A clock that only moves when the budget sleeps (or the test advances it). */
function fakeTime(start = 1_000_000) {
  let clock = start;
  const sleeps: number[] = [];
  return {
    now: () => clock,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    },
    advance: (ms: number) => {
      clock += ms;
    },
    sleeps,
  };
}

/** The most starts that fall in any half-open span `[t, t + spanMs)`. */
function maxStartsInAnySpan(starts: readonly number[], spanMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= spanMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("createRequestBudget: rate", () => {
  it("starts no more than maxRps requests in any 1000 ms span", async () => {
    const time = fakeTime();
    const budget = createRequestBudget({
      concurrency: 50,
      maxRps: 7,
      now: time.now,
      sleep: time.sleep,
    });
    const starts: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        budget.run(async () => {
          starts.push(time.now());
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(starts).toHaveLength(50);
    expect(maxStartsInAnySpan(starts, 1000)).toBe(7);
    // Sliding, not per-bucket: every 8th start is at least a second after the one 7 before.
    for (let i = 7; i < starts.length; i++) {
      expect((starts[i] as number) - (starts[i - 7] as number)).toBeGreaterThanOrEqual(1000);
    }
    // Starts leave in order, and the budget does not throttle much harder than it must:
    // 50 requests at 7/s need 7 full spans after the first batch.
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    const elapsed = (starts[49] as number) - (starts[0] as number);
    expect(elapsed).toBeGreaterThanOrEqual(7 * 1000);
    expect(elapsed).toBeLessThan(7 * 1100);
  });

  it("paces starts evenly, so no burst forms even with idle capacity", async () => {
    const time = fakeTime();
    const budget = createRequestBudget({
      concurrency: 3,
      maxRps: 7,
      now: time.now,
      sleep: time.sleep,
    });
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, () =>
        budget.run(async () => {
          starts.push(time.now());
        }),
      ),
    );
    expect(starts).toHaveLength(20);
    expect(maxStartsInAnySpan(starts, 1000)).toBeLessThanOrEqual(7);
    for (let i = 1; i < starts.length; i++) {
      expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(1000 / 7);
    }
  });

  it("starts at once after an idle spell, without a catch-up burst", async () => {
    const time = fakeTime();
    const budget = createRequestBudget({
      concurrency: 100,
      maxRps: 5,
      now: time.now,
      sleep: time.sleep,
    });
    const starts: number[] = [];
    const request = () =>
      budget.run(async () => {
        starts.push(time.now());
      });
    await Promise.all([request(), request(), request()]);
    time.advance(5000);
    const resumed = time.now();
    await Promise.all(Array.from({ length: 6 }, request));
    expect(starts[3]).toBe(resumed);
    expect(new Set(starts).size).toBe(starts.length);
    expect(maxStartsInAnySpan(starts, 1000)).toBeLessThanOrEqual(5);
  });

  it("throttles retries and failures too: a rejected request still counts as a start", async () => {
    const time = fakeTime();
    const budget = createRequestBudget({
      concurrency: 10,
      maxRps: 2,
      now: time.now,
      sleep: time.sleep,
    });
    const starts: number[] = [];
    const settled = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        budget.run(async () => {
          starts.push(time.now());
          if (i % 2 === 0) throw new Error(`boom ${i}`);
          return i;
        }),
      ),
    );
    expect(settled.map((s) => s.status)).toEqual([
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(maxStartsInAnySpan(starts, 1000)).toBe(2);
  });
});

describe("createRequestBudget: concurrency", () => {
  it("runs at most `concurrency` at once, and uses all of them when there is work", async () => {
    const budget = createRequestBudget({ concurrency: 4, maxRps: 10_000 });
    let inFlight = 0;
    let maxInFlight = 0;
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        budget.run(async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          // Later requests finish sooner, so completion order differs from call order.
          await tick(1 + ((24 - i) % 5));
          inFlight--;
          return `r${i}`;
        }),
      ),
    );
    expect(maxInFlight).toBe(4);
    expect(inFlight).toBe(0);
    expect(results).toEqual(Array.from({ length: 24 }, (_, i) => `r${i}`));
  });

  it("runs everything at once when concurrency exceeds the work", async () => {
    const budget = createRequestBudget({ concurrency: 16, maxRps: 10_000 });
    let inFlight = 0;
    let maxInFlight = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        budget.run(async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await tick(2);
          inFlight--;
        }),
      ),
    );
    expect(maxInFlight).toBe(5);
  });

  it("frees the slot of a request that rejects", async () => {
    const budget = createRequestBudget({ concurrency: 1, maxRps: 10_000 });
    const failing = budget.run(async () => {
      await tick(1);
      throw new Error("gateway down");
    });
    const next = budget.run(async () => "after");
    await expect(failing).rejects.toThrow("gateway down");
    await expect(next).resolves.toBe("after");
  });

  it("frees the slot of a request that throws synchronously", async () => {
    const budget = createRequestBudget({ concurrency: 1, maxRps: 10_000 });
    const failing = budget.run((): Promise<string> => {
      throw new Error("sync throw");
    });
    const next = budget.run(async () => "after");
    await expect(failing).rejects.toThrow("sync throw");
    await expect(next).resolves.toBe("after");
  });

  it("keeps the concurrency bound while failures hand their slots over", async () => {
    const budget = createRequestBudget({ concurrency: 2, maxRps: 10_000 });
    let inFlight = 0;
    let maxInFlight = 0;
    const settled = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        budget.run(async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await tick(1);
          inFlight--;
          if (i < 8) throw new Error(`fail ${i}`);
          return i;
        }),
      ),
    );
    expect(settled.filter((s) => s.status === "rejected")).toHaveLength(8);
    expect(settled.slice(8)).toEqual(
      [8, 9, 10, 11].map((value) => ({ status: "fulfilled", value })),
    );
    expect(maxInFlight).toBe(2);
    // The budget is still usable afterwards, with both slots.
    let after = 0;
    let maxAfter = 0;
    await Promise.all(
      Array.from({ length: 4 }, () =>
        budget.run(async () => {
          after++;
          maxAfter = Math.max(maxAfter, after);
          await tick(1);
          after--;
        }),
      ),
    );
    expect(maxAfter).toBe(2);
  });

  it("refuses a budget that could never run anything", () => {
    expect(() => createRequestBudget({ concurrency: 0, maxRps: 5 })).toThrow(RangeError);
    expect(() => createRequestBudget({ concurrency: 5, maxRps: 0 })).toThrow(RangeError);
  });
});
