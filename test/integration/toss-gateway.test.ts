import { afterEach, describe, expect, it } from "vitest";
import { defaultSyncConfig, type SyncConfig } from "../../lambda/core/config.ts";
import { cancelIdempotencyKey } from "../../lambda/core/idempotency-key.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { createRetryingHttp } from "../../lambda/gateways/http/retrying-http.ts";
import { tossDescriptor } from "../../lambda/gateways/toss/descriptor.ts";
import { createTossGateway, tossLocalTime } from "../../lambda/gateways/toss/toss-gateway.ts";
import { GatewayCredentialError, GatewayError } from "../../lambda/ports/gateway.ts";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";
import { cancelOf, listAll, listPages } from "../support/gateway-calls.ts";
import { useRealStoreAndLedger } from "../support/real-store-and-ledger.ts";
import { type StubAnswer, type StubRequest, startStub } from "../support/stub-server.ts";

/**
 * Contract tests written from Toss Payments' core API reference (v1): the transactions
 * listing, the payment lookup, the cancel, the error-code page and the idempotency guide.
 */

const SECRET = "test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R";
const NOW = Date.parse("2026-11-24T03:00:00.000Z");
const WINDOW = { from: NOW - 7200_000, to: NOW - 1800_000 };
const QUERY = { window: WINDOW, perPage: 2 };

/** A time inside the window, as Toss writes it (Korea time). */
const kst = (minutesAgo: number) =>
  new Date(NOW - minutesAgo * 60_000 + 9 * 3_600_000).toISOString().replace("Z", "+09:00");

/** A row as the reference's Transaction object has it. */
const tx = (
  key: string,
  paymentKey: string,
  orderId: string,
  status: string,
  at: string,
  extra: Record<string, unknown> = {},
) => ({
  mId: "tosspayments",
  transactionKey: key,
  paymentKey,
  orderId,
  currency: "KRW",
  method: "카드",
  customerKey: null,
  useEscrow: false,
  receiptUrl: `https://dashboard.tosspayments.com/receipt/${paymentKey}`,
  amount: 10000,
  status,
  transactionAt: at,
  ...extra,
});

/** A Payment object, with the fields the lookup reads. */
const payment = (paymentKey: string, status: string, extra: Record<string, unknown> = {}) => ({
  mId: "tosspayments",
  version: "2022-11-16",
  paymentKey,
  orderId: "order-1",
  status,
  method: "카드",
  currency: "KRW",
  totalAmount: 10000,
  balanceAmount: status === "DONE" ? 10000 : 0,
  virtualAccount: null,
  cancels: null,
  ...extra,
});

const error = (status: number, code: string, message = code): StubAnswer => ({
  status,
  body: { code, message },
});

const real = useRealStoreAndLedger();

let stub: Awaited<ReturnType<typeof startStub>> | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function gateway(answer: (request: StubRequest) => StubAnswer) {
  stub = await startStub(answer);
  const http = createRetryingHttp({
    budget: createRequestBudget({ concurrency: 4, maxRps: 1000 }),
    gateway: { ...tossDescriptor, timeoutMs: 5000 },
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 5000 },
  });
  return createTossGateway({ baseUrl: stub.url, secretKey: SECRET, http });
}

/** Toss's cursor: rows after `startingAfter`, at most `limit`. */
function transactions(rows: readonly ReturnType<typeof tx>[], request: StubRequest): StubAnswer {
  const after = request.query.get("startingAfter");
  const start = after ? rows.findIndex((r) => r.transactionKey === after) + 1 : 0;
  if (start === 0 && after)
    return error(400, "INVALID_TRANSACTION_KEY", "잘못된 페이징 키 입니다.");
  return { status: 200, body: rows.slice(start, start + Number(request.query.get("limit"))) };
}

const posts = () => stub?.requests.filter((r) => r.method === "POST") ?? [];

