import { afterEach, describe, expect, it } from "vitest";
import { createRetryingHttp } from "../../lambda/adapters/http/retrying-http.ts";
import {
  createTossGateway,
  tossIsTransient,
  tossLocalTime,
} from "../../lambda/adapters/toss-gateway.ts";
import { defaultSyncConfig } from "../../lambda/core/config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { GatewayError } from "../../lambda/ports/gateway.ts";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";
import { MemoryLedger, MemoryOrderStore } from "../support/memory-ports.ts";
import { type StubAnswer, type StubRequest, startStub } from "../support/stub-server.ts";

/** Contract tests written from Toss Payments' public API reference (v1, 2022-11-16). */

const SECRET = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R";
const NOW = Date.parse("2026-11-24T03:00:00.000Z");
const WINDOW = { from: NOW - 7200_000, to: NOW - 1800_000 };
const QUERY = { window: WINDOW, perPage: 2 };

/** A row as the docs' transaction example has it. */
const tx = (
  key: string,
  paymentKey: string,
  orderId: string,
  status: string,
  at: string,
  amount = 10000,
) => ({
  mId: "tosspayments",
  transactionKey: key,
  paymentKey,
  orderId,
  currency: "KRW",
  method: "카드",
  customerKey: "",
  useEscrow: false,
  receiptUrl: `https://dashboard.tosspayments.com/receipt/${paymentKey}`,
  amount,
  status,
  transactionAt: at,
});

const payment = (paymentKey: string, status: string) => ({
  mId: "tosspayments",
  version: "2022-11-16",
  paymentKey,
  orderId: "order-1",
  status,
  totalAmount: 10000,
  balanceAmount: status === "DONE" ? 10000 : 0,
  cancels: null,
});

let stub: Awaited<ReturnType<typeof startStub>> | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function gateway(answer: (request: StubRequest) => StubAnswer) {
  stub = await startStub(answer);
  const http = createRetryingHttp({
    budget: createRequestBudget({ concurrency: 4, maxRps: 1000 }),
    timeoutMs: 5000,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1000 },
    isTransient: tossIsTransient,
  });
  return createTossGateway({ baseUrl: stub.url, secretKey: SECRET, http });
}

