import { afterEach, describe, expect, it } from "vitest";
import { defaultSyncConfig, type SyncConfig } from "../../lambda/core/config.ts";
import { cancelIdempotencyKey } from "../../lambda/core/idempotency-key.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { createRetryingHttp } from "../../lambda/gateways/http/retrying-http.ts";
import { portOneDescriptor } from "../../lambda/gateways/portone/descriptor.ts";
import {
  createPortOneGateway,
  PORTONE_PAGING_LIMIT,
  type PortOneSettings,
} from "../../lambda/gateways/portone/portone-gateway.ts";
import { GatewayCredentialError } from "../../lambda/ports/gateway.ts";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";
import { listAll, listPages } from "../support/gateway-calls.ts";
import {
  type RealStoreAndLedger,
  useRealStoreAndLedger,
} from "../support/real-store-and-ledger.ts";
import { type StubAnswer, type StubRequest, startStub } from "../support/stub-server.ts";

/**
 * Contract tests written from PortOne's official V2 schema (`v2.openapi.json`:
 * `GetPaymentsBody`, `PaymentFilterInput`, `PaidPayment`, `PaymentAmount`,
 * `CancelPaymentBody`, `PaymentCancellation`, the cancel errors) and its REST overview.
 */

const SECRET = "portone-api-secret";
const NOW = Date.parse("2026-11-24T03:00:00.000Z");
const WINDOW = { from: NOW - 7200_000, to: NOW - 1800_000 };
const iso = (ms: number) => new Date(ms).toISOString();
const ago = (minutes: number) => iso(NOW - minutes * 60_000);

/** The store's order ids are numbers: each payment's orderName is one, derived from its id. */
const orderNameOf = (id: string) =>
  String(1000 + [...id].reduce((n, c) => (n * 31 + c.charCodeAt(0)) % 1_000_000, 0));

/** A PaidPayment with the fields the schema requires. */
const paid = (id: string, at = ago(60), extra: Record<string, unknown> = {}) => ({
  status: "PAID",
  id,
  transactionId: `txn-${id}`,
  merchantId: "merchant-1",
  storeId: "store-1",
  channel: { type: "LIVE", pgProvider: "TOSSPAYMENTS", pgMerchantId: "tosspayments" },
  version: "V2",
  orderName: orderNameOf(id),
  amount: { total: 15000, taxFree: 0, discount: 0, paid: 15000, cancelled: 0, cancelledTaxFree: 0 },
  currency: "KRW",
  customer: {},
  origin: { platformType: "PC", ipAddress: "127.0.0.1" },
  requestedAt: at,
  updatedAt: at,
  statusChangedAt: at,
  paidAt: at,
  disputes: [],
  ...extra,
});

/** A `PaymentCancellation` as the schema has it. */
const cancellation = (status: string, totalAmount = 15000, requestedAt = ago(0)) => ({
  status,
  id: "c1",
  totalAmount,
  taxFreeAmount: 0,
  vatAmount: 0,
  reason: "r",
  requestedAt,
});

const cancelled = (id: string) =>
  paid(id, ago(60), {
    status: "CANCELLED",
    amount: {
      total: 15000,
      taxFree: 0,
      discount: 0,
      paid: 15000,
      cancelled: 15000,
      cancelledTaxFree: 0,
    },
    cancellations: [cancellation("SUCCEEDED", 15000, ago(10))],
    cancelledAt: ago(10),
  });

interface Listing {
  page: { number: number; size: number };
  filter: Record<string, unknown>;
}

const listingOf = (request: StubRequest): Listing =>
  JSON.parse(request.query.get("requestBody") ?? "{}") as Listing;

const error = (status: number, type: string, message = type, extra = {}): StubAnswer => ({
  status,
  body: { type, message, ...extra },
});

const real = useRealStoreAndLedger();

let stub: Awaited<ReturnType<typeof startStub>> | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function gateway(
  answer: (request: StubRequest) => StubAnswer,
  settings: PortOneSettings = {},
) {
  stub = await startStub(answer);
  const http = createRetryingHttp({
    budget: createRequestBudget({ concurrency: 4, maxRps: 100_000 }),
    gateway: { ...portOneDescriptor, timeoutMs: 5000 },
    retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 1000 },
  });
  return createPortOneGateway({ baseUrl: stub.url, secret: SECRET, http, ...settings });
}

type Item = ReturnType<typeof paid>;

