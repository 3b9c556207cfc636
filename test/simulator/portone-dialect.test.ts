import type {
  CancelPaymentResponse,
  GetPaymentsResponse,
  PaidPayment,
} from "@portone/server-sdk/payment";
import { describe, expect, it } from "vitest";
import type { PgSimulatorOptions, SimPayment } from "../../local/simulator/pg-simulator.ts";
import { type Answer, call, portOneAuthorization, simPayment, sleep, startSim } from "./helpers.ts";

/**
 * The PortOne dialect against PortOne V2's schema (`v2.openapi.json`) and REST overview:
 * complete payment objects, the listing's filter, the cancel's checks and its asynchronous
 * `REQUESTED` outcome, the Idempotency-Key rules, and only documented error types.
 */

interface PortOneError {
  type: string;
  message?: string;
  pgCode?: string;
  pgMessage?: string;
}

/** A listed or looked-up payment, loosely: each test asserts the fields it cares about. */
type Item = PaidPayment & {
  status: string;
  origin?: unknown;
  cancelledAt?: string;
  cancellations?: Array<{ status: string; totalAmount: number; id: string }>;
};

/** The schema's `required` lists (v2.openapi.json, `#/components/schemas/*Payment`). */
const COMMON_REQUIRED = [
  "status",
  "id",
  "transactionId",
  "merchantId",
  "storeId",
  "version",
  "requestedAt",
  "updatedAt",
  "statusChangedAt",
  "orderName",
  "amount",
  "currency",
  "customer",
  "origin",
];
const REQUIRED: Record<string, string[]> = {
  PAID: [...COMMON_REQUIRED, "channel", "paidAt", "disputes"],
  CANCELLED: [...COMMON_REQUIRED, "channel", "cancellations", "cancelledAt"],
  PARTIAL_CANCELLED: [...COMMON_REQUIRED, "channel", "cancellations", "cancelledAt"],
  VIRTUAL_ACCOUNT_ISSUED: [...COMMON_REQUIRED, "channel"],
  FAILED: [...COMMON_REQUIRED, "failedAt", "failure"],
};
const AMOUNT_REQUIRED = ["total", "taxFree", "discount", "paid", "cancelled", "cancelledTaxFree"];
const CANCELLATION_REQUIRED = [
  "status",
  "id",
  "totalAmount",
  "taxFreeAmount",
  "vatAmount",
  "reason",
  "requestedAt",
];

const DATASET: SimPayment[] = [
  simPayment("PAID1", "2026-11-24T01:00:00Z"),
  simPayment("DISC", "2026-11-24T01:05:00Z", { discount: 1_000 }),
  simPayment("USD1", "2026-11-24T01:06:00Z", { amount: 72_624, currency: "USD" }),
  simPayment("REQ", "2026-11-24T01:10:00Z", { cancel_flow: "requested" }),
  simPayment("REQFAIL", "2026-11-24T01:15:00Z", { cancel_flow: "requested_then_failed" }),
  simPayment("VA_PAID", "2026-11-24T01:20:00Z", {
    method: "virtual_account",
    requested_at: "2026-11-23T20:00:00Z",
  }),
  simPayment("VA_WAIT", "2026-11-24T01:25:00Z", {
    method: "virtual_account",
    status: "waiting_for_deposit",
  }),
  simPayment("CANC", "2026-11-24T00:30:00Z", {
    status: "cancelled",
    cancelled_at: "2026-11-24T01:30:00Z",
  }),
  simPayment("PART", "2026-11-24T00:40:00Z", {
    status: "partial_cancelled",
    cancelled_amount: 3_000,
    cancelled_at: "2026-11-24T01:35:00Z",
  }),
  simPayment("ABORT", "2026-11-24T01:40:00Z", { status: "aborted" }),
];

const EVERYTHING = { from: "2026-11-20T00:00:00Z", until: "2026-11-25T00:00:00Z" };
const KEY = (n: number | string) => `"paysync-test-key-${n}"`;

