import type {
  Currency,
  InvalidRequestError,
  PageInfo,
  PgProviderError,
  SelectedChannel,
  UnauthorizedError,
} from "@portone/server-sdk/common";
import type {
  CancelAmountExceedsCancellableAmountError,
  CancellableAmountConsistencyBrokenError,
  CancelledPayment,
  CancelPaymentResponse,
  FailedPayment,
  FailedPaymentCancellation,
  GetPaymentsResponse,
  PaidPayment,
  PartialCancelledPayment,
  PaymentAlreadyCancelledError,
  PaymentAmount,
  PaymentCancellation,
  PaymentMethod,
  PaymentNotFoundError,
  PaymentNotPaidError,
  ReadyPayment,
  RequestedPaymentCancellation,
  SucceededPaymentCancellation,
  VirtualAccountIssuedPayment,
} from "@portone/server-sdk/payment";
import { parseIsoTimestamp } from "../../../lambda/util/iso-time.ts";
import { type ApiAnswer, emptyAnswer, okAnswer } from "../answers.ts";
import { methodOf, requestedAtOf, type SimPayment, wasPaid } from "../dataset.ts";
import type { CancelAnswers, CancelFlow, PaymentView, SimCancellation } from "../payment-ledger.ts";
import {
  cancelledSoFar,
  type Dialect,
  type DialectSetup,
  type Incoming,
  isRecord,
  listLookupCancel,
  parseJsonObject,
  pathId,
  virtualAccountNumber,
} from "./dialect.ts";

/**
 * PortOne V2, as its public reference describes it: `Authorization: PortOne <secret>`,
 * `GET /payments` with a JSON `requestBody` query parameter and 0-based numbered pages,
 * errors as `{ type, message }`, and a cancel that can check the cancellable balance.
 * Bodies are typed with the official SDK's generated types, so a field the schema requires
 * cannot go missing here unnoticed.
 */

/** `GetPaymentsBody.page`: "(number + 1) * size가 60,000을 초과할 수 없습니다." */
export const PAGING_LIMIT = 60_000;
const DEFAULT_PAGE_SIZE = 10;
/** `PaymentFilterInput.from`: "값을 입력하지 않으면 end의 90일 전으로 설정됩니다." */
const DEFAULT_SPAN_MS = 90 * 86_400_000;
const PAYMENT_PATH = /^\/payments\/([^/]+)$/;
const CANCEL_PATH = /^\/payments\/([^/]+)\/cancel$/;
/** The REST overview: 16–256 ASCII characters, an RFC 8941 string in double quotes. */
const IDEMPOTENCY_KEY = /^"([\x20\x21\x23-\x5b\x5d-\x7e]{16,256})"$/;

const TIMESTAMP_TYPES = ["CREATED_AT", "STATUS_CHANGED_AT"] as const;
const SORT_BY = ["REQUESTED_AT", "STATUS_CHANGED_AT"] as const;
const SORT_ORDERS = ["ASC", "DESC"] as const;
/** `PaymentStatus`, the filter's enum (it says `PENDING` where the Payment union has `PAY_PENDING`). */
const FILTER_STATUSES = [
  "READY",
  "PENDING",
  "VIRTUAL_ACCOUNT_ISSUED",
  "PAID",
  "FAILED",
  "PARTIAL_CANCELLED",
  "CANCELLED",
] as const;

/**
 * `PaymentOrigin`: the schema requires `origin` on every Payment since 2026-04 (docs commit
 * 8426e5ae), after SDK 0.19 was generated; added here until the SDK has it.
 */
interface PaymentOrigin {
  platformType: "PC" | "MOBILE" | "API";
  userAgent?: string;
  url?: string;
  ipAddress: string;
}

type WithOrigin<T> = T & { origin: PaymentOrigin };

/**
 * A status no SDK variant knows (the SDK's `Unrecognized`): the compatibility page warns
 * that oneOf cases may be added, so a dataset's unknown status is served that way.
 */
type FuturePayment = WithOrigin<Omit<ReadyPayment, "status"> & { status: string }>;

type PortOnePayment =
  | WithOrigin<PaidPayment>
  | WithOrigin<CancelledPayment>
  | WithOrigin<PartialCancelledPayment>
  | WithOrigin<VirtualAccountIssuedPayment>
  | WithOrigin<FailedPayment>
  | WithOrigin<ReadyPayment>
  | FuturePayment;