/**
 * A PortOne listing over `items` with `from`/`until` read as the test says, sorted by
 * statusChangedAt (then id), 0-based numbered pages and the 60,000 limit.
 */
function pagesOf(items: readonly Item[], reading = { fromInclusive: true, untilInclusive: false }) {
  return (request: StubRequest): StubAnswer => {
    const { page, filter } = listingOf(request);
    if ((page.number + 1) * page.size > PORTONE_PAGING_LIMIT)
      return error(400, "INVALID_REQUEST", "(number + 1) * size must not exceed 60000");
    const from = Date.parse(String(filter.from));
    const until = Date.parse(String(filter.until));
    const field = filter.timestampType === "CREATED_AT" ? "requestedAt" : "statusChangedAt";
    const matching = items
      .filter((item) => {
        const at = Date.parse(item[field]);
        return (
          (reading.fromInclusive ? at >= from : at > from) &&
          (reading.untilInclusive ? at <= until : at < until)
        );
      })
      .sort(
        (a, b) =>
          Date.parse(a.statusChangedAt) - Date.parse(b.statusChangedAt) || (a.id < b.id ? -1 : 1),
      );
    const start = page.number * page.size;
    const slice = matching.slice(start, start + page.size);
    return {
      status: 200,
      body: {
        items: slice,
        page: { number: page.number, size: page.size, totalCount: slice.length },
      },
    };
  };
}

const posts = () => stub?.requests.filter((r) => r.method === "POST") ?? [];

/** One run with `items` listed and `handle` answering lookups and cancels. */
async function runOver(
  items: readonly Item[],
  handle: (request: StubRequest) => StubAnswer,
  options: {
    config?: Partial<SyncConfig>;
    ports?: RealStoreAndLedger;
    settings?: PortOneSettings;
  } = {},
) {
  const portone = await gateway(
    (request) =>
      request.method === "GET" && request.path === "/payments"
        ? pagesOf(items)(request)
        : handle(request),
    { orderIdField: "orderName", ...options.settings },
  );
  const ports = options.ports ?? (await real.fresh());
  const report = await runSync(
    { ...defaultSyncConfig, pageSize: 10, ...options.config },
    { gateway: portone, orders: ports.orders, ledger: ports.ledger, now: () => NOW },
  );
  return { report, ports, stateOf: ports.stateOf };
}