function startPortOne(overrides: Partial<PgSimulatorOptions> = {}) {
  return startSim({ payments: DATASET, dialect: "portone", ...overrides });
}

type Sim = Awaited<ReturnType<typeof startPortOne>>;

const auth = { authorization: portOneAuthorization() };

function list(
  sim: Sim,
  body: { page?: Record<string, unknown>; filter?: Record<string, unknown> },
): Promise<Answer<Omit<GetPaymentsResponse, "items"> & { items: Item[] } & PortOneError>> {
  return call(sim, "/payments", {
    headers: auth,
    query: { requestBody: JSON.stringify(body) },
  });
}

async function ids(sim: Sim, filter: Record<string, unknown>): Promise<string[]> {
  const answer = await list(sim, { page: { size: 100 }, filter });
  expect(answer.status).toBe(200);
  return answer.json.items.map((item) => item.id);
}

function lookup(sim: Sim, id: string, query: Record<string, string> = {}) {
  return call<Item & PortOneError>(sim, `/payments/${id}`, { headers: auth, query });
}

function cancel(
  sim: Sim,
  id: string,
  body: Record<string, unknown> = {},
  key?: string,
): Promise<Answer<CancelPaymentResponse & PortOneError>> {
  return call(sim, `/payments/${id}/cancel`, {
    method: "POST",
    headers: { ...auth, ...(key === undefined ? {} : { "idempotency-key": key }) },
    body: { reason: "order never completed", ...body },
  });
}

describe("portone: payment objects", () => {
  it("carries every field the schema requires, for every status", async () => {
    const sim = await startPortOne();
    const { json } = await list(sim, { page: { size: 100 }, filter: EVERYTHING });
    expect(new Set(json.items.map((item) => item.status))).toEqual(
      new Set(["PAID", "CANCELLED", "PARTIAL_CANCELLED", "VIRTUAL_ACCOUNT_ISSUED", "FAILED"]),
    );
    for (const item of json.items) {
      const required = REQUIRED[item.status] ?? [];
      expect(Object.keys(item), `${item.id} ${item.status}`).toEqual(
        expect.arrayContaining(required),
      );
      expect(Object.keys(item.amount)).toEqual(expect.arrayContaining(AMOUNT_REQUIRED));
      for (const value of Object.values(item.amount))
        expect(Number.isSafeInteger(value)).toBe(true);
      expect(item.origin).toEqual({ platformType: "PC", ipAddress: expect.any(String) });
      expect(item.channel).toMatchObject({
        pgProvider: expect.any(String),
        pgMerchantId: expect.any(String),
      });
      for (const c of item.cancellations ?? []) {
        expect(Object.keys(c)).toEqual(expect.arrayContaining(CANCELLATION_REQUIRED));
      }
    }
  });

  it("keeps amounts in minor units and shows a discount: paid = total − discount", async () => {
    const sim = await startPortOne();
    expect((await lookup(sim, "USD1")).json).toMatchObject({
      currency: "USD",
      amount: { total: 72624, paid: 72624, discount: 0, cancelled: 0 },
    });
    expect((await lookup(sim, "DISC")).json.amount).toEqual({
      total: 10000,
      taxFree: 0,
      discount: 1000,
      paid: 9000,
      cancelled: 0,
      cancelledTaxFree: 0,
    });
  });

  it("gives each method its PaymentMethod variant and an issued account its own status", async () => {
    const sim = await startPortOne();
    expect((await lookup(sim, "PAID1")).json.method).toEqual({ type: "PaymentMethodCard" });
    const account = (await lookup(sim, "VA_PAID")).json;
    expect(account).toMatchObject({
      status: "PAID",
      requestedAt: "2026-11-23T20:00:00Z",
      paidAt: "2026-11-24T01:20:00Z",
      method: {
        type: "PaymentMethodVirtualAccount",
        accountNumber: expect.stringMatching(/^\d+$/),
      },
    });
    expect((await lookup(sim, "VA_WAIT")).json).toMatchObject({
      status: "VIRTUAL_ACCOUNT_ISSUED",
      amount: { paid: 0 },
    });
    expect((await lookup(sim, "ABORT")).json).toMatchObject({
      status: "FAILED",
      failedAt: "2026-11-24T01:40:00Z",
    });
  });

  it("answers 404 PAYMENT_NOT_FOUND for an unknown id or another store", async () => {
    const sim = await startPortOne();
    for (const answer of [
      await lookup(sim, "nope"),
      await lookup(sim, "PAID1", { storeId: "store-other" }),
    ]) {
      expect([answer.status, answer.json.type]).toEqual([404, "PAYMENT_NOT_FOUND"]);
    }
    expect((await lookup(sim, "PAID1", { storeId: "store-sim" })).status).toBe(200);
  });

  it("answers 401 UNAUTHORIZED without the PortOne scheme and secret", async () => {
    const sim = await startPortOne();
    for (const authorization of ["Bearer sim_test_key", "PortOne wrong", ""]) {
      const answer = await call<PortOneError>(sim, "/payments/PAID1", {
        headers: { authorization },
      });
      expect([answer.status, answer.json.type]).toEqual([401, "UNAUTHORIZED"]);
    }
  });
});

