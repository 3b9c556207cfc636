import type { Payment, TimeWindow } from "../core/model.ts";
import type {
  CancelOutcome,
  CancelRequest,
  Gateway,
  PageCount,
  PageQuery,
} from "../ports/gateway.ts";
import { GatewayError } from "../ports/gateway.ts";
import { type HttpAnswer, type RetryingHttp, stringField } from "./http/retrying-http.ts";
import { count, instant, isObject, malformed, object, text } from "./json-shapes.ts";

/**
 * PortOne V2. Payments are listed by 0-based numbered pages with a total count, so they are
 * read concurrently; PortOne refuses to page past `(number + 1) × size = 60,000`, so a
 * larger window is split into sub-windows, each read the same way.
 */

export type PortOneOrderIdField = "id" | "orderName";

export interface PortOneGatewayOptions {
  readonly baseUrl: string;
  readonly secret: string;
  readonly http: RetryingHttp;
  readonly storeId?: string;
  /** Which payment field holds the store's order id: the paymentId by default. */
  readonly orderIdField: PortOneOrderIdField;
}

/** PortOne's documented paging limit: `(page.number + 1) × page.size` at most this. */
export const PORTONE_PAGING_LIMIT = 60_000;

const STATUS: Readonly<Record<string, string>> = {
  PAID: "paid",
  CANCELLED: "cancelled",
  PARTIAL_CANCELLED: "partial_cancelled",
};

/** Answers PortOne means as "the same request, later". */
export function portOneIsTransient(status: number, json: unknown): boolean {
  // 409: a request with this Idempotency-Key is still being processed.
  return status === 409 && stringField(json, "type") === "IDEMPOTENCY_OUTSTANDING_REQUEST";
}

interface Segment {
  readonly window: TimeWindow;
  readonly count: number;
  readonly firstPage: number;
  readonly pages: number;
}

function refused(answer: HttpAnswer, what: string): GatewayError {
  const type = stringField(answer.json, "type");
  return new GatewayError(
    `${what} answered ${answer.status}${type ? ` ${type}` : ""}${stringField(answer.json, "message") ? `: ${stringField(answer.json, "message")}` : ""}`,
    false,
    answer.status,
    type,
  );
}