/** One run over `rows`, with `handle` answering the lookups and cancels. */
async function runOver(
  rows: readonly ReturnType<typeof tx>[],
  handle: (request: StubRequest) => StubAnswer,
  options: { orders?: { id: string; amount: number }[]; config?: Partial<SyncConfig> } = {},
) {
  const toss = await gateway((request) =>
    request.path === "/v1/transactions" ? transactions(rows, request) : handle(request),
  );
  const ports = await real.fresh(options.orders ?? []);
  const report = await runSync(
    { ...defaultSyncConfig, pageSize: 2, ...options.config },
    { gateway: toss, orders: ports.orders, ledger: ports.ledger, now: () => NOW },
  );
  return { report, ledger: ports.ledger, orders: ports.orders, stateOf: ports.stateOf };
}

describe("Toss listing", () => {
  it("authenticates with Basic base64(secretKey + ':') and follows the cursor one page at a time", async () => {
    const rows = [
      tx("tx1", "pay_a", "1", "DONE", kst(100)),
      tx("tx2", "pay_b", "2", "DONE", kst(90)),
      tx("tx3", "pay_c", "3", "DONE", kst(80)),
    ];
    const toss = await gateway((request) => transactions(rows, request));
    const pages = await listPages(toss, QUERY);
    expect(pages.map((page) => page.map((p) => p.pgUid))).toEqual([["pay_a", "pay_b"], ["pay_c"]]);
    expect(pages[1]).toEqual([
      {
        pgUid: "pay_c",
        storeOrderId: "3",
        amount: 10000,
        currency: "KRW",
        status: "paid",
        paidAt: NOW - 80 * 60_000,
      },
    ]);
    const [a, b] = stub?.requests ?? [];
    expect(a?.headers.authorization).toBe(`Basic ${Buffer.from(`${SECRET}:`).toString("base64")}`);
    expect(a?.path).toBe("/v1/transactions");
    // The reference's format, yyyy-MM-ddTHH:mm:ss, in Korea time.
    expect(a?.query.get("startDate")).toBe("2026-11-24T10:00:00");
    expect(a?.query.get("endDate")).toBe("2026-11-24T11:30:00");
    expect(a?.query.get("limit")).toBe("2");
    expect(a?.query.has("startingAfter")).toBe(false);
    expect(b?.query.get("startingAfter")).toBe("tx2");
    expect(stub?.requests).toHaveLength(2);
  });

  it("reads Korea time: 09:00 KST is 00:00 UTC", () => {
    expect(tossLocalTime(Date.parse("2026-11-24T00:00:00.000Z"))).toBe("2026-11-24T09:00:00");
  });

  it("drops rows outside [from, to): endDate's whole second is asked for, whichever way Toss reads it", async () => {
    const toEdge = new Date(WINDOW.to + 9 * 3_600_000).toISOString().replace("Z", "+09:00");
    const toss = await gateway(() => ({
      status: 200,
      body: [tx("t1", "pay_in", "1", "DONE", kst(60)), tx("t2", "pay_at_to", "2", "DONE", toEdge)],
    }));
    expect((await listAll(toss, { window: WINDOW, perPage: 10 })).map((p) => p.pgUid)).toEqual([
      "pay_in",
    ]);
  });

  it("reads every real row kind without failing the run: virtual accounts, dollars, several mIds, customerKey null", async () => {
    const rows = [
      tx("t1", "pay_va", "10", "WAITING_FOR_DEPOSIT", kst(110), { method: "가상계좌", amount: 0 }),
      tx("t2", "pay_va_gone", "11", "CANCELED", kst(105), { method: "가상계좌", amount: 0 }),
      tx("t3", "pay_aborted", "12", "ABORTED", kst(100)),
      tx("t4", "pay_expired", "13", "EXPIRED", kst(95), { method: "가상계좌" }),
      tx("t5", "pay_usd", "14", "DONE", kst(90), {
        currency: "USD",
        amount: 726.24,
        mId: "shop_us",
      }),
      tx("t6", "pay_part", "15", "DONE", kst(85)),
      tx("t7", "pay_part", "15", "PARTIAL_CANCELED", kst(80), { amount: 3000 }),
      tx("t8", "pay_kept", "16", "DONE", kst(75), { mId: "shop_kr" }),
    ];
    const { report } = await runOver(rows, () => error(500, "UNEXPECTED"), {
      orders: [
        { id: "14", amount: 72624 },
        { id: "16", amount: 10000 },
      ],
    });
    expect(report.status).toBe("SUCCEEDED");
    expect(report.errors).toEqual([]);
    // pay_usd matched at 72624 cents; pay_part withdrawn by its partial cancel.
    expect(report.counts).toMatchObject({ scanned: 7, matched: 2, orphans: 0, ignored: 5 });
    expect(posts()).toEqual([]);
  });

  it("fails the run, naming the payment, on an amount its currency cannot hold or a currency it cannot place", async () => {
    for (const [extra, problem] of [
      [{ currency: "USD", amount: 726.245 }, /pay_bad.*more decimals than USD/],
      [{ currency: "KRW", amount: 100.5 }, /pay_bad.*more decimals than KRW/],
      [{ currency: "MUSD", amount: 181560000 }, /pay_bad.*MUSD/],
    ] as const) {
      const { report } = await runOver([tx("t1", "pay_bad", "1", "DONE", kst(60), extra)], () =>
        error(500, "UNEXPECTED"),
      );
      expect(report.status).toBe("FAILED");
      expect(report.errors[0]?.message).toMatch(problem);
      expect(posts()).toEqual([]);
      await stub?.close();
      stub = undefined;
    }
  });

  it("fails the run on INVALID_TRANSACTION_KEY while paging: never read as the end of the window", async () => {
    const rows = [
      tx("tx1", "pay_a", "1", "DONE", kst(100)),
      tx("tx2", "pay_b", "2", "DONE", kst(90)),
      tx("tx3", "pay_c", "3", "DONE", kst(80)),
    ];
    const toss = await gateway((request) =>
      request.query.has("startingAfter")
        ? error(400, "INVALID_TRANSACTION_KEY", "잘못된 페이징 키 입니다.")
        : transactions(rows, request),
    );
    const failure = await listAll(toss, QUERY).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ retryable: false, code: "INVALID_TRANSACTION_KEY" });
  });

  it("fails the run on a listing that is not a list", async () => {
    const toss = await gateway(() => ({ status: 200, body: { transactions: [] } }));
    await expect(listAll(toss, QUERY)).rejects.toMatchObject({ retryable: false });
  });

  it("fails the run before any cancel on 401 UNAUTHORIZED_KEY or 403 INCORRECT_BASIC_AUTH_FORMAT, naming PG_API_KEY", async () => {
    for (const answer of [
      error(401, "UNAUTHORIZED_KEY", "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다."),
      error(403, "INCORRECT_BASIC_AUTH_FORMAT", "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요."),
    ]) {
      const toss = await gateway(() => answer);
      const failure = await listAll(toss, QUERY).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(GatewayCredentialError);
      expect((failure as Error).message).toContain("PG_API_KEY");
      // Not retried: a refused key stays refused.
      expect(stub?.requests).toHaveLength(1);
      await stub?.close();
      stub = undefined;
    }
  });
});