describe("portone: the listing", () => {
  it("filters on statusChangedAt by default: paid time for PAID, cancel time for CANCELLED, from inclusive, until exclusive", async () => {
    const sim = await startPortOne();
    const window = {
      from: "2026-11-24T01:00:00Z",
      until: "2026-11-24T01:30:00Z",
      sortOrder: "ASC",
    };
    expect(await ids(sim, window)).toEqual([
      "PAID1",
      "DISC",
      "USD1",
      "REQ",
      "REQFAIL",
      "VA_PAID",
      "VA_WAIT",
    ]);
    expect(
      await ids(sim, { ...window, until: "2026-11-24T01:30:00.001Z", status: ["CANCELLED"] }),
    ).toEqual(["CANC"]);
  });

  it("filters on requestedAt with timestampType CREATED_AT", async () => {
    const sim = await startPortOne();
    const early = { from: "2026-11-24T00:00:00Z", until: "2026-11-24T01:00:00Z", sortOrder: "ASC" };
    expect(await ids(sim, { ...early, timestampType: "CREATED_AT" })).toEqual(["CANC", "PART"]);
    expect(await ids(sim, { ...early, timestampType: "STATUS_CHANGED_AT" })).toEqual([]);
    const dayBefore = { from: "2026-11-23T00:00:00Z", until: "2026-11-24T00:00:00Z" };
    expect(await ids(sim, { ...dayBefore, timestampType: "CREATED_AT" })).toEqual(["VA_PAID"]);
  });

  it("sorts by sortBy and sortOrder, newest statusChangedAt first by default", async () => {
    const sim = await startPortOne();
    const window = { from: "2026-11-23T00:00:00Z", until: "2026-11-24T01:30:00Z" };
    const asc = await ids(sim, { ...window, sortOrder: "ASC" });
    expect(await ids(sim, window)).toEqual([...asc].reverse());
    // By request time VA_PAID (issued the day before) comes first.
    const byRequest = await ids(sim, { ...window, sortBy: "REQUESTED_AT", sortOrder: "ASC" });
    expect(byRequest[0]).toBe("VA_PAID");
    expect(asc[0]).toBe("PAID1");
  });

  it("filters by status and by store", async () => {
    const sim = await startPortOne({ storeId: "store-b" });
    expect(await ids(sim, { ...EVERYTHING, status: ["PAID"], sortOrder: "ASC" })).toEqual([
      "PAID1",
      "DISC",
      "USD1",
      "REQ",
      "REQFAIL",
      "VA_PAID",
    ]);
    expect(await ids(sim, { ...EVERYTHING, storeId: "store-sim" })).toEqual([]);
    expect(await ids(sim, { ...EVERYTHING, storeId: "store-b" })).toHaveLength(DATASET.length);
    expect((await lookup(sim, "PAID1")).json.storeId).toBe("store-b");
  });

  it("moves a cancelled payment out of its paid-time window", async () => {
    const sim = await startPortOne();
    const paidWindow = {
      from: "2026-11-24T01:00:00Z",
      until: "2026-11-24T01:01:00Z",
      status: ["PAID"],
    };
    expect(await ids(sim, paidWindow)).toEqual(["PAID1"]);
    expect((await cancel(sim, "PAID1", {}, KEY(1))).status).toBe(200);
    expect(await ids(sim, paidWindow)).toEqual([]);
    expect(await ids(sim, { ...paidWindow, status: ["CANCELLED"] })).toEqual([]);
  });

  it("pages 0-based, with totalCount the number the page holds", async () => {
    const sim = await startPortOne();
    const filter = { ...EVERYTHING, sortOrder: "ASC" };
    const all = await ids(sim, filter);
    const second = await list(sim, { page: { number: 1, size: 3 }, filter });
    expect(second.json.items.map((item) => item.id)).toEqual(all.slice(3, 6));
    expect(second.json.page).toEqual({ number: 1, size: 3, totalCount: 3 });
    const past = await list(sim, { page: { number: 9, size: 3 }, filter });
    expect(past.json).toEqual({ items: [], page: { number: 9, size: 3, totalCount: 0 } });
    // Without page: number 0, size 10.
    expect((await list(sim, { filter })).json.page).toEqual({
      number: 0,
      size: 10,
      totalCount: 10,
    });
  });

  it.each([
    ["(number + 1) * size over 60,000", { page: { number: 600, size: 100 } }],
    ["a negative page number", { page: { number: -1 } }],
    ["an unknown timestampType", { filter: { timestampType: "PAID_AT" } }],
    ["an unknown status", { filter: { status: ["DONE"] } }],
    ["an unknown sortOrder", { filter: { sortOrder: "UP" } }],
    ["a from that is not a date-time", { filter: { from: "yesterday" } }],
    ["until before from", { filter: { from: EVERYTHING.until, until: EVERYTHING.from } }],
  ])("answers 400 INVALID_REQUEST for %s", async (_label, body) => {
    const sim = await startPortOne();
    const answer = await list(sim, body);
    expect([answer.status, answer.json.type]).toEqual([400, "INVALID_REQUEST"]);
  });

  it("accepts (number + 1) * size of exactly 60,000", async () => {
    const sim = await startPortOne();
    expect((await list(sim, { page: { number: 599, size: 100 } })).status).toBe(200);
  });

  it("fails scripted page reads with a bodiless 500", async () => {
    const sim = await startPortOne({ faults: { failPageReads: 1 } });
    const failed = await list(sim, { filter: EVERYTHING });
    expect([failed.status, failed.text]).toEqual([500, ""]);
    expect((await list(sim, { filter: EVERYTHING })).status).toBe(200);
  });
});

