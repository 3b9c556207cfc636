import type { Payment } from "../../core/model.ts";
import type {
  CancelOutcome,
  CancelRequest,
  Gateway,
  ListOptions,
  PageQuery,
} from "../../ports/gateway.ts";
import { parseIsoTimestamp } from "../../util/iso-time.ts";
import { currencyExponent } from "../../util/minor-units.ts";
import { errorCode, errorMessage, type RetryingHttp, refusal } from "../http/retrying-http.ts";
import { isCount, isObject, malformed } from "../json-shapes.ts";
import { cursorPages, numberedPages, type PageCount } from "../paging.ts";

export interface ReferenceGatewayOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly http: RetryingHttp;
}

const place = (page: number, index: number, pgUid?: string): string =>
  `page ${page} payments[${index}]${pgUid === undefined ? "" : ` (${pgUid})`}`;

/**
 * One payment of a page, checked. The place it is named by in an error is only built for
 * the error: a page of 100 would otherwise make 200 strings nobody reads.
 */
export function parsePayment(value: unknown, page: number, index: number): Payment {
  if (!isObject(value)) throw malformed(`${place(page, index)} is not an object`);
  const { pg_uid, store_order_id, amount, currency, status, paid_at } = value;
  if (typeof pg_uid !== "string" || pg_uid === "")
    throw malformed(`${place(page, index)}.pg_uid must be a non-empty string`);
  const orderId =
    typeof store_order_id === "number" && Number.isSafeInteger(store_order_id)
      ? String(store_order_id)
      : typeof store_order_id === "string" && store_order_id !== ""
        ? store_order_id
        : undefined;
  if (orderId === undefined)
    throw malformed(
      `${place(page, index, pg_uid)}.store_order_id must be an integer or a non-empty string`,
    );
  if (typeof currency !== "string" || currency === "")
    throw malformed(`${place(page, index, pg_uid)}.currency must be a string`);
  // Contracts §1: already in minor units, so a whole number of them, in a currency we know.
  if (!isCount(amount))
    throw malformed(`${place(page, index, pg_uid)}.amount must be a non-negative integer`);
  if (currencyExponent(currency) === undefined)
    throw malformed(
      `${place(page, index, pg_uid)}.currency ${currency} is not one paysync can place`,
    );
  if (typeof status !== "string" || status === "")
    throw malformed(`${place(page, index, pg_uid)}.status must be a string`);
  const paidAt = typeof paid_at === "string" ? parseIsoTimestamp(paid_at) : undefined;
  if (paidAt === undefined)
    throw malformed(
      `${place(page, index, pg_uid)}.paid_at must be an ISO-8601 timestamp with an offset`,
    );
  return { pgUid: pg_uid, storeOrderId: orderId, amount, currency, status, paidAt };
}

/** The contract's reference API (contracts §1), spoken over HTTP. */
export function createReferenceGateway(options: ReferenceGatewayOptions): Gateway {
  const base = options.baseUrl.replace(/\/+$/, "");
  const auth = { authorization: `Bearer ${options.apiKey}`, accept: "application/json" };

  const windowParams = (query: PageQuery) => ({
    from: new Date(query.window.from).toISOString(),
    to: new Date(query.window.to).toISOString(),
    per_page: String(query.perPage),
  });

  const get = (path: string, params: Record<string, string>) =>
    options.http({
      method: "GET",
      url: `${base}${path}?${new URLSearchParams(params)}`,
      headers: auth,
    });

  async function pageCount(query: PageQuery): Promise<PageCount | null> {
    const answer = await get("/v1/payments/pages", windowParams(query));
    // A gateway without the count endpoint: pages are read until a short one.
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw refusal(answer, "page count");
    const body = answer.json;
    if (!isObject(body) || !isCount(body.total_pages))
      throw malformed("page count without total_pages");
    if (body.per_page !== undefined && body.per_page !== query.perPage) {
      throw malformed(`page count for per_page ${String(body.per_page)}, asked ${query.perPage}`);
    }
    return isCount(body.total_count)
      ? { totalPages: body.total_pages, totalCount: body.total_count }
      : { totalPages: body.total_pages };
  }

  // The window's part of a page URL, built once per listing rather than once per page.
  let listed: { query: PageQuery; params: string } | undefined;
  const pageUrl = (query: PageQuery, page: number): string => {
    if (listed?.query !== query) {
      listed = { query, params: new URLSearchParams(windowParams(query)).toString() };
    }
    return `${base}/v1/payments?page=${page}&${listed.params}`;
  };

  async function page(query: PageQuery, page: number): Promise<Payment[]> {
    const answer = await options.http({ method: "GET", url: pageUrl(query, page), headers: auth });
    if (answer.status !== 200) throw refusal(answer, `page ${page}`);
    const body = answer.json;
    if (!isObject(body) || !Array.isArray(body.payments))
      throw malformed(`page ${page} without a payments list`);
    if (body.payments.length > query.perPage) {
      throw malformed(
        `page ${page} holds ${body.payments.length} payments, more than per_page ${query.perPage}`,
      );
    }
    return body.payments.map((item, i) => parsePayment(item, page, i));
  }

  return {
    async *listWindow(query: PageQuery, listing: ListOptions) {
      const count = await pageCount(query);
      if (count !== null) {
        yield* numberedPages(count, (n) => page(query, n), listing);
        return;
      }
      // The seed's takeUntilInclusive: one page after another until the first short one,
      // so no request goes past the end.
      yield* cursorPages(async (_cursor: number | undefined, n) => {
        const payments = await page(query, n);
        return { payments, next: payments.length < query.perPage ? undefined : n + 1 };
      }, listing);
    },

    async cancel(request: CancelRequest): Promise<CancelOutcome> {
      const answer = await options.http({
        method: "POST",
        url: `${base}/v1/payments/${encodeURIComponent(request.pgUid)}/cancel`,
        headers: {
          ...auth,
          "content-type": "application/json",
          "idempotency-key": request.idempotencyKey,
        },
        body: JSON.stringify({ reason: request.reason }),
      });
      const code = errorCode(answer.json);
      if (answer.status === 200) {
        const body = answer.json;
        if (isObject(body) && body.pg_uid !== undefined && body.pg_uid !== request.pgUid) {
          throw malformed(`cancel of ${request.pgUid} answered for ${String(body.pg_uid)}`);
        }
        const cancelledAt =
          isObject(body) && typeof body.cancelled_at === "string" ? body.cancelled_at : undefined;
        return cancelledAt === undefined
          ? { kind: "cancelled" }
          : { kind: "cancelled", cancelledAt };
      }
      if (answer.status === 409 && code === "ALREADY_CANCELLED")
        return { kind: "already_cancelled" };
      return {
        kind: "rejected",
        code: code ?? `HTTP_${answer.status}`,
        message: errorMessage(answer.json) ?? `cancel answered ${answer.status}`,
      };
    },
  };
}