describe("Toss listing", () => {
  it("authenticates with Basic base64(secretKey + ':') and follows the cursor one page at a time", async () => {
    const rows = [
      tx("tx1", "pay_a", "1", "DONE", "2026-11-24T10:00:00+09:00"),
      tx("tx2", "pay_b", "2", "DONE", "2026-11-24T10:05:00+09:00"),
      tx("tx3", "pay_c", "3", "DONE", "2026-11-24T10:10:00+09:00"),
    ];
    const toss = await gateway((request) => {
      const after = request.query.get("startingAfter");
      const start = after ? rows.findIndex((r) => r.transactionKey === after) + 1 : 0;
      return { status: 200, body: rows.slice(start, start + Number(request.query.get("limit"))) };
    });
    expect(await toss.pageCount(QUERY)).toBeNull();
    const first = await toss.page(QUERY, 1);
    const second = await toss.page(QUERY, 2);
    expect(first.map((p) => p.pgUid)).toEqual(["pay_a", "pay_b"]);
    expect(second).toEqual([
      {
        pgUid: "pay_c",
        storeOrderId: "3",
        amount: 10000,
        currency: "KRW",
        status: "paid",
        paidAt: Date.parse("2026-11-24T10:10:00+09:00"),
      },
    ]);
    const [a, b] = stub?.requests ?? [];
    expect(a?.headers.authorization).toBe(`Basic ${Buffer.from(`${SECRET}:`).toString("base64")}`);
    expect(a?.path).toBe("/v1/transactions");
    expect(a?.query.get("startDate")).toBe(tossLocalTime(WINDOW.from));
    expect(a?.query.get("endDate")).toBe(tossLocalTime(WINDOW.to - 1));
    expect(a?.query.get("startDate")).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
    expect(a?.query.get("limit")).toBe("2");
    expect(a?.query.has("startingAfter")).toBe(false);
    expect(b?.query.get("startingAfter")).toBe("tx2");
    await expect(toss.page(QUERY, 4)).rejects.toThrow(/in order/);
  });

  it("reads Korea time: 09:00 KST is 00:00 UTC", () => {
    expect(tossLocalTime(Date.parse("2026-11-24T00:00:00.000Z"))).toBe("2026-11-24T09:00:00.000");
  });

  it("maps a cancellation row to a non-paid sighting of the same payment", async () => {
    const toss = await gateway(() => ({
      status: 200,
      body: [
        tx("tx1", "pay_a", "1", "DONE", "2026-11-24T10:00:00+09:00"),
        tx("tx2", "pay_a", "1", "CANCELED", "2026-11-24T10:30:00+09:00"),
      ],
    }));
    expect((await toss.page(QUERY, 1)).map((p) => [p.pgUid, p.status])).toEqual([
      ["pay_a", "paid"],
      ["pay_a", "cancelled"],
    ]);
  });

  it("folds approvals and cancellations: a cancelled or partly cancelled payment is no orphan", async () => {
    const at = (minutesAgo: number) =>
      new Date(NOW - minutesAgo * 60_000).toISOString().replace("Z", "+00:00");
    const rows = [
      tx("t1", "pay_kept", "1", "DONE", at(100)),
      tx("t2", "pay_refunded", "2", "DONE", at(95)),
      tx("t3", "pay_partial", "3", "DONE", at(90)),
      tx("t4", "pay_orphan", "4", "DONE", at(85)),
      tx("t5", "pay_refunded", "2", "CANCELED", at(80)),
      tx("t6", "pay_partial", "3", "PARTIAL_CANCELED", at(75), 3000),
    ];
    const toss = await gateway((request) => {
      if (request.method === "GET" && request.path === "/v1/transactions") {
        const after = request.query.get("startingAfter");
        const start = after ? rows.findIndex((r) => r.transactionKey === after) + 1 : 0;
        return { status: 200, body: rows.slice(start, start + Number(request.query.get("limit"))) };
      }
      if (request.method === "GET") return { status: 200, body: payment("pay_orphan", "DONE") };
      return { status: 200, body: payment("pay_orphan", "CANCELED") };
    });
    const report = await runSync(
      { ...defaultSyncConfig, pageSize: 2 },
      {
        gateway: toss,
        orders: new MemoryOrderStore([{ id: "1", amount: 10000 }]),
        ledger: new MemoryLedger(),
        now: () => NOW,
      },
    );
    expect(report.status).toBe("SUCCEEDED");
    expect(report.cancelled).toEqual(["pay_orphan"]);
    expect(report.counts).toMatchObject({ scanned: 4, matched: 1, orphans: 1, ignored: 2 });
    const posts = stub?.requests.filter((r) => r.method === "POST") ?? [];
    expect(posts.map((r) => r.path)).toEqual(["/v1/payments/pay_orphan/cancel"]);
  });

  it("fails the run on a listing that is not a list", async () => {
    const toss = await gateway(() => ({ status: 200, body: { transactions: [] } }));
    await expect(toss.page(QUERY, 1)).rejects.toMatchObject({ retryable: false });
  });
});