/** The fields every variant requires, built once per payment. */
type CommonFields = WithOrigin<
  Pick<
    PaidPayment,
    | "id"
    | "transactionId"
    | "merchantId"
    | "storeId"
    | "method"
    | "channel"
    | "version"
    | "requestedAt"
    | "updatedAt"
    | "statusChangedAt"
    | "orderName"
    | "amount"
    | "currency"
    | "customer"
  >
>;

/** The REST overview's in-flight refusal; no schema union declares it. */
interface IdempotencyOutstandingRequestError {
  type: "IDEMPOTENCY_OUTSTANDING_REQUEST";
  message?: string;
}

/** Every error this dialect sends: a documented `type` each. */
type PortOneError =
  | InvalidRequestError
  | UnauthorizedError
  | PaymentNotFoundError
  | PaymentAlreadyCancelledError
  | PaymentNotPaidError
  | CancellableAmountConsistencyBrokenError
  | CancelAmountExceedsCancellableAmountError
  | IdempotencyOutstandingRequestError
  | PgProviderError;

const CHANNEL = {
  type: "TEST",
  id: "channel-id-sim",
  key: "channel-key-sim",
  name: "simulator",
  pgProvider: "TOSSPAYMENTS",
  pgMerchantId: "tosstest",
} satisfies SelectedChannel;

/** A documentation address (RFC 5737): no real customer behind it. */
const ORIGIN = { platformType: "PC", ipAddress: "203.0.113.10" } satisfies PaymentOrigin;

const fail = (status: number, body: PortOneError): ApiAnswer => ({ status, body });

const invalid = (message: string): ApiAnswer =>
  fail(400, { type: "INVALID_REQUEST", message } satisfies InvalidRequestError);

const NOT_FOUND = fail(404, {
  type: "PAYMENT_NOT_FOUND",
  message: "결제 건이 존재하지 않습니다.",
} satisfies PaymentNotFoundError);

/** Where a payment stands in time and status, enough to filter and sort without building it. */
interface Listed {
  readonly view: PaymentView;
  readonly status: string;
  readonly requestedAtMs: number;
  readonly statusChangedAtMs: number;
}