export function createPortOneGateway(options: PortOneGatewayOptions): Gateway {
  const base = options.baseUrl.replace(/\/+$/, "");
  const headers = { authorization: `PortOne ${options.secret}`, accept: "application/json" };
  const plans = new Map<string, Segment[]>();

  const planKey = (query: PageQuery) => `${query.window.from}/${query.window.to}/${query.perPage}`;

  async function list(window: TimeWindow, number: number, size: number) {
    const body = {
      page: { number, size },
      filter: {
        ...(options.storeId === undefined ? {} : { storeId: options.storeId }),
        timestampType: "CREATED_AT",
        from: new Date(window.from).toISOString(),
        until: new Date(window.to).toISOString(),
        status: ["PAID"],
        sortBy: "REQUESTED_AT",
        sortOrder: "ASC",
      },
    };
    const url = `${base}/payments?${new URLSearchParams({ requestBody: JSON.stringify(body) })}`;
    const answer = await options.http({ method: "GET", url, headers });
    if (answer.status !== 200) throw refused(answer, `payments page ${number}`);
    const json = object(answer.json, "payments answer");
    if (!Array.isArray(json.items)) throw malformed("payments answer without items");
    const page = object(json.page, "payments answer.page");
    return { items: json.items, totalCount: count(page, "totalCount", "page") };
  }

  /** Splits the window until every piece can be paged within PortOne's limit. */
  async function plan(
    window: TimeWindow,
    perPage: number,
  ): Promise<Omit<Segment, "firstPage" | "pages">[]> {
    const { totalCount } = await list(window, 0, 1);
    const reachable = Math.floor(PORTONE_PAGING_LIMIT / perPage) * perPage;
    if (totalCount <= reachable) return [{ window, count: totalCount }];
    const middle = Math.floor((window.from + window.to) / 2);
    if (middle <= window.from) {
      throw new GatewayError(
        `more than ${reachable} payments within one millisecond at ${new Date(window.from).toISOString()}`,
        false,
      );
    }
    return [
      ...(await plan({ from: window.from, to: middle }, perPage)),
      ...(await plan({ from: middle, to: window.to }, perPage)),
    ];
  }

  function parsePayment(value: unknown, where: string): Payment {
    const item = object(value, where);
    const id = text(item, "id", where);
    const status = text(item, "status", where);
    const amount = object(item.amount, `${where}.amount`);
    const orderId = options.orderIdField === "id" ? id : text(item, options.orderIdField, where);
    return {
      pgUid: id,
      storeOrderId: orderId,
      amount: count(amount, "total", `${where}.amount`),
      currency: text(item, "currency", where),
      status: STATUS[status] ?? status.toLowerCase(),
      paidAt: instant(
        item,
        status === "PAID" || typeof item.paidAt === "string" ? "paidAt" : "requestedAt",
        where,
      ),
    };
  }

  /** The payment's status in paysync's words and what is left to refund; `undefined` if unknown. */
  async function lookup(
    pgUid: string,
  ): Promise<{ status: string; cancellable: number } | undefined> {
    const answer = await options.http({
      method: "GET",
      url: `${base}/payments/${encodeURIComponent(pgUid)}`,
      headers,
    });
    // A lookup PortOne cannot answer leaves the decision to the cancel itself.
    if (answer.status !== 200) return undefined;
    const payment = object(answer.json, "payment");
    const status = text(payment, "status", "payment");
    const amount = object(payment.amount, "payment.amount");
    return {
      status: STATUS[status] ?? status.toLowerCase(),
      cancellable:
        count(amount, "paid", "payment.amount") - count(amount, "cancelled", "payment.amount"),
    };
  }

  return {
    async pageCount(query: PageQuery): Promise<PageCount> {
      let firstPage = 1;
      const segments = (await plan(query.window, query.perPage)).map((piece) => {
        const pages = Math.ceil(piece.count / query.perPage);
        const segment = { ...piece, firstPage, pages };
        firstPage += pages;
        return segment;
      });
      plans.set(planKey(query), segments);
      return {
        totalPages: firstPage - 1,
        totalCount: segments.reduce((sum, s) => sum + s.count, 0),
      };
    },

    async page(query: PageQuery, page: number): Promise<Payment[]> {
      const segment = plans
        .get(planKey(query))
        ?.find((s) => page >= s.firstPage && page < s.firstPage + s.pages);
      if (segment === undefined)
        throw new GatewayError(`page ${page} is outside the planned window`, false);
      const { items } = await list(segment.window, page - segment.firstPage, query.perPage);
      if (items.length > query.perPage)
        throw malformed(`payments page ${page} holds more than its size`);
      return items.map((item, i) => parsePayment(item, `payments page ${page} items[${i}]`));
    },

    async paymentStatus(pgUid: string): Promise<string | undefined> {
      return (await lookup(pgUid))?.status;
    },

    async cancel(request: CancelRequest): Promise<CancelOutcome> {
      const path = `${base}/payments/${encodeURIComponent(request.pgUid)}`;
      // A fresh state right before moving money, and the balance PortOne must still hold:
      // if anything was refunded meanwhile, PortOne answers 409 instead of refunding again.
      const current = await lookup(request.pgUid);
      if (current?.status === "cancelled") return { kind: "already_cancelled" };
      if (current !== undefined && current.status !== "paid") {
        return {
          kind: "rejected",
          code: `STATUS_${current.status.toUpperCase()}`,
          message: `the payment is ${current.status} at PortOne`,
        };
      }
      // Without a lookup, the listed amount: if it is not what is left, PortOne refuses (409).
      const cancellable = current?.cancellable ?? request.amount;

      const answer = await options.http({
        method: "POST",
        url: `${path}/cancel`,
        headers: {
          ...headers,
          "content-type": "application/json",
          // PortOne follows the IETF draft: the key is a structured-field string, quoted.
          "idempotency-key": `"${request.idempotencyKey}"`,
        },
        body: JSON.stringify({
          ...(options.storeId === undefined ? {} : { storeId: options.storeId }),
          reason: request.reason,
          currentCancellableAmount: cancellable,
        }),
      });
      const type = stringField(answer.json, "type");
      if (answer.status === 200) {
        const cancellation = isObject(answer.json) ? answer.json.cancellation : undefined;
        const state = isObject(cancellation) ? stringField(cancellation, "status") : undefined;
        if (state === "SUCCEEDED" || state === "REQUESTED") return { kind: "cancelled" };
        return {
          kind: "rejected",
          code: `CANCELLATION_${state ?? "UNKNOWN"}`,
          message: "PortOne did not cancel",
        };
      }
      if (answer.status === 409 && type === "PAYMENT_ALREADY_CANCELLED")
        return { kind: "already_cancelled" };
      return {
        kind: "rejected",
        code: type ?? `HTTP_${answer.status}`,
        message: stringField(answer.json, "message") ?? `cancel answered ${answer.status}`,
      };
    },
  };
}