describe("PortOne listing", () => {
  it("lists paid payments by the time they were paid, ascending, with `PortOne <secret>` and the store id", async () => {
    const items = ["a", "b", "c"].map((id, i) => paid(`pay_${id}`, ago(100 - i)));
    const portone = await gateway(pagesOf(items), { storeId: "store-1" });
    const pages = await listPages(portone, { window: WINDOW, perPage: 2 });
    expect(pages.map((page) => page.map((p) => p.pgUid))).toEqual([["pay_a", "pay_b"], ["pay_c"]]);
    const [first, second] = stub?.requests ?? [];
    expect(first?.headers.authorization).toBe(`PortOne ${SECRET}`);
    expect(first?.path).toBe("/payments");
    expect(listingOf(first as StubRequest)).toEqual({
      page: { number: 0, size: 2 },
      filter: {
        storeId: "store-1",
        timestampType: "STATUS_CHANGED_AT",
        from: iso(WINDOW.from - 1),
        until: iso(WINDOW.to),
        status: ["PAID"],
        sortBy: "STATUS_CHANGED_AT",
        sortOrder: "ASC",
      },
    });
    expect(listingOf(second as StubRequest).page).toEqual({ number: 1, size: 2 });
    // A short page ends the window: `page.totalCount` is "실제 반환된 객체 수", no plan.
    expect(stub?.requests).toHaveLength(2);
    expect(pages[0]?.[0]).toEqual({
      pgUid: "pay_a",
      storeOrderId: "pay_a",
      amount: 15000,
      currency: "KRW",
      status: "paid",
      paidAt: NOW - 100 * 60_000,
    });
  });

  it("judges a payment created three days ago and paid inside the window", async () => {
    const late = paid("pay_vbank", ago(60), { requestedAt: ago(3 * 24 * 60) });
    const portone = await gateway(pagesOf([late]));
    expect((await listAll(portone, { window: WINDOW, perPage: 10 })).map((p) => p.pgUid)).toEqual([
      "pay_vbank",
    ]);
  });

  it("holds exactly [from, to), whichever way PortOne reads `from` and `until`", async () => {
    const items = [
      paid("at_from", iso(WINDOW.from)),
      paid("inside", ago(60)),
      paid("before_to", iso(WINDOW.to - 1)),
      paid("at_to", iso(WINDOW.to)),
      paid("before_from", iso(WINDOW.from - 1)),
    ];
    for (const fromInclusive of [true, false]) {
      for (const untilInclusive of [true, false]) {
        const portone = await gateway(pagesOf(items, { fromInclusive, untilInclusive }));
        const uids = (await listAll(portone, { window: WINDOW, perPage: 10 })).map((p) => p.pgUid);
        expect(uids).toEqual(["at_from", "inside", "before_to"]);
        await stub?.close();
        stub = undefined;
      }
    }
  });

  it("past the 60,000 paging limit, restarts at the last time seen: no overlap, no gap, many at one millisecond", async () => {
    // 62,001 payments, three per millisecond, so a restart lands inside a millisecond.
    const count = 62_001;
    const items = Array.from({ length: count }, (_, i) =>
      paid(`p${String(i).padStart(6, "0")}`, iso(WINDOW.from + Math.floor(i / 3))),
    );
    for (const untilInclusive of [false, true]) {
      const portone = await gateway(pagesOf(items, { fromInclusive: true, untilInclusive }));
      const uids = (await listAll(portone, { window: WINDOW, perPage: 1000 })).map((p) => p.pgUid);
      expect(uids).toHaveLength(count);
      expect(new Set(uids).size).toBe(count);
      const numbers = (stub?.requests ?? []).map((r) => listingOf(r).page);
      expect(Math.max(...numbers.map((p) => (p.number + 1) * p.size))).toBeLessThanOrEqual(
        PORTONE_PAGING_LIMIT,
      );
      await stub?.close();
      stub = undefined;
    }
  }, 60_000);

  it("maps the store order id from orderName when configured", async () => {
    const portone = await gateway(pagesOf([paid("pay_a")]), { orderIdField: "orderName" });
    expect((await listAll(portone, { window: WINDOW, perPage: 10 }))[0]?.storeOrderId).toBe(
      orderNameOf("pay_a"),
    );
  });

  it("reads amounts as minor units in a currency it can place, and fails the run on one it cannot", async () => {
    const usd = paid("pay_usd", ago(60), {
      currency: "USD",
      amount: {
        total: 72624,
        taxFree: 0,
        discount: 0,
        paid: 72624,
        cancelled: 0,
        cancelledTaxFree: 0,
      },
    });
    const portone = await gateway(pagesOf([usd]));
    expect((await listAll(portone, { window: WINDOW, perPage: 10 }))[0]?.amount).toBe(72624);
    await stub?.close();
    const odd = await gateway(pagesOf([paid("pay_odd", ago(60), { currency: "XXX" })]));
    await expect(listAll(odd, { window: WINDOW, perPage: 10 })).rejects.toThrow(/pay_odd.*XXX/);
  });

  it("fails for good on 401 UNAUTHORIZED, naming PG_API_KEY", async () => {
    const portone = await gateway(() =>
      error(401, "UNAUTHORIZED", "인증 정보가 올바르지 않습니다."),
    );
    const failure = await listAll(portone, { window: WINDOW, perPage: 10 }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(GatewayCredentialError);
    expect((failure as Error).message).toContain("PG_API_KEY");
  });
});

describe("PortOne: the lookup and the cancel", () => {
  it("looks up with ?storeId=, then sends storeId, reason, currentCancellableAmount and a quoted key", async () => {
    const { report } = await runOver(
      [paid("pay_a")],
      (r) =>
        r.method === "GET"
          ? { status: 200, body: paid("pay_a") }
          : {
              status: 200,
              body: {
                cancellation: cancellation("SUCCEEDED"),
              },
            },
      { settings: { storeId: "store-1" } },
    );
    expect(report.cancelled).toEqual(["pay_a"]);
    const lookup = stub?.requests.find((r) => r.method === "GET" && r.path === "/payments/pay_a");
    expect(lookup?.query.get("storeId")).toBe("store-1");
    const [post] = posts();
    expect(post?.path).toBe("/payments/pay_a/cancel");
    expect(post?.headers["idempotency-key"]).toBe(`"${cancelIdempotencyKey("pay_a")}"`);
    expect(JSON.parse(post?.body ?? "")).toEqual({
      storeId: "store-1",
      reason: defaultSyncConfig.cancelReason,
      currentCancellableAmount: 15000,
    });
  });

  it("a discounted payment: the cancellable balance is amount.total − amount.cancelled, not what was paid", async () => {
    const discounted = paid("pay_d", ago(60), {
      amount: {
        total: 10000,
        taxFree: 0,
        discount: 1000,
        paid: 9000,
        cancelled: 0,
        cancelledTaxFree: 0,
      },
    });
    const { report } = await runOver([discounted], (r) =>
      r.method === "GET"
        ? { status: 200, body: discounted }
        : {
            status: 200,
            body: {
              cancellation: cancellation("SUCCEEDED", 10000),
            },
          },
    );
    expect(report.cancelled).toEqual(["pay_d"]);
    expect(JSON.parse(posts()[0]?.body ?? "")).toMatchObject({ currentCancellableAmount: 10000 });
  });

  it("never posts for a payment PortOne has cancelled, partly cancelled or paid into a virtual account", async () => {
    const cases = [
      [cancelled("pay_a"), { alreadyCancelled: 1 }],
      [
        paid("pay_a", ago(60), {
          status: "PARTIAL_CANCELLED",
          amount: {
            total: 15000,
            taxFree: 0,
            discount: 0,
            paid: 15000,
            cancelled: 5000,
            cancelledTaxFree: 0,
          },
        }),
        { cancelFailed: 1 },
      ],
      [
        paid("pay_a", ago(60), {
          method: { type: "PaymentMethodVirtualAccount", accountNumber: "123" },
        }),
        { cancelFailed: 1 },
      ],
    ] as const;
    for (const [state, counts] of cases) {
      const { report } = await runOver([paid("pay_a")], () => ({ status: 200, body: state }));
      expect(report.counts).toMatchObject(counts);
      expect(posts()).toEqual([]);
      await stub?.close();
      stub = undefined;
    }
  });

  it("a REQUESTED cancellation counts as cancelled, stays REQUESTED, is never sent again, and a later lookup closes it", async () => {
    const requested = cancellation("REQUESTED");
    let state: unknown = paid("pay_a");
    const handle = (r: StubRequest): StubAnswer => {
      if (r.method === "GET") return { status: 200, body: state };
      state = paid("pay_a", ago(60), { cancellations: [requested] });
      return { status: 200, body: { cancellation: requested } };
    };
    const first = await runOver([paid("pay_a")], handle);
    expect(first.report.cancelled).toEqual(["pay_a"]);
    expect(first.report.counts.cancelled).toBe(1);
    expect(await first.stateOf("pay_a")).toBe("REQUESTED");
    await stub?.close();

    // Still under way: the payment is still listed as paid, nothing is sent.
    const second = await runOver([paid("pay_a")], handle, { ports: first.ports });
    expect(posts()).toEqual([]);
    expect(await second.stateOf("pay_a")).toBe("REQUESTED");
    await stub?.close();

    // Finished: the lookup shows it cancelled, and the ledger closes it.
    state = cancelled("pay_a");
    const third = await runOver([], handle, { ports: first.ports });
    expect(await third.stateOf("pay_a")).toBe("CANCELLED");
    expect(posts()).toEqual([]);
  });

  it("a REQUESTED cancellation that fails later raises CANCEL_FAILED", async () => {
    const requested = cancellation("REQUESTED");
    let state: unknown = paid("pay_a");
    const handle = (r: StubRequest): StubAnswer => {
      if (r.method === "GET") return { status: 200, body: state };
      return { status: 200, body: { cancellation: requested } };
    };
    const first = await runOver([paid("pay_a")], handle);
    expect(await first.stateOf("pay_a")).toBe("REQUESTED");
    await stub?.close();
    state = paid("pay_a", ago(60), {
      cancellations: [{ ...requested, status: "FAILED", reason: "bank refused" }],
    });
    const later = await runOver([], handle, { ports: first.ports });
    expect(await later.stateOf("pay_a")).toBe("FAILED");
    expect(later.report.findings).toContainEqual(
      expect.objectContaining({
        kind: "CANCEL_FAILED",
        pgUid: "pay_a",
        reason: expect.stringContaining("failed"),
      }),
    );
    expect(later.report.counts.cancelFailed).toBe(1);
  });

  it("answers FAILED, refusals and PG_PROVIDER as PortOne describes them", async () => {
    const cases: [StubAnswer, RegExp][] = [
      [
        {
          status: 200,
          body: {
            cancellation: cancellation("FAILED"),
          },
        },
        /CANCELLATION_FAILED/,
      ],
      [
        error(
          409,
          "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
          "취소 금액이 취소 가능 금액을 초과합니다.",
        ),
        /CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT.*취소 가능 금액/,
      ],
      [
        error(409, "MAX_CANCEL_COUNT_REACHED", "최대 취소 횟수에 도달했습니다."),
        /MAX_CANCEL_COUNT_REACHED.*최대 취소 횟수/,
      ],
      [error(409, "PAYMENT_NOT_PAID", "결제가 완료되지 않았습니다."), /PAYMENT_NOT_PAID/],
      [
        error(409, "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN"),
        /CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN/,
      ],
      [
        error(400, "CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT", "과세 금액 초과"),
        /CANCEL_TAX_AMOUNT_EXCEEDS_CANCELLABLE_TAX_AMOUNT.*과세/,
      ],
      [
        error(400, "NEGATIVE_PROMOTION_ADJUSTED_CANCEL_AMOUNT", "프로모션 조정 금액 음수"),
        /NEGATIVE_PROMOTION_ADJUSTED_CANCEL_AMOUNT/,
      ],
    ];
    for (const [answer, reason] of cases) {
      const { report, stateOf } = await runOver([paid("pay_a")], (r) =>
        r.method === "GET" ? { status: 200, body: paid("pay_a") } : answer,
      );
      expect(report.counts.cancelFailed).toBe(1);
      expect(report.findings[0]?.reason).toMatch(reason);
      expect(await stateOf("pay_a")).toBe("FAILED");
      await stub?.close();
      stub = undefined;
    }
  });

  it("PAYMENT_ALREADY_CANCELLED means already cancelled", async () => {
    const { report } = await runOver([paid("pay_a")], (r) =>
      r.method === "GET"
        ? { status: 200, body: paid("pay_a") }
        : error(409, "PAYMENT_ALREADY_CANCELLED"),
    );
    expect(report.counts).toMatchObject({ alreadyCancelled: 1, cancelFailed: 0 });
  });

  it("retries 409 IDEMPOTENCY_OUTSTANDING_REQUEST with the same key", async () => {
    let tries = 0;
    const { report } = await runOver([paid("pay_a")], (r) => {
      if (r.method === "GET") return { status: 200, body: paid("pay_a") };
      return ++tries === 1
        ? error(409, "IDEMPOTENCY_OUTSTANDING_REQUEST")
        : {
            status: 200,
            body: {
              cancellation: cancellation("SUCCEEDED"),
            },
          };
    });
    expect(report.cancelled).toEqual(["pay_a"]);
    const keys = posts().map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });

  it("502 PG_PROVIDER: the same key within the claim's attempts, then CANCEL_FAILED naming pgCode and pgMessage", async () => {
    const pgError = error(502, "PG_PROVIDER", "PG사에서 오류를 전달했습니다.", {
      pgCode: "E101",
      pgMessage: "카드사 응답 없음",
    });
    const handle = (r: StubRequest): StubAnswer =>
      r.method === "GET" ? { status: 200, body: paid("pay_a") } : pgError;
    const ports = await real.fresh();
    const config = { maxCancelAttempts: 2 };
    const first = await runOver([paid("pay_a")], handle, { ports, config });
    expect(first.report.counts.cancelFailed).toBe(0);
    expect(first.report.errors[0]?.message).toMatch(/pgCode E101.*pgMessage 카드사 응답 없음/);
    await stub?.close();
    await runOver([paid("pay_a")], handle, { ports, config });
    await stub?.close();
    const third = await runOver([paid("pay_a")], handle, { ports, config });
    expect(third.report.counts.cancelFailed).toBe(1);
    expect(third.report.findings[0]?.reason).toMatch(/pgCode E101.*pgMessage 카드사 응답 없음/);
    expect(await ports.stateOf("pay_a")).toBe("FAILED");
    // Every attempt, in every run, carried the one key.
    expect(
      new Set(
        stub?.requests.filter((r) => r.method === "POST").map((r) => r.headers["idempotency-key"]),
      ).size,
    ).toBeLessThanOrEqual(1);
  });
});
