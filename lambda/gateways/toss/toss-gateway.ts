import type { Payment } from "../../core/model.ts";
import type {
  CancelOutcome,
  CancelRequest,
  Gateway,
  ListOptions,
  PageQuery,
  PaymentState,
} from "../../ports/gateway.ts";
import { type RetryingHttp, refusal } from "../http/retrying-http.ts";
import { instant, malformed, object, text } from "../json-shapes.ts";
import { cursorPages } from "../paging.ts";
import { fromTossAmount, tossCancelAnswer, toTossAmount } from "./toss-answers.ts";

/**
 * Toss Payments v1. Toss lists *transactions*: an approval and each cancellation are
 * separate rows sharing a `paymentKey`. Each row becomes one sighting (approval → `paid`,
 * cancellation → `cancelled` or `partial_cancelled`, anything else by its own name), and the
 * core's rule that a later non-paid sighting withdraws a payment folds them into one state.
 */

export interface TossGatewayOptions {
  readonly baseUrl: string;
  readonly secretKey: string;
  readonly http: RetryingHttp;
}

const KST_OFFSET_MS = 9 * 3_600_000;
const SECOND_MS = 1_000;

/**
 * Toss takes `startDate`/`endDate` as `yyyy-MM-ddTHH:mm:ss` without an offset; its examples
 * and every `transactionAt` it returns are Korea time, so that is the reading taken.
 */
export function tossLocalTime(epochMs: number): string {
  return new Date(epochMs + KST_OFFSET_MS).toISOString().slice(0, 19);
}

const STATUS: Readonly<Record<string, string>> = {
  DONE: "paid",
  CANCELED: "cancelled",
  PARTIAL_CANCELED: "partial_cancelled",
};

const paysyncStatus = (status: string): string => STATUS[status] ?? status.toLowerCase();

/** The `method` Toss gives a virtual-account payment (its docs' enum, in Korean). */
const VIRTUAL_ACCOUNT = "가상계좌";

interface Transaction {
  readonly transactionKey: string;
  readonly payment: Payment;
}

function parseTransaction(value: unknown, where: string): Transaction {
  const row = object(value, where);
  const transactionKey = text(row, "transactionKey", where);
  const pgUid = text(row, "paymentKey", where);
  const at = `${where} (${pgUid})`;
  const currency = text(row, "currency", at);
  return {
    transactionKey,
    payment: {
      pgUid,
      storeOrderId: text(row, "orderId", at),
      amount: fromTossAmount(row.amount, currency, `${at}.amount`),
      currency,
      status: paysyncStatus(text(row, "status", at)),
      paidAt: instant(row, "transactionAt", at),
    },
  };
}

export function createTossGateway(options: TossGatewayOptions): Gateway {
  const base = options.baseUrl.replace(/\/+$/, "");
  const authorization = `Basic ${Buffer.from(`${options.secretKey}:`).toString("base64")}`;
  const headers = { authorization, accept: "application/json" };

  /** One page after `cursor`; the next cursor is its last row, unless the page was short. */
  async function transactions(query: PageQuery, cursor: string | undefined, page: number) {
    const { from, to } = query.window;
    const params = new URLSearchParams({
      // Whole seconds, widened to hold the window whether Toss reads `endDate` as inclusive
      // (its guide: `23:59:59` covers the day) or not; rows outside are dropped below.
      startDate: tossLocalTime(Math.floor(from / SECOND_MS) * SECOND_MS),
      endDate: tossLocalTime(Math.ceil(to / SECOND_MS) * SECOND_MS),
      limit: String(query.perPage),
    });
    if (cursor !== undefined) params.set("startingAfter", cursor);
    const answer = await options.http({
      method: "GET",
      url: `${base}/v1/transactions?${params}`,
      headers,
    });
    // INVALID_TRANSACTION_KEY / INVALID_PAGING_KEY included: a cursor Toss does not take is
    // a failed read, never the end of the window.
    if (answer.status !== 200) throw refusal(answer, `transactions page ${page}`);
    if (!Array.isArray(answer.json)) throw malformed(`transactions page ${page} is not a list`);
    if (answer.json.length > query.perPage)
      throw malformed(`transactions page ${page} holds more than limit ${query.perPage}`);
    const rows = answer.json.map((row, i) =>
      parseTransaction(row, `transactions page ${page}[${i}]`),
    );
    return {
      payments: rows
        .map((row) => row.payment)
        .filter((payment) => payment.paidAt >= from && payment.paidAt < to),
      next: rows.length < query.perPage ? undefined : rows.at(-1)?.transactionKey,
    };
  }

  return {
    listWindow(query: PageQuery, listing: ListOptions) {
      return cursorPages<string>((cursor, page) => transactions(query, cursor, page), listing);
    },

    async paymentStatus(pgUid: string): Promise<PaymentState | undefined> {
      const answer = await options.http({
        method: "GET",
        url: `${base}/v1/payments/${encodeURIComponent(pgUid)}`,
        headers,
      });
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw refusal(answer, `payment ${pgUid}`);
      const payment = object(answer.json, `payment ${pgUid}`);
      const where = `payment ${pgUid}`;
      if (payment.paymentKey !== pgUid) throw malformed(`${where} answered for another payment`);
      const currency = text(payment, "currency", where);
      const total = fromTossAmount(payment.totalAmount, currency, `${where}.totalAmount`);
      const balance = fromTossAmount(payment.balanceAmount, currency, `${where}.balanceAmount`);
      return {
        status: paysyncStatus(text(payment, "status", where)),
        cancellable: balance,
        refunded: total - balance,
        needsRefundAccount:
          payment.method === VIRTUAL_ACCOUNT ||
          (typeof payment.virtualAccount === "object" && payment.virtualAccount !== null),
      };
    },

    async cancel(request: CancelRequest): Promise<CancelOutcome> {
      const answer = await options.http({
        method: "POST",
        url: `${base}/v1/payments/${encodeURIComponent(request.pgUid)}/cancel`,
        headers: {
          ...headers,
          "content-type": "application/json",
          "idempotency-key": request.idempotencyKey,
        },
        // No cancelAmount: the whole payment. `refundableAmount` makes Toss refuse instead
        // of refunding if the balance is no longer what paysync saw.
        body: JSON.stringify({
          cancelReason: request.reason,
          refundableAmount: toTossAmount(request.cancellable, request.currency),
        }),
      });
      return tossCancelAnswer(answer, request.pgUid);
    },
  };
}
