import type { CancelPaymentBody, GetPaymentsBody } from "@portone/server-sdk/payment";
import type { Payment } from "../../core/model.ts";
import {
  type CancelOutcome,
  type CancelRequest,
  type Gateway,
  GatewayError,
  type ListOptions,
  type PageQuery,
  type PaymentState,
} from "../../ports/gateway.ts";
import { type RetryingHttp, refusal } from "../http/retrying-http.ts";
import { instant, malformed, object, text } from "../json-shapes.ts";
import { cursorPages } from "../paging.ts";
import {
  paysyncStatus,
  portOneAmount,
  portOneCancelAnswer,
  portOnePaymentState,
} from "./portone-answers.ts";

/**
 * PortOne V2. Paid payments are listed by the time they were paid (`STATUS_CHANGED_AT`, which
 * for a paid payment is its payment time), so a virtual account issued days ago and paid
 * inside the window is judged with that window.
 *
 * Pages are read one after another until a short one. The schema calls `page.totalCount`
 * "실제 반환된 객체 수" (the number returned), so it cannot plan concurrent pages. PortOne
 * pages no further than `(number + 1) × size = 60,000`; past that the listing restarts from
 * the last payment's time, skipping the payments of that exact millisecond it already gave.
 */

export type PortOneOrderIdField = "id" | "orderName";

export interface PortOneSettings {
  readonly storeId?: string;
  /** Which payment field holds the store's order id: the paymentId by default. */
  readonly orderIdField?: PortOneOrderIdField;
}

export interface PortOneGatewayOptions extends PortOneSettings {
  readonly baseUrl: string;
  readonly secret: string;
  readonly http: RetryingHttp;
}

/** `GetPaymentsBody.page`: "(number + 1) * size가 60,000을 초과할 수 없습니다." */
export const PORTONE_PAGING_LIMIT = 60_000;

interface Listed {
  readonly payment: Payment;
  /** `statusChangedAt`: what the filter and the sort look at. */
  readonly changedAt: number;
}

/** Where the next page starts: a start time, a page under it, and who was seen at that time. */
interface ListCursor {
  readonly from: number;
  readonly number: number;
  readonly seenAtFrom: ReadonlySet<string>;
  /** The latest time this span has listed so far, and every payment listed at it. */
  readonly tailAt: number;
  readonly tailUids: ReadonlySet<string>;
}

const startAt = (from: number, seenAtFrom: ReadonlySet<string>): ListCursor => ({
  from,
  number: 0,
  seenAtFrom,
  tailAt: from,
  tailUids: seenAtFrom,
});

const iso = (epochMs: number) => new Date(epochMs).toISOString();