export function createPortOneDialect(setup: DialectSetup): Dialect {
  const { ledger } = setup;
  let unkeyed = 0;

  const cancelTarget = (method: string, path: string) => pathId(CANCEL_PATH, "POST", method, path);

  function list(incoming: Incoming): ApiAnswer {
    // The query form is what the SDK sends; a GET with a JSON body is the other documented way.
    const raw = incoming.query.requestBody ?? (incoming.body ? incoming.body : "{}");
    const query = parseListQuery(raw, incoming.receivedAt);
    if (typeof query === "string") return invalid(query);
    const { number, size, filter } = query;
    const matching = ledger
      .views(incoming.receivedAt)
      .map(listed)
      .filter((item) => {
        if (filter.storeId !== undefined && filter.storeId !== setup.storeId) return false;
        if (filter.statuses !== undefined && !filter.statuses.includes(item.status)) return false;
        const at =
          filter.timestampType === "CREATED_AT" ? item.requestedAtMs : item.statusChangedAtMs;
        // The schema is silent on the bounds: `from` inclusive and `until` exclusive, so that
        // consecutive windows neither overlap nor leave a gap.
        return at >= filter.fromMs && at < filter.untilMs;
      })
      .sort(byKey(filter.sortBy === "REQUESTED_AT" ? "requestedAtMs" : "statusChangedAtMs"));
    if (filter.sortOrder === "DESC") matching.reverse();
    if (setup.faults.shouldFailPageRead(number + 1)) return emptyAnswer(500);
    const start = number * size;
    const items = matching.slice(start, start + size).map((item) => paymentBody(item.view, setup));
    return okAnswer({
      items,
      // `PageInfo.totalCount` is "실제 반환된 객체 수": what this page holds, not the total.
      page: { number, size, totalCount: items.length } satisfies PageInfo,
    } satisfies Omit<GetPaymentsResponse, "items"> & { items: PortOnePayment[] });
  }

  function lookup(id: string, incoming: Incoming): ApiAnswer {
    const { storeId } = incoming.query;
    if (storeId !== undefined && storeId !== setup.storeId) return NOT_FOUND;
    const view = ledger.view(id, incoming.receivedAt);
    return view ? okAnswer(paymentBody(view, setup)) : NOT_FOUND;
  }

  function cancel(pgUid: string, incoming: Incoming): ApiAnswer {
    const key = parseKey(incoming.idempotencyKey);
    if (key === null) {
      return invalid(
        "Idempotency-Key must be a double-quoted string of 16 to 256 ASCII characters",
      );
    }
    if (incoming.keyInFlight) {
      return fail(409, {
        type: "IDEMPOTENCY_OUTSTANDING_REQUEST",
        message: "같은 멱등 키로 처리 중인 요청이 있습니다. 잠시 후 다시 시도해 주세요.",
      });
    }
    const body = parseCancelBody(incoming.body);
    if (typeof body === "string") return invalid(body);
    // "미입력시 인증 정보의 상점 아이디를 사용합니다": another store does not have the payment.
    if (body.storeId !== undefined && body.storeId !== setup.storeId) return NOT_FOUND;
    const now = new Date();
    const flow: CancelFlow = ledger.view(pgUid, now.getTime())?.payment.cancel_flow ?? "immediate";
    return ledger.cancel({
      pgUid,
      scope: key === undefined ? `unkeyed-${++unkeyed}` : `${key}\u0000${incoming.path}`,
      now,
      reason: body.reason,
      flow,
      finishAfterMs: setup.requestedFinishMs,
      answers: cancelAnswers(body),
    }).answer;
  }

  return {
    name: "portone",

    authorize(authorization) {
      if (authorization === `PortOne ${setup.apiKey}`) return undefined;
      return fail(401, {
        type: "UNAUTHORIZED",
        message: "인증 정보가 올바르지 않습니다.",
      } satisfies UnauthorizedError);
    },

    // No route of PortOne's answers this; its schema declares nothing for it.
    unrouted: () => emptyAnswer(404),

    faultAnswer(action, retryAfterSeconds) {
      switch (action) {
        // The schema declares no 429 or 5xx body (bar 502 PG_PROVIDER): none is invented.
        case "429":
          return emptyAnswer(429, { "retry-after": String(retryAfterSeconds) });
        case "503":
          return emptyAnswer(503);
        case "500":
          return emptyAnswer(500);
        case "pg-provider":
          return fail(502, {
            type: "PG_PROVIDER",
            message: "PG사에서 오류를 전달했습니다.",
            pgCode: "FAILED_INTERNAL_SYSTEM_PROCESSING",
            pgMessage: "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
          } satisfies PgProviderError);
        case "provider-error":
          return undefined;
      }
    },

    idempotencyScope({ method, path, idempotencyKey }) {
      if (cancelTarget(method, path) === undefined) return undefined;
      const key = parseKey(idempotencyKey);
      return typeof key === "string" ? `${key}\u0000${path}` : undefined;
    },

    cancelTarget,

    route(incoming) {
      return listLookupCancel(
        incoming,
        { list: "/payments", payment: PAYMENT_PATH, cancel: CANCEL_PATH },
        {
          list: () => list(incoming),
          lookup: (id) => lookup(id, incoming),
          cancel: (id) => cancel(id, incoming),
        },
      );
    },
  };
}

/**
 * The key inside its quotes; `undefined` without a header; `null` for one PortOne refuses.
 * The scope is the key and the URL (which names the payment), as Toss documents and PortOne
 * leaves unsaid: a key used again for another payment is simply another request.
 */
function parseKey(header: string | undefined): string | undefined | null {
  if (header === undefined) return undefined;
  return IDEMPOTENCY_KEY.exec(header)?.[1] ?? null;
}

interface ListQuery {
  readonly number: number;
  readonly size: number;
  readonly filter: {
    readonly storeId?: string;
    readonly timestampType: (typeof TIMESTAMP_TYPES)[number];
    readonly fromMs: number;
    readonly untilMs: number;
    readonly statuses?: readonly string[];
    readonly sortBy: (typeof SORT_BY)[number];
    readonly sortOrder: (typeof SORT_ORDERS)[number];
  };
}

