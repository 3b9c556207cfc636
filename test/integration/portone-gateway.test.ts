import { afterEach, describe, expect, it } from "vitest";
import { createRetryingHttp } from "../../lambda/adapters/http/retrying-http.ts";
import {
  createPortOneGateway,
  type PortOneOrderIdField,
  portOneIsTransient,
} from "../../lambda/adapters/portone-gateway.ts";
import { defaultSyncConfig } from "../../lambda/core/config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";
import { MemoryLedger, MemoryOrderStore } from "../support/memory-ports.ts";
import { type StubAnswer, type StubRequest, startStub } from "../support/stub-server.ts";

/** Contract tests written from PortOne's public REST API V2 reference. */

const SECRET = "portone-api-secret";
const NOW = Date.parse("2026-11-24T03:00:00.000Z");
const WINDOW = { from: NOW - 7200_000, to: NOW - 1800_000 };

/** A PaidPayment as the reference shows it, trimmed to what matters here. */
const paid = (id: string, orderName: string, total = 15000, status = "PAID") => ({
  status,
  id,
  transactionId: `txn-${id}`,
  merchantId: "merchant-1",
  storeId: "store-1",
  version: "V2",
  orderName,
  amount: {
    total,
    taxFree: 0,
    discount: 0,
    paid: total,
    cancelled: status === "CANCELLED" ? total : 0,
    cancelledTaxFree: 0,
  },
  currency: "KRW",
  requestedAt: "2026-11-24T01:00:00Z",
  updatedAt: "2026-11-24T01:00:05Z",
  statusChangedAt: "2026-11-24T01:00:05Z",
  paidAt: "2026-11-24T01:00:05Z",
});

interface Listing {
  page: { number: number; size: number };
  filter: Record<string, unknown>;
}

const listingOf = (request: StubRequest): Listing =>
  JSON.parse(request.query.get("requestBody") ?? "{}") as Listing;

let stub: Awaited<ReturnType<typeof startStub>> | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function gateway(
  answer: (request: StubRequest) => StubAnswer,
  orderIdField: PortOneOrderIdField = "id",
) {
  stub = await startStub(answer);
  const http = createRetryingHttp({
    budget: createRequestBudget({ concurrency: 4, maxRps: 1000 }),
    timeoutMs: 5000,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000 },
    isTransient: portOneIsTransient,
  });
  return createPortOneGateway({
    baseUrl: stub.url,
    secret: SECRET,
    http,
    orderIdField,
    storeId: "store-1",
  });
}

/** Serves `items` as PortOne pages them: 0-based numbers, totalCount, the 60,000 limit. */
function pagesOf(items: unknown[]) {
  return (request: StubRequest): StubAnswer => {
    const { page } = listingOf(request);
    if ((page.number + 1) * page.size > 60_000)
      return { status: 400, body: { type: "INVALID_REQUEST", message: "paging limit" } };
    const start = page.number * page.size;
    return {
      status: 200,
      body: {
        items: items.slice(start, start + page.size),
        page: { number: page.number, size: page.size, totalCount: items.length },
      },
    };
  };
}

