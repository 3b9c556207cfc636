import { describe, expect, it } from "vitest";
import type { Payment } from "../../lambda/core/model.ts";
import { cursorPages, numberedPages } from "../../lambda/gateways/paging.ts";
import { ListingStopped } from "../../lambda/ports/gateway.ts";

const pay = (n: number): Payment => ({
  pgUid: `P${n}`,
  storeOrderId: String(n),
  amount: 1,
  currency: "KRW",
  status: "paid",
  paidAt: n,
});

async function collect(pages: AsyncIterable<readonly Payment[]>): Promise<string[][]> {
  const out: string[][] = [];
  for await (const page of pages) out.push(page.map((p) => p.pgUid));
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("numberedPages", () => {
  it("yields pages in order while at most `concurrency` requests are in flight", async () => {
    let inFlight = 0;
    let most = 0;
    const pages = numberedPages(
      { totalPages: 6, totalCount: 6 },
      async (n) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(7 - n);
        inFlight--;
        return [pay(n)];
      },
      { concurrency: 3, stop: () => false },
    );
    expect(await collect(pages)).toEqual([["P1"], ["P2"], ["P3"], ["P4"], ["P5"], ["P6"]]);
    expect(most).toBe(3);
  });

  it("throws the first failure in page order and asks for nothing after it", async () => {
    const asked: number[] = [];
    const pages = numberedPages(
      { totalPages: 10 },
      async (n) => {
        asked.push(n);
        if (n === 2) throw new Error("page 2 failed");
        return [pay(n)];
      },
      { concurrency: 2, stop: () => false },
    );
    await expect(collect(pages)).rejects.toThrow("page 2 failed");
    expect(Math.max(...asked)).toBeLessThanOrEqual(4);
  });

  it("fails when the pages disagree with the gateway's count", async () => {
    const pages = numberedPages({ totalPages: 2, totalCount: 5 }, async (n) => [pay(n)], {
      concurrency: 2,
      stop: () => false,
    });
    await expect(collect(pages)).rejects.toThrow(/counted 5 payments but its pages held 2/);
  });

  it("stops with ListingStopped once told to", async () => {
    let stop = false;
    const pages = numberedPages(
      { totalPages: 10 },
      async (n) => {
        if (n === 3) stop = true;
        return [pay(n)];
      },
      { concurrency: 1, stop: () => stop },
    );
    await expect(collect(pages)).rejects.toBeInstanceOf(ListingStopped);
  });
});

describe("cursorPages", () => {
  it("passes each page's cursor to the next request and ends on `undefined`", async () => {
    const cursors: (string | undefined)[] = [];
    const pages = cursorPages<string>(
      async (cursor, n) => {
        cursors.push(cursor);
        return { payments: [pay(n)], next: n < 3 ? `after-${n}` : undefined };
      },
      { concurrency: 8, stop: () => false },
    );
    expect(await collect(pages)).toEqual([["P1"], ["P2"], ["P3"]]);
    expect(cursors).toEqual([undefined, "after-1", "after-2"]);
  });

  it("stops with ListingStopped once told to", async () => {
    const pages = cursorPages<number>(async (_c, n) => ({ payments: [pay(n)], next: n }), {
      concurrency: 1,
      stop: () => true,
    });
    await expect(collect(pages)).rejects.toBeInstanceOf(ListingStopped);
  });
});