/** `GetPaymentsBody`; filter fields the simulator has no data for are accepted and ignored. */
function parseListQuery(raw: string, nowMs: number): ListQuery | string {
  const body = parseJsonObject(raw);
  if (typeof body === "string") return `requestBody: ${body}`;
  const page = body.page ?? {};
  const filter = body.filter ?? {};
  if (!isRecord(page) || !isRecord(filter)) return "page and filter must be objects";
  const number = page.number ?? 0;
  const size = page.size ?? DEFAULT_PAGE_SIZE;
  if (!isInt(number) || !isInt(size) || number < 0 || size < 1) {
    return "page.number must be an integer >= 0 and page.size an integer >= 1";
  }
  if ((number + 1) * size > PAGING_LIMIT) {
    return `(page.number + 1) * page.size must not exceed ${PAGING_LIMIT}`;
  }
  const timestampType = oneOf(filter.timestampType, TIMESTAMP_TYPES, "STATUS_CHANGED_AT");
  if (timestampType === undefined) return `filter.timestampType must be one of ${TIMESTAMP_TYPES}`;
  // Undocumented defaults: sorted by the time the filter looks at, newest first.
  const sortBy = oneOf(
    filter.sortBy,
    SORT_BY,
    timestampType === "CREATED_AT" ? "REQUESTED_AT" : "STATUS_CHANGED_AT",
  );
  if (sortBy === undefined) return `filter.sortBy must be one of ${SORT_BY}`;
  const sortOrder = oneOf(filter.sortOrder, SORT_ORDERS, "DESC");
  if (sortOrder === undefined) return `filter.sortOrder must be one of ${SORT_ORDERS}`;
  const untilMs = instantOr(filter.until, nowMs);
  const fromMs = instantOr(filter.from, (untilMs ?? nowMs) - DEFAULT_SPAN_MS);
  if (fromMs === undefined || untilMs === undefined) {
    return "filter.from and filter.until must be RFC 3339 date-times";
  }
  if (untilMs < fromMs) return "filter.until must not be before filter.from";
  const { status, storeId } = filter;
  if (status !== undefined && !(Array.isArray(status) && status.every(isFilterStatus))) {
    return `filter.status must be a list of ${FILTER_STATUSES}`;
  }
  if (storeId !== undefined && typeof storeId !== "string")
    return "filter.storeId must be a string";
  return {
    number,
    size,
    filter: {
      ...(storeId === undefined ? {} : { storeId }),
      ...(status === undefined ? {} : { statuses: status }),
      timestampType,
      fromMs,
      untilMs,
      sortBy,
      sortOrder,
    },
  };
}

const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

const isFilterStatus = (value: unknown): value is string =>
  FILTER_STATUSES.some((status) => status === value);

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T) {
  if (value === undefined) return fallback;
  return allowed.find((candidate) => candidate === value);
}

function instantOr(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  return typeof value === "string" ? parseIsoTimestamp(value) : undefined;
}

function byKey(key: "requestedAtMs" | "statusChangedAtMs") {
  return (a: Listed, b: Listed): number => {
    if (a[key] !== b[key]) return a[key] - b[key];
    const ia = a.view.payment.pg_uid;
    const ib = b.view.payment.pg_uid;
    return ia < ib ? -1 : ia > ib ? 1 : 0;
  };
}

interface CancelBody {
  readonly reason: string;
  readonly storeId?: string;
  readonly amount?: number;
  readonly currentCancellableAmount?: number;
  readonly refundAccount?: Record<string, unknown>;
}

/** `CancelPaymentBody`'s shape; what it asks of the payment is checked against the payment. */
function parseCancelBody(raw: string | undefined): CancelBody | string {
  const body = parseJsonObject(raw);
  if (typeof body === "string") return body;
  const { reason, storeId, amount, currentCancellableAmount, refundAccount } = body;
  if (typeof reason !== "string" || reason.trim() === "") return "reason is required";
  if (storeId !== undefined && typeof storeId !== "string") return "storeId must be a string";
  for (const [name, value] of Object.entries({ amount, currentCancellableAmount })) {
    if (value !== undefined && !(isInt(value) && value >= 0)) {
      return `${name} must be a non-negative integer`;
    }
  }
  if (refundAccount !== undefined) {
    const complete =
      isRecord(refundAccount) &&
      ["bank", "number", "holderName"].every((field) => typeof refundAccount[field] === "string");
    if (!complete) return "refundAccount needs bank, number and holderName";
  }
  return body as unknown as CancelBody;
}

