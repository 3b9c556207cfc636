import { describe, expect, it } from "vitest";
import type { PgSimulatorOptions, SimPayment } from "../../local/simulator/pg-simulator.ts";
import {
  type Answer,
  type Call,
  call,
  simPayment,
  sleep,
  startSim,
  tossAuthorization,
} from "./helpers.ts";

/**
 * The Toss dialect against Toss Payments' v1 reference (its core API page, error-code list
 * and idempotency guide): what a client written from those documents must be able to rely
 * on, and what it must survive.
 */

interface TossError {
  code: string;
  message: string;
}

interface Row {
  mId: string;
  transactionKey: string;
  paymentKey: string;
  orderId: string;
  method: string;
  customerKey: string | null;
  status: string;
  transactionAt: string;
  currency: string;
  amount: number;
}

interface TossPayment {
  paymentKey: string;
  mId: string;
  status: string;
  method: string;
  currency: string;
  totalAmount: number;
  balanceAmount: number;
  approvedAt: string | null;
  requestedAt: string;
  virtualAccount: Record<string, unknown> | null;
  card: Record<string, unknown> | null;
  cancels: Array<{ cancelAmount: number; canceledAt: string; transactionKey: string }> | null;
  lastTransactionKey: string | null;
}

const DAY = { startDate: "2026-11-24T00:00:00", endDate: "2026-11-24T23:59:59" };

const DATASET: SimPayment[] = [
  simPayment("C_KRW", "2026-11-24T01:00:00Z", { amount: 15_000 }),
  simPayment("C_USD", "2026-11-24T01:05:00Z", { amount: 72_624, currency: "USD" }),
  simPayment("C_KWD", "2026-11-24T01:06:00Z", { amount: 12_345, currency: "KWD" }),
  simPayment("VA_PAID", "2026-11-24T01:10:00Z", {
    method: "virtual_account",
    requested_at: "2026-11-23T15:00:00Z",
  }),
  simPayment("VA_WAIT", "2026-11-24T01:12:00Z", {
    method: "virtual_account",
    status: "waiting_for_deposit",
  }),
  simPayment("VA_EARLY_CANCEL", "2026-11-24T01:14:00Z", {
    method: "virtual_account",
    status: "cancelled",
    cancelled_amount: 0,
    cancelled_at: "2026-11-24T01:16:00Z",
  }),
  simPayment("ABORTED1", "2026-11-24T01:20:00Z", { status: "aborted" }),
  simPayment("EXPIRED1", "2026-11-24T01:25:00Z", { status: "expired" }),
  simPayment("PARTIAL1", "2026-11-24T01:30:00Z", {
    status: "partial_cancelled",
    cancelled_amount: 4_000,
    cancelled_at: "2026-11-24T01:35:00Z",
  }),
  simPayment("CANCELLED1", "2026-11-24T01:40:00Z", {
    status: "cancelled",
    cancelled_at: "2026-11-24T01:45:00Z",
  }),
];

function startToss(overrides: Partial<PgSimulatorOptions> = {}) {
  return startSim({ payments: DATASET, dialect: "toss", ...overrides });
}

type Sim = Awaited<ReturnType<typeof startToss>>;

const authorized = (extra: Call = {}): Call => ({
  ...extra,
  headers: { authorization: tossAuthorization(), ...extra.headers },
});

function transactions(sim: Sim, query: Record<string, string | number> = DAY) {
  return call<Row[]>(sim, "/v1/transactions", authorized({ query }));
}

function lookup(sim: Sim, paymentKey: string) {
  return call<TossPayment>(sim, `/v1/payments/${paymentKey}`, authorized());
}

function cancel(
  sim: Sim,
  paymentKey: string,
  body: Record<string, unknown> = {},
  key?: string,
): Promise<Answer<TossPayment & TossError>> {
  return call(sim, `/v1/payments/${paymentKey}/cancel`, {
    method: "POST",
    headers: {
      authorization: tossAuthorization(),
      ...(key === undefined ? {} : { "idempotency-key": key }),
    },
    body: { cancelReason: "order never completed", ...body },
  });
}