export function createPortOneGateway(options: PortOneGatewayOptions): Gateway {
  const base = options.baseUrl.replace(/\/+$/, "");
  const headers = { authorization: `PortOne ${options.secret}`, accept: "application/json" };
  const orderIdField = options.orderIdField ?? "id";
  const storeId = options.storeId === undefined ? {} : { storeId: options.storeId };
  const storeQuery =
    options.storeId === undefined ? "" : `?${new URLSearchParams({ storeId: options.storeId })}`;

  function parseListed(value: unknown, where: string): Listed {
    const item = object(value, where);
    const id = text(item, "id", where);
    const at = `${where} (${id})`;
    const currency = text(item, "currency", at);
    return {
      changedAt: instant(item, "statusChangedAt", at),
      payment: {
        pgUid: id,
        storeOrderId: orderIdField === "id" ? id : text(item, orderIdField, at),
        amount: portOneAmount(object(item.amount, `${at}.amount`), "total", currency, at),
        currency,
        status: paysyncStatus(text(item, "status", at)),
        paidAt: instant(item, "paidAt", at),
      },
    };
  }

  async function listPage(query: PageQuery, cursor: ListCursor, page: number) {
    const size = query.perPage;
    const body = {
      page: { number: cursor.number, size },
      filter: {
        ...storeId,
        timestampType: "STATUS_CHANGED_AT",
        // A millisecond wider on both ends, since the schema does not say whether `from` and
        // `until` are inclusive; what falls outside `[from, to)` is dropped below.
        from: iso(cursor.from - 1),
        until: iso(query.window.to),
        status: ["PAID"],
        sortBy: "STATUS_CHANGED_AT",
        sortOrder: "ASC",
      },
    } satisfies GetPaymentsBody;
    const url = `${base}/payments?${new URLSearchParams({ requestBody: JSON.stringify(body) })}`;
    const answer = await options.http({ method: "GET", url, headers });
    if (answer.status !== 200) throw refusal(answer, `payments page ${page}`);
    const json = object(answer.json, `payments page ${page}`);
    if (!Array.isArray(json.items)) throw malformed(`payments page ${page} without items`);
    if (json.items.length > size)
      throw malformed(`payments page ${page} holds more than its size ${size}`);
    const items = json.items.map((item, i) =>
      parseListed(item, `payments page ${page} items[${i}]`),
    );
    const inWindow = items.filter(
      (item) =>
        item.changedAt >= cursor.from &&
        item.changedAt < query.window.to &&
        !(item.changedAt === cursor.from && cursor.seenAtFrom.has(item.payment.pgUid)),
    );
    return {
      payments: inWindow.map((item) => item.payment),
      next: nextCursor(cursor, items, size),
    };
  }

  /** `undefined` after a short page; else the next page, or a restart at the last time seen. */
  function nextCursor(
    cursor: ListCursor,
    items: readonly Listed[],
    size: number,
  ): ListCursor | undefined {
    if (items.length < size) return undefined;
    let { tailAt } = cursor;
    let tailUids = new Set(cursor.tailUids);
    for (const item of items) {
      if (item.changedAt > tailAt) {
        tailAt = item.changedAt;
        tailUids = new Set();
      }
      if (item.changedAt === tailAt) tailUids.add(item.payment.pgUid);
    }
    if ((cursor.number + 2) * size <= PORTONE_PAGING_LIMIT) {
      return { ...cursor, number: cursor.number + 1, tailAt, tailUids };
    }
    // A whole span of pages, sorted ascending, that ends where it began: all at one instant.
    if (tailAt === cursor.from) {
      throw new GatewayError(
        `more than ${PORTONE_PAGING_LIMIT} payments within one millisecond at ${iso(tailAt)}: PortOne cannot page them`,
        false,
      );
    }
    return startAt(tailAt, tailUids);
  }

  return {
    listWindow(query: PageQuery, listing: ListOptions) {
      return cursorPages<ListCursor>(
        (cursor, page) => listPage(query, cursor ?? startAt(query.window.from, new Set()), page),
        listing,
      );
    },

    async paymentStatus(pgUid: string): Promise<PaymentState | undefined> {
      const answer = await options.http({
        method: "GET",
        url: `${base}/payments/${encodeURIComponent(pgUid)}${storeQuery}`,
        headers,
      });
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) throw refusal(answer, `payment ${pgUid}`);
      return portOnePaymentState(answer.json, pgUid);
    },

    async cancel(request: CancelRequest): Promise<CancelOutcome> {
      const body = {
        ...storeId,
        reason: request.reason,
        // "값을 입력하면 잔액이 일치하는 경우에만 취소가 진행됩니다": no refund of a balance that
        // moved since the lookup.
        currentCancellableAmount: request.cancellable,
      } satisfies CancelPaymentBody;
      const answer = await options.http({
        method: "POST",
        url: `${base}/payments/${encodeURIComponent(request.pgUid)}/cancel`,
        headers: {
          ...headers,
          "content-type": "application/json",
          // The REST overview: the key is a structured-field string, in double quotes.
          "idempotency-key": `"${request.idempotencyKey}"`,
        },
        body: JSON.stringify(body),
      });
      return portOneCancelAnswer(answer);
    },
  };
}