describe("portone: the cancel", () => {
  it("cancels with the SUCCEEDED cancellation, once", async () => {
    const sim = await startPortOne();
    const answer = await cancel(sim, "PAID1", { currentCancellableAmount: 10_000 }, KEY(1));
    expect(answer.status).toBe(200);
    expect(answer.json.cancellation).toMatchObject({
      status: "SUCCEEDED",
      totalAmount: 10000,
      reason: "order never completed",
    });
    expect((await lookup(sim, "PAID1")).json).toMatchObject({
      status: "CANCELLED",
      amount: { cancelled: 10000 },
      cancellations: [expect.objectContaining({ status: "SUCCEEDED" })],
    });
    expect(sim.effectiveCancels()).toEqual(new Map([["PAID1", 1]]));
  });

  it("counts a discounted payment's balance in its total: total − cancelled", async () => {
    const sim = await startPortOne();
    const paidAmount = await cancel(sim, "DISC", { currentCancellableAmount: 9_000 }, KEY(1));
    expect([paidAmount.status, paidAmount.json.type]).toEqual([
      409,
      "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
    ]);
    expect(sim.effectiveCancels().size).toBe(0);
    const total = await cancel(sim, "DISC", { currentCancellableAmount: 10_000 }, KEY(2));
    expect(total.status).toBe(200);
    expect((await lookup(sim, "DISC")).json.amount).toMatchObject({
      total: 10000,
      discount: 1000,
      paid: 9000,
      cancelled: 10000,
    });
  });

  it("refuses an amount over the balance with 409 CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT", async () => {
    const sim = await startPortOne();
    const answer = await cancel(sim, "PAID1", { amount: 10_001 }, KEY(1));
    expect([answer.status, answer.json.type]).toEqual([
      409,
      "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
    ]);
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("answers 409 PAYMENT_ALREADY_CANCELLED and PAYMENT_NOT_PAID", async () => {
    const sim = await startPortOne();
    const cancelled = await cancel(sim, "CANC", {}, KEY(1));
    expect([cancelled.status, cancelled.json.type]).toEqual([409, "PAYMENT_ALREADY_CANCELLED"]);
    for (const id of ["VA_WAIT", "ABORT", "PART"]) {
      const answer = await cancel(sim, id, {}, KEY(id));
      expect([id, answer.status, answer.json.type]).toEqual([id, 409, "PAYMENT_NOT_PAID"]);
    }
    const unknown = await cancel(sim, "nope", {}, KEY(2));
    expect([unknown.status, unknown.json.type]).toEqual([404, "PAYMENT_NOT_FOUND"]);
  });

  it("answers 404 PAYMENT_NOT_FOUND for a cancel naming another store, with no effect", async () => {
    const sim = await startPortOne();
    const answer = await cancel(sim, "PAID1", { storeId: "store-other" }, KEY(1));
    expect([answer.status, answer.json.type]).toEqual([404, "PAYMENT_NOT_FOUND"]);
    expect((await cancel(sim, "PAID1", { storeId: "store-sim" }, KEY(2))).status).toBe(200);
  });

  it("refuses a deposited virtual account without refundAccount, 400 INVALID_REQUEST, no effect", async () => {
    const sim = await startPortOne();
    const refused = await cancel(sim, "VA_PAID", {}, KEY(1));
    expect([refused.status, refused.json.type]).toEqual([400, "INVALID_REQUEST"]);
    expect(refused.json.message).toContain("refundAccount");
    expect(sim.effectiveCancels().size).toBe(0);
    const refundAccount = { bank: "SHINHAN", number: "110123456789", holderName: "홍길동" };
    expect((await cancel(sim, "VA_PAID", { refundAccount }, KEY(2))).status).toBe(200);
    expect(sim.effectiveCancels()).toEqual(new Map([["VA_PAID", 1]]));
  });

  it.each([
    ["no reason", { reason: "" }],
    ["a currentCancellableAmount that is not an integer", { currentCancellableAmount: "10000" }],
    ["an incomplete refundAccount", { refundAccount: { bank: "SHINHAN" } }],
  ])("answers 400 INVALID_REQUEST for %s, not stored", async (_label, body) => {
    const sim = await startPortOne();
    const answer = await cancel(sim, "PAID1", body, KEY(1));
    expect([answer.status, answer.json.type]).toEqual([400, "INVALID_REQUEST"]);
    expect((await cancel(sim, "PAID1", {}, KEY(1))).status).toBe(200);
  });
});

describe("portone: REQUESTED cancellations", () => {
  it("accepts as REQUESTED, keeps the payment PAID until the next read, then counts one cancel", async () => {
    const sim = await startPortOne();
    const answer = await cancel(sim, "REQ", {}, KEY(1));
    expect(answer.status).toBe(200);
    expect(answer.json.cancellation).toMatchObject({ status: "REQUESTED", totalAmount: 10000 });
    expect(sim.effectiveCancels().size).toBe(0);
    expect(sim.payments().find((p) => p.pg_uid === "REQ")?.status).toBe("paid");

    const after = (await lookup(sim, "REQ")).json;
    expect(after).toMatchObject({
      status: "CANCELLED",
      cancellations: [expect.objectContaining({ status: "SUCCEEDED", totalAmount: 10000 })],
    });
    expect(sim.effectiveCancels()).toEqual(new Map([["REQ", 1]]));
    // The key replays what was answered then.
    const replay = await cancel(sim, "REQ", {}, KEY(1));
    expect(replay.json).toEqual(answer.json);
    expect(sim.effectiveCancels()).toEqual(new Map([["REQ", 1]]));
  });

  it("stays REQUESTED until requestedFinishMs or finishRequestedCancellations(), refusing a second cancel meanwhile", async () => {
    const sim = await startPortOne({ requestedFinishMs: 60_000 });
    expect((await cancel(sim, "REQ", {}, KEY(1))).json.cancellation.status).toBe("REQUESTED");
    const pending = (await lookup(sim, "REQ")).json;
    expect(pending).toMatchObject({
      status: "PAID",
      amount: { cancelled: 0 },
      cancellations: [expect.objectContaining({ status: "REQUESTED" })],
    });
    const second = await cancel(sim, "REQ", {}, KEY(2));
    expect([second.status, second.json.type]).toEqual([
      409,
      "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
    ]);
    expect(sim.effectiveCancels().size).toBe(0);

    expect(sim.finishRequestedCancellations()).toBe(1);
    expect(sim.finishRequestedCancellations()).toBe(0);
    expect((await lookup(sim, "REQ")).json.status).toBe("CANCELLED");
    expect(sim.effectiveCancels()).toEqual(new Map([["REQ", 1]]));
  });

  it("finishes by itself once requestedFinishMs has passed", async () => {
    const sim = await startPortOne({ requestedFinishMs: 200 });
    await cancel(sim, "REQ", {}, KEY(1));
    expect((await lookup(sim, "REQ")).json.status).toBe("PAID");
    await sleep(250);
    expect((await lookup(sim, "REQ")).json.status).toBe("CANCELLED");
    expect(sim.effectiveCancels()).toEqual(new Map([["REQ", 1]]));
  });

  it("fails a requested_then_failed cancellation: still PAID, a FAILED cancellation, nothing counted", async () => {
    const sim = await startPortOne();
    expect((await cancel(sim, "REQFAIL", {}, KEY(1))).json.cancellation.status).toBe("REQUESTED");
    const failed = (await lookup(sim, "REQFAIL")).json;
    expect(failed).toMatchObject({
      status: "PAID",
      amount: { cancelled: 0 },
      cancellations: [expect.objectContaining({ status: "FAILED" })],
    });
    expect(sim.effectiveCancels().size).toBe(0);
    // Another attempt takes the same course.
    expect((await cancel(sim, "REQFAIL", {}, KEY(2))).json.cancellation.status).toBe("REQUESTED");
    expect((await lookup(sim, "REQFAIL")).json.cancellations?.map((c) => c.status)).toEqual([
      "FAILED",
      "FAILED",
    ]);
    expect(sim.effectiveCancels().size).toBe(0);
  });
});

describe("portone: Idempotency-Key", () => {
  it.each([
    ["unquoted", "paysync-test-key-unquoted"],
    ["15 characters", '"123456789012345"'],
    ["257 characters", `"${"k".repeat(257)}"`],
    ["with a tab inside", '"paysync-test-key\t0001"'],
  ])("answers 400 INVALID_REQUEST for a key %s, with no effect", async (_label, key) => {
    const sim = await startPortOne();
    const answer = await cancel(sim, "PAID1", {}, key);
    expect([answer.status, answer.json.type]).toEqual([400, "INVALID_REQUEST"]);
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("accepts 16 and 256 characters in double quotes", async () => {
    const sim = await startPortOne();
    expect((await cancel(sim, "PAID1", {}, '"1234567890123456"')).status).toBe(200);
    expect((await cancel(sim, "DISC", {}, `"${"k".repeat(256)}"`)).status).toBe(200);
  });

  it("replays the stored answer, and scopes a key to the payment's URL (no 422)", async () => {
    const sim = await startPortOne();
    const first = await cancel(sim, "PAID1", {}, KEY(1));
    const replay = await cancel(sim, "PAID1", {}, KEY(1));
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual(first.json);
    expect((await cancel(sim, "USD1", {}, KEY(1))).status).toBe(200);
    expect(sim.effectiveCancels()).toEqual(
      new Map([
        ["PAID1", 1],
        ["USD1", 1],
      ]),
    );
  });

  it("answers 409 IDEMPOTENCY_OUTSTANDING_REQUEST while the same key is in flight, stored nowhere", async () => {
    const sim = await startPortOne({ latencyMs: 300 });
    const [a, b] = await Promise.all([
      cancel(sim, "PAID1", {}, KEY(1)),
      sleep(50).then(() => cancel(sim, "PAID1", {}, KEY(1))),
    ]);
    expect([a.status, b.status, b.json.type]).toEqual([
      200,
      409,
      "IDEMPOTENCY_OUTSTANDING_REQUEST",
    ]);
    const again = await cancel(sim, "PAID1", {}, KEY(1));
    expect(again.json).toEqual(a.json);
    expect(sim.effectiveCancels()).toEqual(new Map([["PAID1", 1]]));
  });

  it("treats requests without a key as separate requests", async () => {
    const sim = await startPortOne();
    expect((await cancel(sim, "PAID1")).status).toBe(200);
    expect((await cancel(sim, "PAID1")).json.type).toBe("PAYMENT_ALREADY_CANCELLED");
  });
});

describe("portone: transient answers", () => {
  it("answers 429 with Retry-After, 500 and 503 without a body", async () => {
    const sim = await startPortOne({
      faults: {
        script: [
          { match: {}, action: "429", times: 1, retryAfterSeconds: 3 },
          { match: {}, action: "500", times: 1 },
          { match: {}, action: "503", times: 1 },
        ],
      },
    });
    const limited = await lookup(sim, "PAID1");
    expect([limited.status, limited.headers.get("retry-after"), limited.text]).toEqual([
      429,
      "3",
      "",
    ]);
    for (const status of [500, 503]) {
      const answer = await lookup(sim, "PAID1");
      expect([answer.status, answer.text]).toEqual([status, ""]);
    }
  });

  it("answers a pg-provider fault 502 PG_PROVIDER with pgCode and pgMessage, without effect", async () => {
    const sim = await startPortOne({
      faults: { script: [{ match: { pgUid: "PAID1" }, action: "pg-provider", times: 1 }] },
    });
    const failed = await cancel(sim, "PAID1", {}, KEY(1));
    expect(failed.status).toBe(502);
    expect(failed.json).toEqual({
      type: "PG_PROVIDER",
      message: expect.any(String),
      pgCode: expect.any(String),
      pgMessage: expect.any(String),
    });
    expect(sim.effectiveCancels().size).toBe(0);
    expect((await cancel(sim, "PAID1", {}, KEY(1))).status).toBe(200);
  });

  it("refuses Toss's provider-error fault in a PortOne script", async () => {
    await expect(
      startPortOne({ faults: { script: [{ match: {}, action: "provider-error", times: 1 }] } }),
    ).rejects.toThrow(/provider-error/);
  });
});