const summary = (rows: Row[]) =>
  rows.map((row) => [row.paymentKey, row.status, row.transactionAt, row.amount]);

describe("toss: authentication", () => {
  it("answers 401 UNAUTHORIZED_KEY without a key or with a wrong one", async () => {
    const sim = await startToss();
    const attempts: Record<string, string>[] = [{}, { authorization: tossAuthorization("wrong") }];
    for (const headers of attempts) {
      const answer = await call<TossError>(sim, "/v1/transactions", { headers, query: DAY });
      expect(answer.status).toBe(401);
      expect(answer.json.code).toBe("UNAUTHORIZED_KEY");
    }
  });

  it("answers 403 INCORRECT_BASIC_AUTH_FORMAT for a key encoded without its colon, with no effect", async () => {
    const sim = await startToss();
    const noColon = `Basic ${Buffer.from("sim_test_key").toString("base64")}`;
    const answer = await call<TossError>(sim, "/v1/payments/C_KRW/cancel", {
      method: "POST",
      headers: { authorization: noColon, "idempotency-key": "k" },
      body: { cancelReason: "x" },
    });
    expect(answer.status).toBe(403);
    expect(answer.json.code).toBe("INCORRECT_BASIC_AUTH_FORMAT");
    expect(answer.json.message).toContain("':'");
    expect(sim.effectiveCancels().size).toBe(0);
  });
});