function cancelAnswers(body: CancelBody): CancelAnswers {
  return {
    check({ payment, cancellations }) {
      // Counted in the order's undiscounted amount, as PortOne's promotion guide has cancels.
      const cancellable = payment.amount - cancelledSoFar(cancellations);
      const expected = body.currentCancellableAmount;
      if (expected !== undefined && expected !== cancellable) {
        return fail(409, {
          type: "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN",
          message: `취소 가능 잔액 검증에 실패했습니다. (현재 ${cancellable})`,
        } satisfies CancellableAmountConsistencyBrokenError);
      }
      if (body.amount !== undefined && body.amount > cancellable) return exceeds(cancellable);
      // Partial cancels are not simulated; the documented type for a request refused as such.
      if (body.amount !== undefined && body.amount < cancellable) {
        return invalid("the simulator cancels whole payments only: omit amount");
      }
      // "계좌 환불이 필요한 경우는 가상계좌 환불 ..." (CancelPaymentBody.refundAccount).
      if (methodOf(payment) === "virtual_account" && body.refundAccount === undefined) {
        return invalid(
          "a deposited virtual account is refunded to a bank account: refundAccount is required",
        );
      }
      return undefined;
    },
    answer(effect) {
      switch (effect.kind) {
        case "cancelled":
        case "requested":
          return okAnswer({
            cancellation: cancellationBody(effect.cancellation),
          } satisfies CancelPaymentResponse);
        case "alreadyCancelled":
          return fail(409, {
            type: "PAYMENT_ALREADY_CANCELLED",
            message: "결제가 이미 취소되었습니다.",
          } satisfies PaymentAlreadyCancelledError);
        case "notCancellable":
          return fail(409, {
            type: "PAYMENT_NOT_PAID",
            message: "결제가 완료되지 않았습니다.",
          } satisfies PaymentNotPaidError);
        // The open REQUESTED cancellation holds the whole balance.
        case "cancellationPending":
          return exceeds(0);
        case "notFound":
          return NOT_FOUND;
      }
    },
  };
}

function exceeds(cancellable: number): ApiAnswer {
  return fail(409, {
    type: "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT",
    message: `결제 취소 금액이 취소 가능 금액(${cancellable})을 초과합니다.`,
  } satisfies CancelAmountExceedsCancellableAmountError);
}

function cancellationBody(c: SimCancellation): PaymentCancellation {
  const common = {
    id: c.id,
    totalAmount: c.amount,
    taxFreeAmount: 0,
    vatAmount: 0,
    reason: c.reason,
    requestedAt: c.requestedAt,
    trigger: "API",
  };
  switch (c.status) {
    case "SUCCEEDED":
      return {
        status: "SUCCEEDED",
        ...common,
        ...(c.finishedAt === undefined ? {} : { cancelledAt: c.finishedAt }),
        receiptUrl: `https://receipt.example/portone/${encodeURIComponent(c.id)}`,
      } satisfies SucceededPaymentCancellation;
    case "REQUESTED":
      return { status: "REQUESTED", ...common } satisfies RequestedPaymentCancellation;
    case "FAILED":
      return { status: "FAILED", ...common } satisfies FailedPaymentCancellation;
  }
}

/** The payment's status and times, as the filter and the sort see them. */
function listed(view: PaymentView): Listed {
  const { payment } = view;
  const status = portOneStatus(payment);
  return {
    view,
    status,
    requestedAtMs: Date.parse(requestedAtOf(payment)),
    statusChangedAtMs: Date.parse(statusChangedAt(view, status)),
  };
}

function portOneStatus(payment: SimPayment): string {
  switch (payment.status) {
    case "paid":
      return "PAID";
    case "cancelled":
      return "CANCELLED";
    case "partial_cancelled":
      return "PARTIAL_CANCELLED";
    case "waiting_for_deposit":
      return "VIRTUAL_ACCOUNT_ISSUED";
    // PortOne has no ABORTED or EXPIRED: a payment that never completed has failed.
    case "aborted":
    case "expired":
      return "FAILED";
    default:
      return payment.status.toUpperCase();
  }
}