describe("PortOne listing", () => {
  it("sends `PortOne <secret>` and the documented requestBody, and counts pages from totalCount", async () => {
    const items = [paid("order-1", "o1"), paid("order-2", "o2"), paid("order-3", "o3")];
    const portone = await gateway(pagesOf(items));
    expect(await portone.pageCount({ window: WINDOW, perPage: 2 })).toEqual({
      totalPages: 2,
      totalCount: 3,
    });
    const second = await portone.page({ window: WINDOW, perPage: 2 }, 2);
    expect(second.map((p) => [p.pgUid, p.storeOrderId, p.status, p.amount])).toEqual([
      ["order-3", "order-3", "paid", 15000],
    ]);

    const last = stub?.requests.at(-1);
    expect(last?.headers.authorization).toBe(`PortOne ${SECRET}`);
    expect(last?.path).toBe("/payments");
    expect(listingOf(last as StubRequest)).toEqual({
      page: { number: 1, size: 2 },
      filter: {
        storeId: "store-1",
        timestampType: "CREATED_AT",
        from: new Date(WINDOW.from).toISOString(),
        until: new Date(WINDOW.to).toISOString(),
        status: ["PAID"],
        sortBy: "REQUESTED_AT",
        sortOrder: "ASC",
      },
    });
  });

  it("maps the store order id from orderName when configured", async () => {
    const portone = await gateway(pagesOf([paid("pay-77", "7")]), "orderName");
    await portone.pageCount({ window: WINDOW, perPage: 10 });
    const [payment] = await portone.page({ window: WINDOW, perPage: 10 }, 1);
    expect(payment).toMatchObject({ pgUid: "pay-77", storeOrderId: "7" });
  });

  it("splits a window PortOne cannot page through into sub-windows within the 60,000 limit", async () => {
    const middle = Math.floor((WINDOW.from + WINDOW.to) / 2);
    const portone = await gateway((request) => {
      const { page, filter } = listingOf(request);
      const from = Date.parse(String(filter.from));
      const until = Date.parse(String(filter.until));
      const total = from === WINDOW.from && until === WINDOW.to ? 70_000 : 35_000;
      if ((page.number + 1) * page.size > 60_000)
        return { status: 400, body: { type: "INVALID_REQUEST" } };
      return {
        status: 200,
        body: { items: [], page: { number: page.number, size: page.size, totalCount: total } },
      };
    });
    const query = { window: WINDOW, perPage: 100 };
    expect(await portone.pageCount(query)).toEqual({ totalPages: 700, totalCount: 70_000 });
    await portone.page(query, 351);
    const asked = listingOf(stub?.requests.at(-1) as StubRequest);
    expect(asked.page).toEqual({ number: 0, size: 100 });
    expect(asked.filter.from).toBe(new Date(middle).toISOString());
    expect(
      stub?.requests.every((r) => {
        const { page } = listingOf(r);
        return (page.number + 1) * page.size <= 60_000;
      }),
    ).toBe(true);
  });

  it("reads pages concurrently through the core, and cancels the orphan", async () => {
    const items = Array.from({ length: 6 }, (_, i) => paid(`order-${i}`, `${i}`));
    const listing = pagesOf(items);
    const portone = await gateway((request) => {
      if (request.path === "/payments") return listing(request);
      if (request.method === "GET") return { status: 200, body: paid("order-5", "5") };
      return {
        status: 200,
        body: { cancellation: { status: "SUCCEEDED", id: "c1", totalAmount: 15000 } },
      };
    });
    const orders = Array.from({ length: 5 }, (_, i) => ({ id: `order-${i}`, amount: 15000 }));
    const report = await runSync(
      { ...defaultSyncConfig, pageSize: 2, concurrency: 3 },
      {
        gateway: portone,
        orders: new MemoryOrderStore(orders),
        ledger: new MemoryLedger(),
        now: () => NOW,
      },
    );
    expect(report.cancelled).toEqual(["order-5"]);
    const numbers = stub?.requests
      .filter((r) => r.path === "/payments")
      .map((r) => listingOf(r).page.number);
    expect(numbers?.slice(1).sort()).toEqual([0, 1, 2]);
  });
});