describe("Toss cancel", () => {
  const request = {
    pgUid: "pay_a",
    idempotencyKey: "paysync-cancel-abc",
    reason: "no paid order",
    amount: 10000,
  };

  it("checks the payment first, then posts cancelReason with the Idempotency-Key", async () => {
    const toss = await gateway((r) => ({
      status: 200,
      body: payment("pay_a", r.method === "GET" ? "DONE" : "CANCELED"),
    }));
    expect(await toss.cancel(request)).toEqual({ kind: "cancelled" });
    const [lookup, post] = stub?.requests ?? [];
    expect([lookup?.method, lookup?.path]).toEqual(["GET", "/v1/payments/pay_a"]);
    expect([post?.method, post?.path]).toEqual(["POST", "/v1/payments/pay_a/cancel"]);
    expect(post?.headers["idempotency-key"]).toBe("paysync-cancel-abc");
    expect(JSON.parse(post?.body ?? "")).toEqual({ cancelReason: "no paid order" });
  });

  it("takes ALREADY_CANCELED_PAYMENT as done", async () => {
    const toss = await gateway((r) =>
      r.method === "GET"
        ? { status: 200, body: payment("pay_a", "DONE") }
        : {
            status: 400,
            body: { code: "ALREADY_CANCELED_PAYMENT", message: "이미 취소된 결제 입니다." },
          },
    );
    expect(await toss.cancel(request)).toEqual({ kind: "already_cancelled" });
  });

  it("retries 409 IDEMPOTENT_REQUEST_PROCESSING with the same key", async () => {
    let posts = 0;
    const toss = await gateway((r) => {
      if (r.method === "GET") return { status: 200, body: payment("pay_a", "DONE") };
      posts++;
      return posts === 1
        ? {
            status: 409,
            body: {
              code: "IDEMPOTENT_REQUEST_PROCESSING",
              message: "이전 멱등 요청이 처리중입니다.",
            },
          }
        : { status: 200, body: payment("pay_a", "CANCELED") };
    });
    expect(await toss.cancel(request)).toEqual({ kind: "cancelled" });
    const keys = stub?.requests
      .filter((r) => r.method === "POST")
      .map((r) => r.headers["idempotency-key"]);
    expect(keys).toEqual(["paysync-cancel-abc", "paysync-cancel-abc"]);
  });

  it("treats other 4xx as permanent, and never posts for a cancelled, partly cancelled or unknown payment", async () => {
    const refused = await gateway((r) =>
      r.method === "GET"
        ? { status: 200, body: payment("pay_a", "DONE") }
        : {
            status: 403,
            body: { code: "NOT_CANCELABLE_PAYMENT", message: "취소 할 수 없는 결제 입니다." },
          },
    );
    expect(await refused.cancel(request)).toMatchObject({
      kind: "rejected",
      code: "NOT_CANCELABLE_PAYMENT",
    });
    await stub?.close();

    for (const [status, body, expected] of [
      [200, payment("pay_a", "CANCELED"), { kind: "already_cancelled" }],
      [
        200,
        payment("pay_a", "PARTIAL_CANCELED"),
        { kind: "rejected", code: "STATUS_PARTIAL_CANCELLED" },
      ],
    ] as const) {
      const toss = await gateway(() => ({ status, body }));
      expect(await toss.cancel(request)).toMatchObject(expected);
      expect(stub?.requests.filter((r) => r.method === "POST")).toEqual([]);
      await stub?.close();
      stub = undefined;
    }
  });

  it("keeps an outcome it cannot know as retryable: PROVIDER_ERROR is re-sent, then left for a later run", async () => {
    const toss = await gateway((r) =>
      r.method === "GET"
        ? { status: 200, body: payment("pay_a", "DONE") }
        : {
            status: 400,
            body: { code: "PROVIDER_ERROR", message: "일시적인 오류가 발생했습니다." },
          },
    );
    const error = await toss.cancel(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ retryable: true });
  });

  it("still cancels where the lookup has no answer; the cancel's own answer decides", async () => {
    const toss = await gateway((r) =>
      r.method === "GET"
        ? { status: 404, body: { code: "NOT_FOUND", message: "no such route" } }
        : { status: 200, body: payment("pay_a", "CANCELED") },
    );
    expect(await toss.cancel(request)).toEqual({ kind: "cancelled" });
    expect(await toss.paymentStatus?.("pay_a")).toBeUndefined();

    await stub?.close();
    const unknown = await gateway(() => ({
      status: 404,
      body: { code: "NOT_FOUND_PAYMENT", message: "존재하지 않는 결제 입니다." },
    }));
    expect(await unknown.cancel(request)).toMatchObject({
      kind: "rejected",
      code: "NOT_FOUND_PAYMENT",
    });
  });
});