/**
 * `PaymentTimestampType.STATUS_CHANGED_AT`: "ready -> 결제 요청 시점, paid -> 결제 완료 시점,
 * cancelled -> 결제 취소 시점, failed -> 결제 실패 시점"; an issued virtual account at its issue.
 */
function statusChangedAt(view: PaymentView, status: string): string {
  const { payment } = view;
  switch (status) {
    case "CANCELLED":
    case "PARTIAL_CANCELLED":
      return lastSucceeded(view)?.finishedAt ?? payment.cancelled_at ?? payment.paid_at;
    case "READY":
    case "VIRTUAL_ACCOUNT_ISSUED":
      return requestedAtOf(payment);
    default:
      return payment.paid_at;
  }
}

function lastSucceeded(view: PaymentView): SimCancellation | undefined {
  return view.cancellations.filter((c) => c.status === "SUCCEEDED").at(-1);
}

function paymentBody(view: PaymentView, setup: DialectSetup): PortOnePayment {
  const { payment, cancellations } = view;
  const status = portOneStatus(payment);
  const changedAt = statusChangedAt(view, status);
  const updatedAt = [changedAt, ...cancellations.flatMap((c) => [c.requestedAt, c.finishedAt])]
    .filter((at): at is string => at !== undefined)
    .reduce((latest, at) => (Date.parse(at) > Date.parse(latest) ? at : latest));
  const discount = payment.discount ?? 0;
  const common = {
    id: payment.pg_uid,
    transactionId: `txn-${payment.pg_uid}`,
    merchantId: "merchant-sim",
    storeId: setup.storeId,
    method: methodBody(payment),
    channel: CHANNEL,
    version: "V2",
    requestedAt: requestedAtOf(payment),
    updatedAt,
    statusChangedAt: changedAt,
    orderName: String(payment.store_order_id),
    amount: {
      total: payment.amount,
      taxFree: 0,
      discount,
      paid: wasPaid(payment) ? payment.amount - discount : 0,
      cancelled: cancelledSoFar(cancellations),
      cancelledTaxFree: 0,
    } satisfies PaymentAmount,
    // The dataset's currencies are ISO 4217 codes, which is what PortOne's enum lists.
    currency: payment.currency as Currency,
    customer: {},
    origin: ORIGIN,
  } satisfies CommonFields;
  const shown = cancellations.map(cancellationBody);
  switch (status) {
    case "PAID":
      return {
        status: "PAID",
        ...common,
        paidAt: payment.paid_at,
        disputes: [],
        // "결제 취소 요청 내역": requested and failed cancellations of a payment still paid.
        ...(shown.length === 0 ? {} : { cancellations: shown }),
      } satisfies WithOrigin<PaidPayment>;
    case "CANCELLED":
    case "PARTIAL_CANCELLED":
      return {
        status,
        ...common,
        ...(wasPaid(payment) ? { paidAt: payment.paid_at } : {}),
        cancellations: shown,
        cancelledAt: changedAt,
      } satisfies WithOrigin<CancelledPayment> | WithOrigin<PartialCancelledPayment>;
    case "VIRTUAL_ACCOUNT_ISSUED":
      return {
        status: "VIRTUAL_ACCOUNT_ISSUED",
        ...common,
      } satisfies WithOrigin<VirtualAccountIssuedPayment>;
    case "FAILED":
      return {
        status: "FAILED",
        ...common,
        failedAt: changedAt,
        failure: {
          reason:
            payment.status === "expired"
              ? "결제 유효 시간이 지났습니다."
              : "결제가 승인되지 않았습니다.",
        },
      } satisfies WithOrigin<FailedPayment>;
    case "READY":
      return { status: "READY", ...common } satisfies WithOrigin<ReadyPayment>;
    default:
      return { ...common, status } satisfies FuturePayment;
  }
}

function methodBody(payment: SimPayment): PaymentMethod {
  if (methodOf(payment) === "card") return { type: "PaymentMethodCard" };
  const issued = requestedAtOf(payment);
  return {
    type: "PaymentMethodVirtualAccount",
    bank: "SHINHAN",
    accountNumber: virtualAccountNumber(payment.pg_uid),
    accountType: "NORMAL",
    remitteeName: "simulator",
    issuedAt: issued,
    expiredAt: new Date(Date.parse(issued) + 7 * 86_400_000).toISOString(),
  };
}