describe("PortOne cancel", () => {
  const request = {
    pgUid: "order-1",
    idempotencyKey: "paysync-cancel-abc123def456",
    reason: "no paid order",
    amount: 15000,
  };

  it("sends reason, the quoted Idempotency-Key and currentCancellableAmount from a fresh lookup", async () => {
    const portone = await gateway((r) =>
      r.method === "GET"
        ? { status: 200, body: paid("order-1", "o1") }
        : { status: 200, body: { cancellation: { status: "SUCCEEDED" } } },
    );
    expect(await portone.cancel(request)).toEqual({ kind: "cancelled" });
    const post = stub?.requests.find((r) => r.method === "POST");
    expect(post?.path).toBe("/payments/order-1/cancel");
    expect(post?.headers.authorization).toBe(`PortOne ${SECRET}`);
    expect(post?.headers["idempotency-key"]).toBe('"paysync-cancel-abc123def456"');
    expect(JSON.parse(post?.body ?? "")).toEqual({
      storeId: "store-1",
      reason: "no paid order",
      currentCancellableAmount: 15000,
    });
  });

  it("maps the documented answers", async () => {
    const cases: Array<[StubAnswer, unknown]> = [
      [
        {
          status: 409,
          body: { type: "PAYMENT_ALREADY_CANCELLED", message: "결제가 이미 취소되었습니다." },
        },
        { kind: "already_cancelled" },
      ],
      [
        {
          status: 409,
          body: {
            type: "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
            message: "취소 가능 잔액 검증에 실패했습니다.",
          },
        },
        { kind: "rejected", code: "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN" },
      ],
      [
        { status: 404, body: { type: "PAYMENT_NOT_FOUND" } },
        { kind: "rejected", code: "PAYMENT_NOT_FOUND" },
      ],
      [
        { status: 200, body: { cancellation: { status: "FAILED" } } },
        { kind: "rejected", code: "CANCELLATION_FAILED" },
      ],
      [{ status: 200, body: { cancellation: { status: "REQUESTED" } } }, { kind: "cancelled" }],
    ];
    for (const [answer, expected] of cases) {
      const portone = await gateway((r) =>
        r.method === "GET" ? { status: 200, body: paid("order-1", "o1") } : answer,
      );
      expect(await portone.cancel(request)).toMatchObject(expected as object);
      await stub?.close();
      stub = undefined;
    }
  });

  it("retries IDEMPOTENCY_OUTSTANDING_REQUEST with the same key", async () => {
    let posts = 0;
    const portone = await gateway((r) => {
      if (r.method === "GET") return { status: 200, body: paid("order-1", "o1") };
      posts++;
      return posts === 1
        ? { status: 409, body: { type: "IDEMPOTENCY_OUTSTANDING_REQUEST" } }
        : { status: 200, body: { cancellation: { status: "SUCCEEDED" } } };
    });
    expect(await portone.cancel(request)).toEqual({ kind: "cancelled" });
    const keys = stub?.requests
      .filter((r) => r.method === "POST")
      .map((r) => r.headers["idempotency-key"]);
    expect(keys).toEqual(['"paysync-cancel-abc123def456"', '"paysync-cancel-abc123def456"']);
  });

  it("never posts for a payment PortOne already has cancelled", async () => {
    const portone = await gateway(() => ({
      status: 200,
      body: paid("order-1", "o1", 15000, "CANCELLED"),
    }));
    expect(await portone.cancel(request)).toEqual({ kind: "already_cancelled" });
    expect(await portone.paymentStatus?.("order-1")).toBe("cancelled");
    expect(stub?.requests.filter((r) => r.method === "POST")).toEqual([]);
  });

  it("turns a balance that no longer matches into a CANCEL_FAILED finding", async () => {
    const portone = await gateway((r) => {
      if (r.path === "/payments") return pagesOf([paid("order-9", "9")])(r);
      if (r.method === "GET") return { status: 200, body: paid("order-9", "9") };
      return { status: 409, body: { type: "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN" } };
    });
    const report = await runSync(
      { ...defaultSyncConfig, pageSize: 10 },
      {
        gateway: portone,
        orders: new MemoryOrderStore([]),
        ledger: new MemoryLedger(),
        now: () => NOW,
      },
    );
    expect(report.counts).toMatchObject({ orphans: 1, cancelled: 0, cancelFailed: 1 });
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "CANCEL_FAILED", pgUid: "order-9" }),
    ]);
  });

  it("without a lookup, sends the listed amount as currentCancellableAmount", async () => {
    const portone = await gateway((r) =>
      r.method === "GET"
        ? { status: 404, body: { type: "PAYMENT_NOT_FOUND" } }
        : { status: 200, body: { cancellation: { status: "SUCCEEDED" } } },
    );
    expect(await portone.cancel(request)).toEqual({ kind: "cancelled" });
    const post = stub?.requests.find((r) => r.method === "POST");
    expect(JSON.parse(post?.body ?? "").currentCancellableAmount).toBe(15000);
  });
});
