import { fx, range } from "@fxts/core";
import { describe, expect, it } from "vitest";
import { orderedPool } from "../../lambda/util/ordered-pool.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("orderedPool", () => {
  it("keeps up to `concurrency` calls in flight and yields in source order", async () => {
    let running = 0;
    let most = 0;
    const work = async (i: number) => {
      running++;
      most = Math.max(most, running);
      await sleep((7 - (i % 7)) * 3);
      running--;
      return i * 10;
    };
    const out = await fx(range(0, 30)).toAsync().chain(orderedPool(4, work)).toArray();
    expect(out).toEqual(Array.from({ length: 30 }, (_, i) => i * 10));
    expect(most).toBe(4);
  });

  it("starts nothing past what the consumer takes", async () => {
    const started: number[] = [];
    const pulled = await fx(range(0, 100))
      .toAsync()
      .chain(
        orderedPool(3, async (i: number) => {
          started.push(i);
          return i;
        }),
      )
      .take(5)
      .toArray();
    expect(pulled).toEqual([0, 1, 2, 3, 4]);
    expect(started.length).toBeLessThanOrEqual(5 + 3);
  });

  it("refuses a concurrency below 1", () => {
    expect(() => orderedPool(0, async (x: number) => x)).toThrow(RangeError);
  });
});
