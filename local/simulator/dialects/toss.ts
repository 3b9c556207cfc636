import { type ApiAnswer, errorAnswer, okAnswer } from "../answers.ts";
import type { SimPayment } from "../dataset.ts";
import type { CancelAnswers, PaymentWindow } from "../payment-ledger.ts";
import {
  type Dialect,
  type DialectContext,
  type Incoming,
  listLookupCancel,
  parseJsonObject,
  pathId,
} from "./dialect.ts";

/**
 * Toss Payments v1, as its public reference describes it: Basic auth with the secret key
 * and a colon, a transaction listing with a cursor, and a cancel that answers with the
 * payment. Approvals and cancellations are separate transactions sharing a paymentKey.
 */

const KST_MS = 9 * 3_600_000;
const MAX_LIMIT = 10_000;
const MAX_IDEMPOTENCY_KEY_LENGTH = 300;
const PAYMENT_PATH = /^\/v1\/payments\/([^/]+)$/;
const CANCEL_PATH = /^\/v1\/payments\/([^/]+)\/cancel$/;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?$/;

const kst = (iso: string): string =>
  new Date(Date.parse(iso) + KST_MS).toISOString().replace("Z", "+09:00");

interface Transaction {
  readonly transactionKey: string;
  readonly at: number;
  readonly row: Record<string, unknown>;
}

function transactionsOf(approved: SimPayment[], cancelled: SimPayment[]): Transaction[] {
  const row = (
    p: SimPayment,
    kind: "approve" | "cancel",
    status: string,
    at: string,
  ): Transaction => ({
    transactionKey: `tx_${kind}_${p.pg_uid}`,
    at: Date.parse(at),
    row: {
      mId: "tosspayments",
      transactionKey: `tx_${kind}_${p.pg_uid}`,
      paymentKey: p.pg_uid,
      orderId: String(p.store_order_id),
      method: "카드",
      customerKey: null,
      useEscrow: false,
      receiptUrl: `https://dashboard.tosspayments.com/receipt/${p.pg_uid}`,
      status,
      transactionAt: kst(at),
      currency: p.currency,
      amount: p.amount,
    },
  });
  return [
    ...approved.map((p) => row(p, "approve", "DONE", p.paid_at)),
    ...cancelled.map((p) => row(p, "cancel", "CANCELED", p.cancelled_at ?? p.paid_at)),
  ].sort((a, b) => a.at - b.at || (a.transactionKey < b.transactionKey ? -1 : 1));
}

/** Local date-times are Korea time; `endDate` includes its whole last second (or millisecond). */
function parseRange(query: Readonly<Record<string, string>>): PaymentWindow | string {
  const { startDate, endDate } = query;
  if (startDate === undefined || !LOCAL_TIME.test(startDate))
    return "startDate must be yyyy-MM-ddTHH:mm:ss";
  if (endDate === undefined || !LOCAL_TIME.test(endDate))
    return "endDate must be yyyy-MM-ddTHH:mm:ss";
  const fromMs = Date.parse(`${startDate}+09:00`);
  const endMs = Date.parse(`${endDate}+09:00`);
  if (Number.isNaN(fromMs) || Number.isNaN(endMs) || endMs < fromMs) return "invalid date range";
  return { fromMs, toMs: endMs + (endDate.includes(".") ? 1 : 1000) };
}

function paymentBody(p: SimPayment): Record<string, unknown> {
  const cancelled = p.status === "cancelled";
  return {
    mId: "tosspayments",
    version: "2022-11-16",
    paymentKey: p.pg_uid,
    orderId: String(p.store_order_id),
    status: cancelled ? "CANCELED" : p.status === "paid" ? "DONE" : p.status.toUpperCase(),
    currency: p.currency,
    totalAmount: p.amount,
    balanceAmount: cancelled ? 0 : p.amount,
    approvedAt: kst(p.paid_at),
    cancels: cancelled
      ? [
          {
            cancelAmount: p.amount,
            cancelReason: "cancelled",
            canceledAt: kst(p.cancelled_at ?? p.paid_at),
            transactionKey: `tx_cancel_${p.pg_uid}`,
          },
        ]
      : null,
  };
}

const tossAnswers: CancelAnswers = {
  answer(effect) {
    switch (effect.kind) {
      case "cancelled":
        return okAnswer(paymentBody(effect.payment));
      case "alreadyCancelled":
        return errorAnswer(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.");
      case "notCancellable":
        return errorAnswer(403, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.");
      case "notFound":
        return errorAnswer(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 입니다.");
      case "keyReused":
        return errorAnswer(
          422,
          "IDEMPOTENCY_KEY_REUSED",
          `key already used for ${effect.storedFor}`,
        );
    }
  },
};

let unkeyed = 0;

export const tossDialect: Dialect = {
  name: "toss",
  authScheme: "Basic",

  isAuthorized(authorization, apiKey) {
    return authorization === `Basic ${Buffer.from(`${apiKey}:`).toString("base64")}`;
  },

  error: errorAnswer,

  cancelTarget: (method, path) => pathId(CANCEL_PATH, "POST", method, path),

  route(incoming, context) {
    return listLookupCancel(
      incoming,
      { list: "/v1/transactions", payment: PAYMENT_PATH, cancel: CANCEL_PATH },
      {
        list: () => list(incoming, context),
        lookup: (id) => lookup(id, context),
        cancel: (id) => cancel(id, incoming, context),
      },
    );
  },
};

function list(incoming: Incoming, context: DialectContext): ApiAnswer {
  const range = parseRange(incoming.query);
  if (typeof range === "string") return errorAnswer(400, "INVALID_REQUEST", range);
  const limit = Number(incoming.query.limit ?? "100");
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return errorAnswer(400, "INVALID_REQUEST", `limit must be 1..${MAX_LIMIT}`);
  }
  const all = transactionsOf(context.ledger.inWindow(range), context.ledger.cancelledIn(range));
  const after = incoming.query.startingAfter;
  let start = 0;
  if (after !== undefined && after !== "") {
    const index = all.findIndex((t) => t.transactionKey === after);
    if (index < 0) return errorAnswer(400, "INVALID_TRANSACTION_KEY", "잘못된 페이징 키 입니다.");
    start = index + 1;
  }
  if (context.faults.shouldFailPageRead(Math.floor(start / limit) + 1)) {
    return errorAnswer(500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "transactions could not be read");
  }
  return okAnswer(all.slice(start, start + limit).map((t) => t.row));
}

function lookup(paymentKey: string, context: DialectContext): ApiAnswer {
  const payment = context.ledger.get(paymentKey);
  return payment
    ? okAnswer(paymentBody(payment))
    : errorAnswer(404, "NOT_FOUND_PAYMENT", "존재하지 않는 결제 입니다.");
}

function cancel(pgUid: string, incoming: Incoming, context: DialectContext): ApiAnswer {
  const key = incoming.idempotencyKey;
  if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
    return errorAnswer(400, "INVALID_IDEMPOTENCY_KEY", "멱등키는 300자 이하여야 합니다.");
  }
  const body = parseJsonObject(incoming.body);
  if (typeof body === "string") return errorAnswer(400, "INVALID_REQUEST", body);
  if (typeof body.cancelReason !== "string" || body.cancelReason.trim() === "") {
    return errorAnswer(400, "INVALID_REQUEST", "cancelReason is required");
  }
  // Toss does not require a key; without one every request stands alone.
  const { answer } = context.ledger.cancel(
    pgUid,
    key ?? `unkeyed-${++unkeyed}`,
    new Date(),
    tossAnswers,
  );
  return answer;
}
