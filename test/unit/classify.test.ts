import { describe, expect, it } from "vitest";
import { judgeAccepted, triage } from "../../lambda/core/classify.ts";
import type { Payment } from "../../lambda/core/model.ts";
import { createWindowJudge } from "../../lambda/core/window-judge.ts";
import { MemoryOrderStore } from "../support/memory-ports.ts";
import { NOW, payment, type TestOrder } from "../support/payments.ts";

const graceStart = NOW - 30 * 60_000;

describe("triage", () => {
  it("judges only paid payments older than the grace period", () => {
    expect(triage(payment("A", 1, 100), graceStart)).toBe("judge");
    expect(triage(payment("A", 1, 100, { paidAt: graceStart }), graceStart)).toBe("inGrace");
    expect(triage(payment("A", 1, 100, { status: "cancelled" }), graceStart)).toBe("ignored");
    expect(triage(payment("A", 1, 100, { status: "refund_pending" }), graceStart)).toBe("ignored");
  });
});

describe("judgeAccepted", () => {
  it("matches equal amounts and flags a differing one, never cancelling it", () => {
    expect(judgeAccepted(payment("A", 1, 100), { id: "1", amount: 100 }).kind).toBe("matched");
    const verdict = judgeAccepted(payment("PG13", 3, 15000), { id: "3", amount: 25000 });
    expect(verdict.kind === "mismatch" && verdict.finding).toMatchObject({
      kind: "AMOUNT_MISMATCH",
      pgUid: "PG13",
      storeOrderId: "3",
      pgAmount: 15000,
      orderAmount: 25000,
    });
  });
});

/** Streams pages through the window judge, as runSync does. */
async function judgeWindow(pages: Payment[][], orders: TestOrder[], chunk = 500) {
  const judge = createWindowJudge({
    store: new MemoryOrderStore(orders),
    orderChunkSize: chunk,
    graceStart,
    orphanKeep: 1000,
    findingKeep: 1000,
    watched: new Set(),
    beforeLookup: () => {},
  });
  for (const page of pages) await judge.addPage(page);
  return judge.finish();
}

const at = (minutesAgo: number) => ({ paidAt: NOW - minutesAgo * 60_000 });

describe("the window judge", () => {
  it("calls payments of a missing or unpaid order orphans", async () => {
    const verdict = await judgeWindow(
      [[payment("A", 1, 100, at(90)), payment("B", 2, 100, at(80))]],
      [{ id: "2", amount: 100, paid: false }],
    );
    expect(verdict.orphans.map((p) => p.pgUid)).toEqual(["A", "B"]);
    expect(verdict.counts).toMatchObject({ scanned: 2, orphans: 2, matched: 0 });
  });

  it("presumes the earliest of two payments accepted and flags the other, even chunks apart", async () => {
    const pages = [
      [payment("B", 7, 100, at(90)), payment("X", 8, 100, at(85))],
      [payment("Y", 9, 100, at(84)), payment("A", 7, 100, at(80))],
    ];
    const orders = [7, 8, 9].map((id) => ({ id: String(id), amount: 100 }));
    const verdict = await judgeWindow(pages, orders, 1);
    expect(verdict.counts).toMatchObject({ scanned: 4, matched: 3, duplicates: 1, orphans: 0 });
    expect(verdict.flagged).toEqual([
      expect.objectContaining({
        kind: "DUPLICATE_PAYMENT",
        pgUid: "A",
        storeOrderId: "7",
        otherPgUids: ["B"],
      }),
    ]);
  });

  it("lists every other payment of the order on each duplicate", async () => {
    const pages = [
      [payment("A", 7, 100, at(90)), payment("B", 7, 100, at(80)), payment("C", 7, 100, at(70))],
    ];
    const verdict = await judgeWindow(pages, [{ id: "7", amount: 100 }]);
    expect(verdict.flagged.map((f) => [f.pgUid, f.otherPgUids])).toEqual([
      ["B", ["A", "C"]],
      ["C", ["A", "B"]],
    ]);
  });

  it("breaks a paid_at tie by pg_uid", async () => {
    const pages = [[payment("C", 7, 100), payment("A", 7, 100), payment("B", 7, 100)]];
    const verdict = await judgeWindow(pages, [{ id: "7", amount: 100 }]);
    expect(verdict.flagged.map((f) => f.otherPgUids?.[0])).toEqual(["A", "A"]);
  });

  it("makes the payments an order did not accept orphans when the store names the accepted one", async () => {
    const pages = [[payment("A", 7, 100, at(90)), payment("B", 7, 100, at(80))]];
    const verdict = await judgeWindow(pages, [{ id: "7", amount: 100, pgUid: "B" }]);
    expect(verdict.orphans.map((p) => p.pgUid)).toEqual(["A"]);
    expect(verdict.counts).toMatchObject({ matched: 1, orphans: 1, duplicates: 0 });
  });

  it("counts a pg_uid repeated across pages once", async () => {
    const a = payment("A", 1, 100, at(90));
    const b = payment("B", 2, 100, at(80));
    const verdict = await judgeWindow(
      [
        [a, b],
        [b, payment("C", 3, 100, at(70))],
      ],
      [],
    );
    expect(verdict.counts).toMatchObject({ scanned: 3, orphans: 3 });
    expect(verdict.orphans.map((p) => p.pgUid)).toEqual(["A", "B", "C"]);
  });

  it("does not mistake a far-off repeat from an unsorted gateway for a duplicate payment", async () => {
    const a = payment("A", 1, 100, at(90));
    const verdict = await judgeWindow(
      [[a], [payment("B", 2, 100, at(95))], [payment("C", 3, 100, at(80))], [a]],
      [
        { id: "1", amount: 100 },
        { id: "2", amount: 100 },
        { id: "3", amount: 100 },
      ],
      1,
    );
    expect(verdict.counts).toMatchObject({ scanned: 3, matched: 3, duplicates: 0 });
    expect(verdict.outOfOrder).toBeGreaterThan(0);
  });
});

describe("the window judge with event-style listings", () => {
  it("drops an orphan when a later sighting of the same payment is not paid", async () => {
    const paid = payment("A", 1, 100, at(90));
    const verdict = await judgeWindow(
      [
        [paid, payment("B", 2, 100, at(85))],
        [payment("C", 3, 100, at(80))],
        [{ ...paid, status: "cancelled" }],
      ],
      [{ id: "3", amount: 100 }],
      1,
    );
    expect(verdict.orphans.map((p) => p.pgUid)).toEqual(["B"]);
    expect(verdict.counts).toMatchObject({ scanned: 3, orphans: 1, matched: 1, ignored: 1 });
  });

  it("also when the later sighting arrives before the paid one was looked up", async () => {
    const paid = payment("A", 1, 100, at(90));
    const verdict = await judgeWindow(
      [[paid, payment("B", 2, 100, at(85))], [{ ...paid, status: "cancelled" }]],
      [],
    );
    expect(verdict.orphans.map((p) => p.pgUid)).toEqual(["B"]);
    expect(verdict.counts).toMatchObject({ scanned: 2, orphans: 1, ignored: 1 });
  });
});