describe("Toss: the lookup before each cancel decides", () => {
  const orphan = [tx("t1", "pay_a", "1", "DONE", kst(60))];

  it("DONE with balanceAmount equal to totalAmount: posts cancelReason, refundableAmount and the Idempotency-Key", async () => {
    const { report } = await runOver(orphan, (r) => ({
      status: 200,
      body: payment("pay_a", r.method === "GET" ? "DONE" : "CANCELED"),
    }));
    expect(report.cancelled).toEqual(["pay_a"]);
    expect(report.counts.cancelled).toBe(1);
    const [lookup, post] = (stub?.requests ?? []).filter((r) => r.path !== "/v1/transactions");
    expect([lookup?.method, lookup?.path]).toEqual(["GET", "/v1/payments/pay_a"]);
    expect([post?.method, post?.path]).toEqual(["POST", "/v1/payments/pay_a/cancel"]);
    expect(post?.headers["idempotency-key"]).toBe(cancelIdempotencyKey("pay_a"));
    expect(JSON.parse(post?.body ?? "")).toEqual({
      cancelReason: defaultSyncConfig.cancelReason,
      refundableAmount: 10000,
    });
  });

  it("sends a dollar balance in dollars: refundableAmount 726.24 for 72624 cents", async () => {
    const usd = { currency: "USD", totalAmount: 726.24, balanceAmount: 726.24 };
    const { report } = await runOver(
      [tx("t1", "pay_usd", "1", "DONE", kst(60), { currency: "USD", amount: 726.24 })],
      (r) => ({
        status: 200,
        body: payment("pay_usd", r.method === "GET" ? "DONE" : "CANCELED", usd),
      }),
    );
    expect(report.cancelled).toEqual(["pay_usd"]);
    expect(JSON.parse(posts()[0]?.body ?? "")).toMatchObject({ refundableAmount: 726.24 });
  });

  it("CANCELED at the lookup: already cancelled, nothing posted", async () => {
    const { report, stateOf } = await runOver(orphan, () => ({
      status: 200,
      body: payment("pay_a", "CANCELED"),
    }));
    expect(report.counts).toMatchObject({ alreadyCancelled: 1, cancelled: 0, cancelFailed: 0 });
    expect(report.cancelled).toEqual(["pay_a"]);
    expect(await stateOf("pay_a")).toBe("ALREADY_CANCELLED");
    expect(posts()).toEqual([]);
  });

  it("a deposited virtual-account payment: no cancel request, FAILED in the ledger, a CANCEL_FAILED naming refundReceiveAccount", async () => {
    const rows = [tx("t1", "pay_va", "1", "DONE", kst(60), { method: "가상계좌" })];
    const { report, ledger, orders, stateOf } = await runOver(rows, () => ({
      status: 200,
      body: payment("pay_va", "DONE", {
        method: "가상계좌",
        virtualAccount: { accountNumber: "X6516", bank: "20", refundStatus: "NONE" },
      }),
    }));
    expect(posts()).toEqual([]);
    expect(report.counts.cancelFailed).toBe(1);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        kind: "CANCEL_FAILED",
        pgUid: "pay_va",
        reason: expect.stringContaining("refundReceiveAccount"),
      }),
    );
    expect(await stateOf("pay_va")).toBe("FAILED");
    // The next run does not ask again: the ledger answers "failed earlier".
    await stub?.close();
    const toss = await gateway((r) =>
      r.path === "/v1/transactions" ? transactions(rows, r) : error(500, "UNEXPECTED"),
    );
    const again = await runSync(
      { ...defaultSyncConfig, pageSize: 2 },
      { gateway: toss, orders, ledger, now: () => NOW },
    );
    expect(again.counts.cancelFailed).toBe(1);
    expect(stub?.requests.filter((r) => r.path !== "/v1/transactions")).toEqual([]);
  });

  it("partly refunded: a CANCEL_FAILED for a person, never a cancel of the rest", async () => {
    for (const state of [
      payment("pay_a", "DONE", { balanceAmount: 7000 }),
      payment("pay_a", "PARTIAL_CANCELED", { balanceAmount: 7000 }),
    ]) {
      const { report } = await runOver(orphan, () => ({ status: 200, body: state }));
      expect(report.counts.cancelFailed).toBe(1);
      expect(report.findings[0]?.reason).toMatch(/partly refunded/);
      expect(posts()).toEqual([]);
      await stub?.close();
      stub = undefined;
    }
  });

  it("no answer from the lookup (404): the cancel decides, guarded by the listed amount", async () => {
    const { report } = await runOver(orphan, (r) =>
      r.method === "GET"
        ? error(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 입니다.")
        : { status: 200, body: payment("pay_a", "CANCELED") },
    );
    expect(report.cancelled).toEqual(["pay_a"]);
    expect(JSON.parse(posts()[0]?.body ?? "")).toMatchObject({ refundableAmount: 10000 });
  });
});