describe("toss: the transactions listing", () => {
  it("lists approvals, issues and cancels as separate rows in time order, Korea time to the second", async () => {
    const sim = await startToss();
    const answer = await transactions(sim);
    expect(answer.status).toBe(200);
    expect(summary(answer.json)).toEqual([
      ["VA_PAID", "WAITING_FOR_DEPOSIT", "2026-11-24T00:00:00+09:00", 0],
      ["C_KRW", "DONE", "2026-11-24T10:00:00+09:00", 15000],
      ["C_USD", "DONE", "2026-11-24T10:05:00+09:00", 726.24],
      ["C_KWD", "DONE", "2026-11-24T10:06:00+09:00", 12.345],
      ["VA_PAID", "DONE", "2026-11-24T10:10:00+09:00", 10000],
      ["VA_WAIT", "WAITING_FOR_DEPOSIT", "2026-11-24T10:12:00+09:00", 0],
      ["VA_EARLY_CANCEL", "WAITING_FOR_DEPOSIT", "2026-11-24T10:14:00+09:00", 0],
      ["VA_EARLY_CANCEL", "CANCELED", "2026-11-24T10:16:00+09:00", 0],
      ["ABORTED1", "ABORTED", "2026-11-24T10:20:00+09:00", 0],
      ["EXPIRED1", "EXPIRED", "2026-11-24T10:25:00+09:00", 0],
      ["PARTIAL1", "DONE", "2026-11-24T10:30:00+09:00", 10000],
      ["PARTIAL1", "PARTIAL_CANCELED", "2026-11-24T10:35:00+09:00", 4000],
      ["CANCELLED1", "DONE", "2026-11-24T10:40:00+09:00", 10000],
      ["CANCELLED1", "CANCELED", "2026-11-24T10:45:00+09:00", 10000],
    ]);
  });

  it("gives rows the Transaction object's fields: methods in Korean, a null customerKey", async () => {
    const sim = await startToss();
    const rows = (await transactions(sim)).json;
    const va = rows.find((row) => row.paymentKey === "VA_PAID");
    expect(va).toMatchObject({ method: "가상계좌", customerKey: null, currency: "KRW" });
    expect(rows.find((row) => row.paymentKey === "C_KRW")).toMatchObject({
      method: "카드",
      orderId: "C_KRW",
      customerKey: null,
    });
    expect(new Set(rows.map((row) => row.transactionKey)).size).toBe(rows.length);
    for (const row of rows) expect(row.mId.length).toBeLessThanOrEqual(14);
  });

  it("serves the seed from more than one mId", async () => {
    const sim = await startSim({ dialect: "toss" });
    const window = {
      startDate: "2026-11-24T00:00:00",
      endDate: "2026-11-24T23:59:59",
    };
    const rows = (await transactions(sim, window)).json;
    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((row) => row.mId)).size).toBeGreaterThanOrEqual(2);
  });

  it("adds a CANCELED row, at the cancel's time, for a payment the simulator cancels", async () => {
    const sim = await startToss();
    expect((await cancel(sim, "C_KRW", {}, "k")).status).toBe(200);
    const cancelledAt = sim.payments().find((p) => p.pg_uid === "C_KRW")?.cancelled_at ?? "";
    const kst = new Date(Date.parse(cancelledAt) + 9 * 3_600_000).toISOString();
    const today = { startDate: kst.slice(0, 10), endDate: `${kst.slice(0, 10)}T23:59:59` };
    const rows = (await transactions(sim, today)).json;
    expect(rows.filter((row) => row.paymentKey === "C_KRW").map((row) => row.status)).toEqual([
      "CANCELED",
    ]);
    expect(rows.find((row) => row.paymentKey === "C_KRW")?.transactionAt).toBe(
      `${kst.slice(0, 19)}+09:00`,
    );
    // The approval row stays where it was, still DONE.
    const day = (await transactions(sim)).json.filter((row) => row.paymentKey === "C_KRW");
    expect(day.map((row) => row.status)).toEqual(["DONE"]);
  });

  it("reads startDate and endDate as Korea time, endDate including its whole last second", async () => {
    const sim = await startToss({
      payments: [simPayment("EDGE", "2026-11-24T01:00:00.900Z")],
    });
    const uids = async (startDate: string, endDate: string) =>
      (await transactions(sim, { startDate, endDate })).json.map((row) => row.paymentKey);
    expect(await uids("2026-11-24T10:00:00", "2026-11-24T10:00:00")).toEqual(["EDGE"]);
    expect(await uids("2026-11-24T10:00:01", "2026-11-24T11:00:00")).toEqual([]);
    expect(await uids("2026-11-24T09:00:00", "2026-11-24T10:00:00.500")).toEqual([]);
    expect(await uids("2026-11-24T09:00:00", "2026-11-24T10:00:00.900")).toEqual(["EDGE"]);
    // A date alone is midnight.
    expect(await uids("2026-11-24", "2026-11-24T10:00:00")).toEqual(["EDGE"]);
    expect(await uids("2026-11-23", "2026-11-24")).toEqual([]);
  });

  it.each([
    ["a missing startDate", { endDate: DAY.endDate }],
    ["an offset", { ...DAY, startDate: "2026-11-24T00:00:00+09:00" }],
    ["an impossible date", { ...DAY, startDate: "2026-02-30T00:00:00" }],
    ["endDate before startDate", { startDate: DAY.endDate, endDate: DAY.startDate }],
  ])("answers 400 INVALID_DATE for %s", async (_label, query) => {
    const sim = await startToss();
    const answer = await call<TossError>(sim, "/v1/transactions", authorized({ query }));
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe("INVALID_DATE");
  });

  it("takes limit 1..5000, 100 by default, and answers 400 INVALID_REQUEST outside", async () => {
    const payments = Array.from({ length: 120 }, (_, i) =>
      simPayment(
        `P${String(i).padStart(3, "0")}`,
        new Date(Date.UTC(2026, 10, 24, 1, 0, i)).toISOString(),
      ),
    );
    const sim = await startToss({ payments });
    expect((await transactions(sim)).json).toHaveLength(100);
    expect((await transactions(sim, { ...DAY, limit: 5000 })).json).toHaveLength(120);
    for (const limit of [0, 5001, "ten"]) {
      const answer = await call<TossError>(
        sim,
        "/v1/transactions",
        authorized({ query: { ...DAY, limit } }),
      );
      expect(answer.status).toBe(400);
      expect(answer.json.code).toBe("INVALID_REQUEST");
    }
  });

  it("pages with startingAfter and refuses an unknown cursor with 400 INVALID_TRANSACTION_KEY", async () => {
    const sim = await startToss();
    const first = (await transactions(sim, { ...DAY, limit: 5 })).json;
    const next = await transactions(sim, {
      ...DAY,
      limit: 5,
      startingAfter: first.at(-1)?.transactionKey ?? "",
    });
    const all = (await transactions(sim)).json;
    expect([...first, ...next.json].map((row) => row.transactionKey)).toEqual(
      all.slice(0, 10).map((row) => row.transactionKey),
    );
    const bad = await call<TossError>(
      sim,
      "/v1/transactions",
      authorized({ query: { ...DAY, startingAfter: "tx_nowhere" } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe("INVALID_TRANSACTION_KEY");
  });

  it("fails scripted page reads with 500 FAILED_INTERNAL_SYSTEM_PROCESSING", async () => {
    const sim = await startToss({ faults: { failPageReads: 1 } });
    const failed = await call<TossError>(sim, "/v1/transactions", authorized({ query: DAY }));
    expect(failed.status).toBe(500);
    expect(failed.json.code).toBe("FAILED_INTERNAL_SYSTEM_PROCESSING");
    expect((await transactions(sim)).status).toBe(200);
  });
});

describe("toss: the payment lookup", () => {
  it("gives amounts in major units per ISO 4217", async () => {
    const sim = await startToss();
    expect((await lookup(sim, "C_USD")).json).toMatchObject({
      currency: "USD",
      totalAmount: 726.24,
      balanceAmount: 726.24,
      status: "DONE",
      method: "카드",
      virtualAccount: null,
    });
    expect((await lookup(sim, "C_KWD")).json).toMatchObject({ totalAmount: 12.345 });
    expect((await lookup(sim, "C_KRW")).json).toMatchObject({ totalAmount: 15000 });
  });

  it("shows a virtual account with its method in Korean and a virtualAccount object", async () => {
    const sim = await startToss();
    const paid = (await lookup(sim, "VA_PAID")).json;
    expect(paid).toMatchObject({
      method: "가상계좌",
      status: "DONE",
      card: null,
      requestedAt: "2026-11-24T00:00:00+09:00",
      approvedAt: "2026-11-24T10:10:00+09:00",
      lastTransactionKey: "tx_approve_VA_PAID",
    });
    expect(paid.virtualAccount).toMatchObject({
      accountType: "일반",
      accountNumber: expect.stringMatching(/^\d{1,20}$/),
      refundReceiveAccount: null,
    });
    const waiting = (await lookup(sim, "VA_WAIT")).json;
    expect(waiting).toMatchObject({ status: "WAITING_FOR_DEPOSIT", approvedAt: null });
    expect(waiting.virtualAccount).not.toBeNull();
  });

  it("shows partial and whole cancels in cancels, with the balance left", async () => {
    const sim = await startToss();
    expect((await lookup(sim, "PARTIAL1")).json).toMatchObject({
      status: "PARTIAL_CANCELED",
      totalAmount: 10000,
      balanceAmount: 6000,
      cancels: [expect.objectContaining({ cancelAmount: 4000 })],
    });
    expect((await lookup(sim, "CANCELLED1")).json).toMatchObject({
      status: "CANCELED",
      balanceAmount: 0,
      cancels: [expect.objectContaining({ canceledAt: "2026-11-24T10:45:00+09:00" })],
    });
    for (const [key, status] of [
      ["ABORTED1", "ABORTED"],
      ["EXPIRED1", "EXPIRED"],
    ]) {
      expect((await lookup(sim, key as string)).json.status).toBe(status);
    }
  });

  it("answers 404 NOT_FOUND_PAYMENT for an unknown paymentKey", async () => {
    const sim = await startToss();
    const answer = await call<TossError>(sim, "/v1/payments/nope", authorized());
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe("NOT_FOUND_PAYMENT");
  });
});

describe("toss: the cancel", () => {
  it("answers the cancelled Payment, amounts in major units, and counts one effect", async () => {
    const sim = await startToss();
    const answer = await cancel(sim, "C_USD", { refundableAmount: 726.24 }, "k1");
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      paymentKey: "C_USD",
      status: "CANCELED",
      totalAmount: 726.24,
      balanceAmount: 0,
      cancels: [
        expect.objectContaining({ cancelAmount: 726.24, transactionKey: "tx_cancel_C_USD" }),
      ],
    });
    expect(sim.effectiveCancels()).toEqual(new Map([["C_USD", 1]]));
  });

  it("refuses a refundableAmount that is not the balance with 400 NOT_MATCHES_REFUNDABLE_AMOUNT, no effect", async () => {
    const sim = await startToss({ consecutiveCancelMs: 0 });
    const answer = await cancel(sim, "C_USD", { refundableAmount: 72624 }, "k1");
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe("NOT_MATCHES_REFUNDABLE_AMOUNT");
    const decimals = await cancel(sim, "C_USD", { refundableAmount: 726.245 }, "k2");
    expect(decimals.status).toBe(400);
    expect(decimals.json.code).toBe("INVALID_REFUND_AMOUNT");
    expect(sim.effectiveCancels().size).toBe(0);
    expect((await lookup(sim, "C_USD")).json.status).toBe("DONE");
  });

  it("answers 400 ALREADY_CANCELED_PAYMENT for a card and ALREADY_REFUND_PAYMENT for a deposited virtual account", async () => {
    const sim = await startToss({
      payments: [
        ...DATASET,
        simPayment("VA_DONE", "2026-11-24T01:50:00Z", {
          method: "virtual_account",
          status: "cancelled",
        }),
      ],
    });
    const card = await cancel(sim, "CANCELLED1", {}, "k1");
    expect([card.status, card.json.code]).toEqual([400, "ALREADY_CANCELED_PAYMENT"]);
    const account = await cancel(sim, "VA_DONE", {}, "k2");
    expect([account.status, account.json.code]).toEqual([400, "ALREADY_REFUND_PAYMENT"]);
  });

  it("refuses a deposited virtual account without refundReceiveAccount, 400 INVALID_REFUND_ACCOUNT_INFO, no effect", async () => {
    const sim = await startToss({ consecutiveCancelMs: 0 });
    const refused = await cancel(sim, "VA_PAID", {}, "k1");
    expect(refused.status).toBe(400);
    expect(refused.json.code).toBe("INVALID_REFUND_ACCOUNT_INFO");
    expect(refused.json.message).toContain("refundReceiveAccount");
    expect(sim.effectiveCancels().size).toBe(0);
    const account = { bank: "88", accountNumber: "12345678901234", holderName: "홍길동" };
    const refunded = await cancel(sim, "VA_PAID", { refundReceiveAccount: account }, "k2");
    expect(refunded.status).toBe(200);
    expect(sim.effectiveCancels()).toEqual(new Map([["VA_PAID", 1]]));
  });

  it("answers 403 NOT_CANCELABLE_PAYMENT for payments that are not paid", async () => {
    const sim = await startToss({ consecutiveCancelMs: 0 });
    for (const key of ["PARTIAL1", "VA_WAIT", "ABORTED1", "EXPIRED1"]) {
      const answer = await cancel(sim, key, {}, `k-${key}`);
      expect([key, answer.status, answer.json.code]).toEqual([key, 403, "NOT_CANCELABLE_PAYMENT"]);
    }
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("answers 404 NOT_FOUND_PAYMENT for an unknown paymentKey", async () => {
    const sim = await startToss();
    const answer = await cancel(sim, "nope", {}, "k");
    expect([answer.status, answer.json.code]).toEqual([404, "NOT_FOUND_PAYMENT"]);
  });

  it.each([
    ["no cancelReason", { cancelReason: "" }],
    ["a refundableAmount that is not a number", { refundableAmount: "726.24" }],
    ["an incomplete refundReceiveAccount", { refundReceiveAccount: { bank: "88" } }],
  ])("answers 400 INVALID_REQUEST for %s, not stored against the key", async (_label, body) => {
    const sim = await startToss({ consecutiveCancelMs: 0 });
    const answer = await cancel(sim, "C_KRW", body, "k");
    expect([answer.status, answer.json.code]).toEqual([400, "INVALID_REQUEST"]);
    expect((await cancel(sim, "C_KRW", {}, "k")).status).toBe(200);
  });

  it("answers 400 INVALID_IDEMPOTENCY_KEY for a key over 300 characters", async () => {
    const sim = await startToss();
    const answer = await cancel(sim, "C_KRW", {}, "k".repeat(301));
    expect([answer.status, answer.json.code]).toEqual([400, "INVALID_IDEMPOTENCY_KEY"]);
    expect(sim.effectiveCancels().size).toBe(0);
  });
});

describe("toss: idempotency", () => {
  it("replays the first answer for the same key and path, nothing cancelled twice", async () => {
    const sim = await startToss({ consecutiveCancelMs: 0 });
    const first = await cancel(sim, "C_KRW", {}, "k");
    const replay = await cancel(sim, "C_KRW", {}, "k");
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual(first.json);
    expect(sim.effectiveCancels()).toEqual(new Map([["C_KRW", 1]]));
  });

  it("scopes a key to its URL: the same key cancels another payment too (no 422)", async () => {
    const sim = await startToss();
    expect((await cancel(sim, "C_KRW", {}, "shared")).status).toBe(200);
    const other = await cancel(sim, "C_USD", {}, "shared");
    expect(other.status).toBe(200);
    expect(other.json.paymentKey).toBe("C_USD");
    expect(sim.effectiveCancels()).toEqual(
      new Map([
        ["C_KRW", 1],
        ["C_USD", 1],
      ]),
    );
  });

  it("answers 409 IDEMPOTENT_REQUEST_PROCESSING while the same key is in flight, and stores nothing for it", async () => {
    const sim = await startToss({ latencyMs: 300, consecutiveCancelMs: 0 });
    const [a, b] = await Promise.all([
      cancel(sim, "C_KRW", {}, "k"),
      sleep(50).then(() => cancel(sim, "C_KRW", {}, "k")),
    ]);
    expect([a.status, b.status]).toEqual([200, 409]);
    expect(b.json.code).toBe("IDEMPOTENT_REQUEST_PROCESSING");
    const again = await cancel(sim, "C_KRW", {}, "k");
    expect(again.status).toBe(200);
    expect(again.json).toEqual(a.json);
    expect(sim.effectiveCancels()).toEqual(new Map([["C_KRW", 1]]));
    expect(sim.cancelRequests("C_KRW").map((r) => r.errorCode ?? r.status)).toEqual([
      200,
      "IDEMPOTENT_REQUEST_PROCESSING",
      200,
    ]);
  });
});

describe("toss: one cancel per payment per second", () => {
  it("refuses a second cancel of a payment within 1000 ms with 403 FORBIDDEN_CONSECUTIVE_REQUEST, before the key is looked at", async () => {
    const sim = await startToss();
    expect((await cancel(sim, "C_KRW", {}, "k1")).status).toBe(200);
    // Same key: the rule comes before the replay.
    const same = await cancel(sim, "C_KRW", {}, "k1");
    expect([same.status, same.json.code]).toEqual([403, "FORBIDDEN_CONSECUTIVE_REQUEST"]);
    expect(same.json.message).toContain("반복적인 요청은 허용되지 않습니다");
    const other = await cancel(sim, "C_KRW", {}, "k2");
    expect([other.status, other.json.code]).toEqual([403, "FORBIDDEN_CONSECUTIVE_REQUEST"]);
    // Another payment is not held up.
    expect((await cancel(sim, "C_USD", {}, "k3")).status).toBe(200);

    await sleep(1_100);
    // The refused k2 was not stored: it is answered now as a request of its own.
    const later = await cancel(sim, "C_KRW", {}, "k2");
    expect([later.status, later.json.code]).toEqual([400, "ALREADY_CANCELED_PAYMENT"]);
    expect(sim.effectiveCancels().get("C_KRW")).toBe(1);
  });

  it("counts from the previous cancel request whatever its answer, and applies to refused payments too", async () => {
    const sim = await startToss({ consecutiveCancelMs: 300 });
    expect((await cancel(sim, "nope", {}, "a")).status).toBe(404);
    expect((await cancel(sim, "nope", {}, "b")).status).toBe(403);
    await sleep(350);
    expect((await cancel(sim, "nope", {}, "b")).status).toBe(404);
  });

  it("is off with consecutiveCancelMs 0", async () => {
    const sim = await startToss({ consecutiveCancelMs: 0 });
    expect((await cancel(sim, "C_KRW", {}, "k1")).status).toBe(200);
    expect((await cancel(sim, "C_KRW", {}, "k2")).json.code).toBe("ALREADY_CANCELED_PAYMENT");
  });

  it("does not count requests that a fault answered before the gateway saw them", async () => {
    const sim = await startToss({
      faults: { script: [{ match: { pgUid: "C_KRW" }, action: "503", times: 1 }] },
    });
    expect((await cancel(sim, "C_KRW", {}, "k")).status).toBe(503);
    expect((await cancel(sim, "C_KRW", {}, "k")).status).toBe(200);
  });
});

describe("toss: transient answers", () => {
  it("answers 429 with Retry-After and no invented code", async () => {
    const sim = await startToss({
      faults: { script: [{ match: {}, action: "429", times: 1, retryAfterSeconds: 2 }] },
    });
    const answer = await transactions(sim);
    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBe("2");
    expect(answer.json).toEqual({ message: expect.any(String) });
  });

  it("answers 500 FAILED_INTERNAL_SYSTEM_PROCESSING and a bodiless 503", async () => {
    const sim = await startToss({
      faults: {
        script: [
          { match: {}, action: "500", times: 1 },
          { match: {}, action: "503", times: 1 },
        ],
      },
    });
    const internal = await call<TossError>(sim, "/v1/payments/C_KRW", authorized());
    expect([internal.status, internal.json.code]).toEqual([
      500,
      "FAILED_INTERNAL_SYSTEM_PROCESSING",
    ]);
    const unavailable = await lookup(sim, "C_KRW");
    expect([unavailable.status, unavailable.text]).toEqual([503, ""]);
  });

  it("answers a provider-error fault 400 PROVIDER_ERROR without effect; the same key then cancels", async () => {
    const sim = await startToss({
      faults: { script: [{ match: { pgUid: "C_KRW" }, action: "provider-error", times: 1 }] },
    });
    const failed = await cancel(sim, "C_KRW", {}, "k");
    expect([failed.status, failed.json.code]).toEqual([400, "PROVIDER_ERROR"]);
    expect(sim.effectiveCancels().size).toBe(0);
    expect((await cancel(sim, "C_KRW", {}, "k")).status).toBe(200);
    expect(sim.effectiveCancels()).toEqual(new Map([["C_KRW", 1]]));
  });

  it("refuses PortOne's pg-provider fault in a Toss script", async () => {
    await expect(
      startToss({ faults: { script: [{ match: {}, action: "pg-provider", times: 1 }] } }),
    ).rejects.toThrow(/pg-provider/);
    const sim = await startToss();
    expect(() =>
      sim.setFaults({ script: [{ match: {}, action: "pg-provider", times: 1 }] }),
    ).toThrow(/toss/);
  });
});
