import { describe, expect, it } from "vitest";
import type { SimPayment } from "../../local/simulator/dataset.ts";
import { PaymentLedger, type PaymentWindow } from "../../local/simulator/payment-ledger.ts";
import { get, type PageBody, readJson, startSim } from "./helpers.ts";

// 200k payments, three per second of paid_at so that ties (broken by pg_uid) sit on every
// window edge. The dataset is handed over in a scrambled order, so the ledger's sort matters.
const COUNT = 200_000;
const PER_SECOND = 3;
const BASE_MS = Date.parse("2026-11-24T00:00:00.000Z");

function paidAtMs(index: number): number {
  return BASE_MS + Math.floor(index / PER_SECOND) * 1000;
}

/** pg_uids whose order disagrees with the index inside each second: tie-breaking shows. */
function uidOf(index: number): string {
  const second = Math.floor(index / PER_SECOND);
  const slot = PER_SECOND - 1 - (index % PER_SECOND);
  return `PG${String(second).padStart(6, "0")}-${slot}`;
}

function largeDataset(): SimPayment[] {
  const payments: SimPayment[] = [];
  for (let index = 0; index < COUNT; index += 1) {
    payments.push({
      pg_uid: uidOf(index),
      store_order_id: index + 1,
      amount: 1000 + (index % 97) * 10,
      currency: "KRW",
      status: index % 11 === 0 ? "cancelled" : "paid",
      paid_at: new Date(paidAtMs(index)).toISOString(),
    });
  }
  // A fixed scramble: reversed blocks of 1,000.
  const scrambled: SimPayment[] = [];
  for (let start = 0; start < COUNT; start += 1000) {
    scrambled.push(...payments.slice(start, start + 1000).reverse());
  }
  return scrambled.reverse();
}

/** The obvious O(n) answer the binary search must agree with. */
function reference(payments: readonly SimPayment[], window: PaymentWindow): string[] {
  return payments
    .filter((payment) => {
      const ms = Date.parse(payment.paid_at);
      return ms >= window.fromMs && ms < window.toMs;
    })
    .sort((a, b) => {
      const byTime = Date.parse(a.paid_at) - Date.parse(b.paid_at);
      if (byTime !== 0) return byTime;
      return a.pg_uid < b.pg_uid ? -1 : a.pg_uid > b.pg_uid ? 1 : 0;
    })
    .map((payment) => payment.pg_uid);
}

const uids = (page: readonly SimPayment[]) => page.map((payment) => payment.pg_uid);

describe("paging a 200k-payment dataset", () => {
  const dataset = largeDataset();
  const ledger = new PaymentLedger(dataset);
  const lastMs = paidAtMs(COUNT - 1);

  const windows: Array<[string, PaymentWindow]> = [
    ["everything", { fromMs: BASE_MS - 1, toMs: lastMs + 1 }],
    ["from exactly the first paid_at", { fromMs: BASE_MS, toMs: lastMs + 1 }],
    ["to exactly the last paid_at (excluded)", { fromMs: BASE_MS, toMs: lastMs }],
    ["edges on a tie group", { fromMs: paidAtMs(30_000), toMs: paidAtMs(90_000) }],
    ["edges 1 ms off a tie group", { fromMs: paidAtMs(30_000) + 1, toMs: paidAtMs(90_000) + 1 }],
    ["a single second", { fromMs: paidAtMs(150_000), toMs: paidAtMs(150_000) + 1 }],
    ["before the data", { fromMs: BASE_MS - 10_000, toMs: BASE_MS }],
    ["after the data", { fromMs: lastMs + 1, toMs: lastMs + 10_000 }],
    ["empty window", { fromMs: paidAtMs(500), toMs: paidAtMs(500) }],
  ];

  it.each(windows)("counts and pages the window %s like a full filter", (_label, window) => {
    const expected = reference(dataset, window);
    expect(ledger.count(window)).toBe(expected.length);
    for (const perPage of [100, 7]) {
      const pages = Math.ceil(expected.length / perPage);
      // First, second, last and the one past the end, plus a page far past the end.
      expect(uids(ledger.page(window, 1, perPage))).toEqual(expected.slice(0, perPage));
      expect(uids(ledger.page(window, 2, perPage))).toEqual(expected.slice(perPage, 2 * perPage));
      if (pages > 0) {
        expect(uids(ledger.page(window, pages, perPage))).toEqual(
          expected.slice((pages - 1) * perPage),
        );
      }
      expect(ledger.page(window, pages + 1, perPage)).toEqual([]);
      expect(ledger.page(window, pages + 1_000_000, perPage)).toEqual([]);
    }
  });

  it("walks every page of the whole dataset exactly once, in order", () => {
    const window = { fromMs: BASE_MS, toMs: lastMs + 1 };
    const expected = reference(dataset, window);
    const walked: string[] = [];
    for (let page = 1; ; page += 1) {
      const payments = ledger.page(window, page, 100);
      if (payments.length === 0) break;
      walked.push(...uids(payments));
    }
    expect(walked).toHaveLength(COUNT);
    expect(walked).toEqual(expected);
  });

  it("serves the edge pages over HTTP, with statuses and a consistent page count", async () => {
    const sim = await startSim({ payments: dataset, defaultPerPage: 100 });
    const window = { fromMs: paidAtMs(30_000), toMs: paidAtMs(90_000) };
    const expected = reference(dataset, window);
    const query = {
      from: new Date(window.fromMs).toISOString(),
      to: new Date(window.toMs).toISOString(),
    };
    const count = await readJson(await get(sim, "/v1/payments/pages", query));
    expect(count).toEqual({ total_pages: 600, total_count: 60_000, per_page: 100 });
    const first = await readJson<PageBody>(await get(sim, "/v1/payments", { ...query, page: 1 }));
    expect(uids(first.payments)).toEqual(expected.slice(0, 100));
    expect(first.payments[0]).toMatchObject({ pg_uid: uidOf(30_002), status: "paid" });
    const last = await readJson<PageBody>(await get(sim, "/v1/payments", { ...query, page: 600 }));
    expect(uids(last.payments)).toEqual(expected.slice(59_900));
    const past = await readJson<PageBody>(await get(sim, "/v1/payments", { ...query, page: 601 }));
    expect(past.payments).toEqual([]);
  });
});