describe("Toss: answers to the cancel", () => {
  const orphan = [tx("t1", "pay_a", "1", "DONE", kst(60))];
  const lookupDone = (r: StubRequest, post: () => StubAnswer): StubAnswer =>
    r.method === "GET" ? { status: 200, body: payment("pay_a", "DONE") } : post();

  it("ALREADY_CANCELED_PAYMENT and ALREADY_REFUND_PAYMENT mean already cancelled", async () => {
    for (const code of ["ALREADY_CANCELED_PAYMENT", "ALREADY_REFUND_PAYMENT"]) {
      const { report, stateOf } = await runOver(orphan, (r) =>
        lookupDone(r, () => error(400, code)),
      );
      expect(report.counts).toMatchObject({ alreadyCancelled: 1, cancelFailed: 0 });
      expect(await stateOf("pay_a")).toBe("ALREADY_CANCELLED");
      await stub?.close();
      stub = undefined;
    }
  });

  it("403 FORBIDDEN_CONSECUTIVE_REQUEST: the same key again, no sooner than 1 s later", async () => {
    let tries = 0;
    const { report } = await runOver(orphan, (r) =>
      lookupDone(r, () =>
        ++tries === 1
          ? error(403, "FORBIDDEN_CONSECUTIVE_REQUEST", "반복적인 요청은 허용되지 않습니다.")
          : { status: 200, body: payment("pay_a", "CANCELED") },
      ),
    );
    expect(report.cancelled).toEqual(["pay_a"]);
    const sent = posts();
    expect(sent).toHaveLength(2);
    expect(sent[1]?.headers["idempotency-key"]).toBe(sent[0]?.headers["idempotency-key"]);
    const stamps = stub?.requests.filter((r) => r.method === "POST").map((r) => r.receivedAt) ?? [];
    expect((stamps[1] ?? 0) - (stamps[0] ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("403 FORBIDDEN_CONSECUTIVE_REQUEST every time: left to a later run, never a permanent failure", async () => {
    const { report, stateOf } = await runOver(orphan, (r) =>
      lookupDone(r, () => error(403, "FORBIDDEN_CONSECUTIVE_REQUEST")),
    );
    expect(report.status).toBe("FAILED");
    expect(report.counts.cancelFailed).toBe(0);
    expect(report.findings).toEqual([]);
    expect(await stateOf("pay_a")).toBe("CLAIMED");
  }, 15_000);

  it("retries 409 IDEMPOTENT_REQUEST_PROCESSING with the same key", async () => {
    let tries = 0;
    const { report } = await runOver(orphan, (r) =>
      lookupDone(r, () =>
        ++tries === 1
          ? error(409, "IDEMPOTENT_REQUEST_PROCESSING", "이전 멱등 요청이 처리중입니다.")
          : { status: 200, body: payment("pay_a", "CANCELED") },
      ),
    );
    expect(report.cancelled).toEqual(["pay_a"]);
    const keys = posts().map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("keeps an outcome it cannot know as retryable: PROVIDER_ERROR is re-sent, then left for a later run", async () => {
    const toss = await gateway((r) => lookupDone(r, () => error(400, "PROVIDER_ERROR")));
    const failure = await toss.cancel(cancelOf("pay_a")).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ retryable: true });
  });

  it("a refused refund account is CANCEL_FAILED with a reason an operator can act on", async () => {
    const { report } = await runOver(orphan, (r) =>
      lookupDone(r, () =>
        error(400, "INVALID_REFUND_ACCOUNT_INFO", "환불 계좌번호와 예금주명이 일치하지 않습니다."),
      ),
    );
    expect(report.findings[0]?.reason).toMatch(/refundReceiveAccount/);
  });

  it("401 UNAUTHORIZED_KEY at a cancel: the run fails naming PG_API_KEY, no CANCEL_FAILED, no further cancel", async () => {
    const rows = ["a", "b", "c", "d"].map((id, i) =>
      tx(`t${i}`, `pay_${id}`, String(i + 1), "DONE", kst(60 - i)),
    );
    let refusedAt: number | undefined;
    const { report, stateOf } = await runOver(
      rows,
      (r) => {
        if (r.method === "GET")
          return { status: 200, body: payment(r.path.split("/").at(-1) ?? "", "DONE") };
        refusedAt ??= Date.now();
        return error(401, "UNAUTHORIZED_KEY");
      },
      { config: { concurrency: 1 } },
    );
    expect(report.status).toBe("FAILED");
    expect(report.counts.cancelFailed).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.errors.map((e) => e.message).join()).toContain("PG_API_KEY");
    // Two cancels run at once (twice PG_CONCURRENCY): the one beside the refused one may
    // already be on the wire; no cancel starts after the refusal.
    expect(refusedAt).toBeDefined();
    expect(posts().length).toBeLessThanOrEqual(2);
    for (const id of ["a", "b", "c", "d"]) {
      expect(await stateOf(`pay_${id}`)).not.toBe("FAILED");
    }
    expect(await stateOf("pay_a")).toBe("CLAIMED");
  });
});
