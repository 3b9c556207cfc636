import type { Payment } from "../core/model.ts";
import type {
  CancelOutcome,
  CancelRequest,
  Gateway,
  PageCount,
  PageQuery,
} from "../ports/gateway.ts";
import { GatewayError } from "../ports/gateway.ts";
import {
  errorCode,
  errorMessage,
  type HttpAnswer,
  type RetryingHttp,
} from "./http/retrying-http.ts";
import { count, instant, malformed, object, text } from "./json-shapes.ts";

/**
 * Toss Payments (API v1). Toss lists *transactions*: an approval and each cancellation are
 * separate rows sharing a `paymentKey`. Each row becomes one sighting (approval → `paid`,
 * cancellation → `cancelled` or `partial_cancelled`), and the core's rule that a later
 * non-paid sighting withdraws a payment folds them into one current state. Pages keep one
 * row per transaction, so "a short page is the last" still holds for the cursor.
 */

export interface TossGatewayOptions {
  readonly baseUrl: string;
  readonly secretKey: string;
  readonly http: RetryingHttp;
}

const KST_OFFSET_MS = 9 * 3_600_000;

/**
 * Toss takes `startDate`/`endDate` as local date-times without an offset; its examples and
 * every `transactionAt` it returns are Korea time, so that is the safe reading.
 */
export function tossLocalTime(epochMs: number): string {
  return new Date(epochMs + KST_OFFSET_MS).toISOString().replace("Z", "");
}

const STATUS: Readonly<Record<string, string>> = {
  DONE: "paid",
  CANCELED: "cancelled",
  PARTIAL_CANCELED: "partial_cancelled",
};

/** Answers Toss means as "the same request, later". */
export function tossIsTransient(status: number, json: unknown): boolean {
  const code = errorCode(json);
  // 409: an earlier request with this key is still running. PROVIDER_ERROR (a 400): the card
  // company did not answer, so the outcome is unknown; only the same key may ask again.
  return (status === 409 && code === "IDEMPOTENT_REQUEST_PROCESSING") || code === "PROVIDER_ERROR";
}

function parseTransaction(
  value: unknown,
  where: string,
): Payment & { readonly transactionKey: string } {
  const row = object(value, where);
  const transactionKey = text(row, "transactionKey", where);
  const status = text(row, "status", where);
  return {
    transactionKey,
    pgUid: text(row, "paymentKey", where),
    storeOrderId: text(row, "orderId", where),
    amount: count(row, "amount", where),
    currency: text(row, "currency", where),
    status: STATUS[status] ?? status.toLowerCase(),
    paidAt: instant(row, "transactionAt", where),
  };
}

function refused(answer: HttpAnswer, what: string): GatewayError {
  return new GatewayError(
    `${what} answered ${answer.status} ${errorCode(answer.json) ?? ""}: ${errorMessage(answer.json) ?? ""}`.trim(),
    false,
    answer.status,
    errorCode(answer.json),
  );
}

export function createTossGateway(options: TossGatewayOptions): Gateway {
  const base = options.baseUrl.replace(/\/+$/, "");
  const authorization = `Basic ${Buffer.from(`${options.secretKey}:`).toString("base64")}`;
  const headers = { authorization, accept: "application/json" };
  // Per window, the last page read and the cursor that follows it: pages go one by one.
  const cursors = new Map<string, { readonly page: number; readonly cursor?: string }>();

  /** The payment's current status in paysync's words; `undefined` if Toss does not know it. */
  async function lookup(pgUid: string): Promise<string | undefined> {
    const answer = await options.http({
      method: "GET",
      url: `${base}/v1/payments/${encodeURIComponent(pgUid)}`,
      headers,
    });
    // A lookup Toss cannot answer (an unknown key, or a server without the endpoint) leaves
    // the decision to the cancel itself, whose answers are the binding ones.
    if (answer.status !== 200) return undefined;
    const status = text(object(answer.json, "payment"), "status", "payment");
    return STATUS[status] ?? status.toLowerCase();
  }

  const windowKey = (query: PageQuery) =>
    `${query.window.from}/${query.window.to}/${query.perPage}`;

  return {
    async pageCount(): Promise<PageCount | null> {
      return null;
    },

    async page(query: PageQuery, page: number): Promise<Payment[]> {
      const key = windowKey(query);
      const previous = page === 1 ? { page: 0 } : cursors.get(key);
      if (previous?.page !== page - 1) {
        throw new GatewayError(
          `Toss pages are read in order; page ${page} asked out of turn`,
          false,
        );
      }
      const params = new URLSearchParams({
        startDate: tossLocalTime(query.window.from),
        // endDate is inclusive to the millisecond; the window is [from, to).
        endDate: tossLocalTime(query.window.to - 1),
        limit: String(query.perPage),
      });
      const cursor = previous.cursor;
      if (cursor !== undefined) params.set("startingAfter", cursor);
      const answer = await options.http({
        method: "GET",
        url: `${base}/v1/transactions?${params}`,
        headers,
      });
      if (answer.status !== 200) throw refused(answer, `transactions page ${page}`);
      if (!Array.isArray(answer.json)) throw malformed(`transactions page ${page} is not a list`);
      if (answer.json.length > query.perPage)
        throw malformed(`transactions page ${page} holds more than limit`);
      const rows = answer.json.map((row, i) => parseTransaction(row, `transactions[${i}]`));
      const next = rows.at(-1)?.transactionKey ?? cursor;
      cursors.set(key, next === undefined ? { page } : { page, cursor: next });
      return rows.map(({ transactionKey: _key, ...payment }) => payment);
    },

    async paymentStatus(pgUid: string): Promise<string | undefined> {
      return lookup(pgUid);
    },

    async cancel(request: CancelRequest): Promise<CancelOutcome> {
      const path = `${base}/v1/payments/${encodeURIComponent(request.pgUid)}`;
      // The listing may be hours old: ask for the payment's state right before moving money.
      const state = await lookup(request.pgUid);
      if (state === "cancelled") return { kind: "already_cancelled" };
      if (state !== undefined && state !== "paid") {
        // A partly cancelled payment is not an orphan to cancel in full: a person decides.
        return {
          kind: "rejected",
          code: `STATUS_${state.toUpperCase()}`,
          message: `the payment is ${state} at Toss`,
        };
      }

      const answer = await options.http({
        method: "POST",
        url: `${path}/cancel`,
        headers: {
          ...headers,
          "content-type": "application/json",
          "idempotency-key": request.idempotencyKey,
        },
        body: JSON.stringify({ cancelReason: request.reason }),
      });
      const code = errorCode(answer.json);
      if (answer.status === 200) return { kind: "cancelled" };
      if (code === "ALREADY_CANCELED_PAYMENT") return { kind: "already_cancelled" };
      return {
        kind: "rejected",
        code: code ?? `HTTP_${answer.status}`,
        message: errorMessage(answer.json) ?? `cancel answered ${answer.status}`,
      };
    },
  };
}
