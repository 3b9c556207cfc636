import { parseIsoTimestamp } from "../../../lambda/util/iso-time.ts";
import { type ApiAnswer, okAnswer } from "../answers.ts";
import type { SimPayment } from "../dataset.ts";
import type { CancelAnswers } from "../payment-ledger.ts";
import {
  type Dialect,
  type DialectContext,
  type Incoming,
  listLookupCancel,
  parseJsonObject,
  pathId,
} from "./dialect.ts";

/**
 * PortOne V2, as its public reference describes it: `Authorization: PortOne <secret>`,
 * `GET /payments` with a JSON `requestBody` query parameter and 0-based numbered pages,
 * errors as `{ type, message }`, and a cancel that can check the cancellable balance.
 */

/** PortOne pages no further than `(number + 1) × size` of this. */
export const PAGING_LIMIT = 60_000;
const PAYMENT_PATH = /^\/payments\/([^/]+)$/;
const CANCEL_PATH = /^\/payments\/([^/]+)\/cancel$/;

function error(
  status: number,
  type: string,
  message: string,
  headers?: Record<string, string>,
): ApiAnswer {
  const answer = { status, body: { type, message } };
  return headers ? { ...answer, headers } : answer;
}

const STATUS: Readonly<Record<string, string>> = { paid: "PAID", cancelled: "CANCELLED" };

function paymentBody(p: SimPayment): Record<string, unknown> {
  const cancelled = p.status === "cancelled";
  return {
    status: STATUS[p.status] ?? p.status.toUpperCase(),
    id: p.pg_uid,
    transactionId: `txn-${p.pg_uid}`,
    merchantId: "merchant-sim",
    storeId: "store-sim",
    version: "V2",
    orderName: String(p.store_order_id),
    amount: {
      total: p.amount,
      taxFree: 0,
      discount: 0,
      paid: p.amount,
      cancelled: cancelled ? p.amount : 0,
      cancelledTaxFree: 0,
    },
    currency: p.currency,
    requestedAt: p.paid_at,
    updatedAt: p.cancelled_at ?? p.paid_at,
    statusChangedAt: p.cancelled_at ?? p.paid_at,
    paidAt: p.paid_at,
    ...(cancelled ? { cancelledAt: p.cancelled_at } : {}),
  };
}

export const portOneDialect: Dialect = {
  name: "portone",
  authScheme: "PortOne",

  isAuthorized(authorization, apiKey) {
    return authorization === `PortOne ${apiKey}`;
  },

  error,

  cancelTarget: (method, path) => pathId(CANCEL_PATH, "POST", method, path),

  route(incoming, context) {
    return listLookupCancel(
      incoming,
      { list: "/payments", payment: PAYMENT_PATH, cancel: CANCEL_PATH },
      {
        list: () => list(incoming, context),
        lookup: (id) => lookup(id, context),
        cancel: (id) => cancel(id, incoming, context),
      },
    );
  },
};

function list(incoming: Incoming, context: DialectContext): ApiAnswer {
  const body = parseJsonObject(incoming.query.requestBody ?? "{}");
  if (typeof body === "string") return error(400, "INVALID_REQUEST", `requestBody: ${body}`);
  const page = (body.page ?? {}) as Record<string, unknown>;
  const filter = (body.filter ?? {}) as Record<string, unknown>;
  const number = page.number ?? 0;
  const size = page.size ?? 10;
  if (
    !Number.isInteger(number) ||
    !Number.isInteger(size) ||
    (number as number) < 0 ||
    (size as number) < 1
  ) {
    return error(400, "INVALID_REQUEST", "page.number must be >= 0 and page.size >= 1");
  }
  if (((number as number) + 1) * (size as number) > PAGING_LIMIT) {
    return error(
      400,
      "INVALID_REQUEST",
      `(page.number + 1) * page.size must not exceed ${PAGING_LIMIT}`,
    );
  }
  const from = typeof filter.from === "string" ? parseIsoTimestamp(filter.from) : undefined;
  const until = typeof filter.until === "string" ? parseIsoTimestamp(filter.until) : undefined;
  if (from === undefined || until === undefined || until < from) {
    return error(
      400,
      "INVALID_REQUEST",
      "filter.from and filter.until must be ISO-8601 date-times",
    );
  }
  const statuses = Array.isArray(filter.status) ? (filter.status as unknown[]) : undefined;
  const matching = context.ledger
    .inWindow({ fromMs: from, toMs: until })
    .map(paymentBody)
    .filter((p) => statuses === undefined || statuses.includes(p.status));
  if (filter.sortOrder !== "ASC") matching.reverse();
  if (context.faults.shouldFailPageRead((number as number) + 1)) {
    return error(500, "INTERNAL_SERVER_ERROR", "payments could not be read");
  }
  const start = (number as number) * (size as number);
  return okAnswer({
    items: matching.slice(start, start + (size as number)),
    page: { number, size, totalCount: matching.length },
  });
}

function lookup(id: string, context: DialectContext): ApiAnswer {
  const payment = context.ledger.get(id);
  return payment
    ? okAnswer(paymentBody(payment))
    : error(404, "PAYMENT_NOT_FOUND", "결제 건이 존재하지 않습니다.");
}

/** The IETF draft PortOne follows makes the key a quoted structured-field string. */
function unquote(key: string): string {
  return /^"[^"]*"$/.test(key) ? key.slice(1, -1) : key;
}

function cancel(pgUid: string, incoming: Incoming, context: DialectContext): ApiAnswer {
  const body = parseJsonObject(incoming.body);
  if (typeof body === "string") return error(400, "INVALID_REQUEST", body);
  if (typeof body.reason !== "string" || body.reason.trim() === "") {
    return error(400, "INVALID_REQUEST", "reason is required");
  }
  const expected = body.currentCancellableAmount;
  const answers: CancelAnswers = {
    check(payment) {
      if (expected !== undefined && expected !== payment.amount) {
        return error(
          409,
          "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
          "취소 가능 잔액 검증에 실패했습니다.",
        );
      }
      return undefined;
    },
    answer(effect) {
      switch (effect.kind) {
        case "cancelled":
          return okAnswer({
            cancellation: {
              status: "SUCCEEDED",
              id: `cancel-${effect.payment.pg_uid}`,
              totalAmount: effect.payment.amount,
              taxFreeAmount: 0,
              vatAmount: 0,
              reason: body.reason,
              requestedAt: effect.payment.cancelled_at,
              cancelledAt: effect.payment.cancelled_at,
            },
          });
        case "alreadyCancelled":
          return error(409, "PAYMENT_ALREADY_CANCELLED", "결제가 이미 취소되었습니다.");
        case "notCancellable":
          return error(409, "PAYMENT_NOT_PAID", "결제가 완료되지 않았습니다.");
        case "notFound":
          return error(404, "PAYMENT_NOT_FOUND", "결제 건이 존재하지 않습니다.");
        case "keyReused":
          return error(422, "IDEMPOTENCY_KEY_REUSED", `key already used for ${effect.storedFor}`);
      }
    },
  };
  const key =
    incoming.idempotencyKey === undefined
      ? `unkeyed-${Date.now()}-${Math.random()}`
      : unquote(incoming.idempotencyKey);
  return context.ledger.cancel(pgUid, key, new Date(), answers).answer;
}
