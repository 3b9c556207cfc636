import { currencyExponent, toMinorUnits } from "../../../lambda/util/minor-units.ts";
import { type ApiAnswer, emptyAnswer, errorAnswer, okAnswer } from "../answers.ts";
import { methodOf, requestedAtOf, type SimPayment, wasPaid } from "../dataset.ts";
import type { CancelAnswers, PaymentView, SimCancellation } from "../payment-ledger.ts";
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
 * Toss Payments v1, as its public reference describes it: Basic auth with the secret key
 * and a colon, a transaction listing with a cursor, and a cancel that answers with the
 * payment. Approvals and cancellations are separate transactions sharing a paymentKey, and
 * amounts are in major units (`726.24` US dollars). Error codes are the reference's own
 * (its "전체 에러 목록" and the per-API tables); none is invented here.
 */

const KST_MS = 9 * 3_600_000;
// "기본값은 100이고 설정할 수 있는 최대값은 5000입니다."
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 5_000;
// Idempotency guide: "최대 길이는 300자입니다."
const MAX_IDEMPOTENCY_KEY_LENGTH = 300;
const PAYMENT_PATH = /^\/v1\/payments\/([^/]+)$/;
const CANCEL_PATH = /^\/v1\/payments\/([^/]+)\/cancel$/;
// `yyyy-MM-dd'T'hh:mm:ss`, a date alone meaning 00:00:00; the guide's examples add `.SSS`.
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d{3})?)?$/;
/** Two shops of one merchant: the listing holds both, as a multi-MID merchant's does. */
const MIDS = ["tosspayments", "tvivarepublica"] as const;

const METHOD_NAMES = { card: "카드", virtual_account: "가상계좌" } as const;

const STATUS: Readonly<Record<string, string>> = {
  paid: "DONE",
  cancelled: "CANCELED",
  partial_cancelled: "PARTIAL_CANCELED",
  waiting_for_deposit: "WAITING_FOR_DEPOSIT",
  aborted: "ABORTED",
  expired: "EXPIRED",
  ready: "READY",
  in_progress: "IN_PROGRESS",
};

const tossStatus = (status: string): string => STATUS[status] ?? status.toUpperCase();

/** `Transaction` object of `GET /v1/transactions`. */
interface TossTransaction {
  readonly mId: string;
  readonly transactionKey: string;
  readonly paymentKey: string;
  readonly orderId: string;
  readonly method: string;
  /** Not marked nullable by the reference, yet null on every non-billing payment seen. */
  readonly customerKey: null;
  readonly useEscrow: boolean;
  readonly receiptUrl: string;
  readonly status: string;
  readonly transactionAt: string;
  readonly currency: string;
  readonly amount: number;
}

/** `Payment.cancels[]`. */
interface TossCancel {
  readonly cancelAmount: number;
  readonly cancelReason: string;
  readonly taxFreeAmount: number;
  readonly taxExemptionAmount: number;
  readonly refundableAmount: number;
  readonly cardDiscountAmount: number;
  readonly transferDiscountAmount: number;
  readonly easyPayDiscountAmount: number;
  readonly canceledAt: string;
  readonly transactionKey: string;
  readonly receiptKey: string | null;
  readonly cancelStatus: "DONE";
  readonly cancelRequestId: null;
}

/** `Payment` object, the fields a lookup and a cancel answer carry. */
interface TossPayment {
  readonly mId: string;
  readonly lastTransactionKey: string | null;
  readonly paymentKey: string;
  readonly orderId: string;
  readonly orderName: string;
  readonly taxExemptionAmount: number;
  readonly status: string;
  readonly requestedAt: string;
  readonly approvedAt: string | null;
  readonly useEscrow: boolean;
  readonly cultureExpense: boolean;
  readonly card: Record<string, unknown> | null;
  readonly virtualAccount: Record<string, unknown> | null;
  readonly transfer: null;
  readonly mobilePhone: null;
  readonly giftCertificate: null;
  readonly cashReceipt: null;
  readonly cashReceipts: null;
  readonly discount: null;
  readonly cancels: TossCancel[] | null;
  readonly secret: null;
  readonly type: "NORMAL";
  readonly easyPay: null;
  readonly country: string;
  readonly failure: { code: string; message: string } | null;
  readonly isPartialCancelable: boolean;
  readonly receipt: { url: string };
  readonly checkout: { url: string };
  readonly currency: string;
  readonly totalAmount: number;
  readonly balanceAmount: number;
  readonly suppliedAmount: number;
  readonly vat: number;
  readonly taxFreeAmount: number;
  readonly method: string;
  readonly version: string;
  readonly metadata: null;
}

/** A transaction row and where it sorts: time, then issue < approval < cancel, then key. */
interface Row {
  readonly at: number;
  readonly phase: 0 | 1 | 2;
  readonly body: TossTransaction;
}

const MESSAGES = {
  unauthorized: "인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.",
  basicFormat: "잘못된 요청입니다. ':' 를 포함해 인코딩해주세요.",
  consecutive: "반복적인 요청은 허용되지 않습니다. 잠시 후 다시 시도해주세요.",
  processing: "이전 멱등 요청이 처리중입니다.",
  notFoundPayment: "존재하지 않는 결제 정보 입니다.",
} as const;

/**
 * `yyyy-MM-ddTHH:mm:ss+09:00`: the reference's format has whole seconds, in Korea time like
 * every example it gives.
 */
export function tossKst(iso: string): string {
  return `${new Date(Date.parse(iso) + KST_MS).toISOString().slice(0, 19)}+09:00`;
}

/** Minor units as Toss writes them: `72624` USD is `726.24`, `15000` KRW stays `15000`. */
export function tossMajor(minor: number, currency: string): number {
  return minor / 10 ** (currencyExponent(currency) ?? 0);
}

/** Which of the merchant's MIDs a payment went through: fixed per payment, both in use. */
export function tossMid(pgUid: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < pgUid.length; i++) hash = Math.imul(hash ^ pgUid.charCodeAt(i), 0x01000193);
  return MIDS[(hash >>> 0) % MIDS.length] as string;
}

export function createTossDialect(setup: DialectSetup): Dialect {
  const { ledger } = setup;
  // The dataset's own history never changes; only the simulator's cancels add rows later.
  const datasetRows = ledger.views(Number.NEGATIVE_INFINITY).flatMap(rowsOf).sort(compareRows);
  const lastCancelAt = new Map<string, number>();
  let unkeyed = 0;

  const cancelTarget = (method: string, path: string) => pathId(CANCEL_PATH, "POST", method, path);

  function lookup(paymentKey: string, receivedAt: number): ApiAnswer {
    const view = ledger.view(paymentKey, receivedAt);
    return view
      ? okAnswer(paymentBody(view))
      : errorAnswer(404, "NOT_FOUND_PAYMENT", MESSAGES.notFoundPayment);
  }

  function list(incoming: Incoming): ApiAnswer {
    const range = parseRange(incoming.query);
    if (typeof range === "string") return errorAnswer(400, "INVALID_DATE", range);
    const rawLimit = incoming.query.limit ?? String(DEFAULT_LIMIT);
    const limit = /^\d+$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) {
      return errorAnswer(400, "INVALID_REQUEST", `limit must be an integer in 1..${MAX_LIMIT}`);
    }
    const rows = rowsIn(range.fromMs, range.toMs);
    const after = incoming.query.startingAfter;
    let start = 0;
    if (after !== undefined && after !== "") {
      const index = rows.findIndex((row) => row.body.transactionKey === after);
      if (index < 0) return errorAnswer(400, "INVALID_TRANSACTION_KEY", "잘못된 페이징 키 입니다.");
      start = index + 1;
    }
    if (setup.faults.shouldFailPageRead(Math.floor(start / limit) + 1)) {
      return errorAnswer(
        500,
        "FAILED_INTERNAL_SYSTEM_PROCESSING",
        "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
      );
    }
    return okAnswer(rows.slice(start, start + limit).map((row) => row.body));
  }

  /** Every row in `[fromMs, toMs)`, the dataset's and the simulator's cancels merged. */
  function rowsIn(fromMs: number, toMs: number): Row[] {
    const first = lowerBound(datasetRows, fromMs);
    const last = lowerBound(datasetRows, toMs);
    const rows = datasetRows.slice(first, Math.max(first, last));
    const later = ledger
      .finishedCancellations()
      .map(cancelRow)
      .filter((row) => row.at >= fromMs && row.at < toMs);
    return later.length === 0 ? rows : rows.concat(later).sort(compareRows);
  }

  function cancelRow({ pgUid, cancellation }: { pgUid: string; cancellation: SimCancellation }) {
    const view = ledger.view(pgUid, Number.NEGATIVE_INFINITY) as PaymentView;
    return transaction(
      view.payment,
      2,
      "CANCELED",
      cancellation.finishedAt ?? cancellation.requestedAt,
      cancellation.amount,
    );
  }

  function cancel(pgUid: string, incoming: Incoming): ApiAnswer {
    // Before anything else, the key included: a repeat too soon is refused whatever it is.
    if (setup.consecutiveCancelMs > 0) {
      const last = lastCancelAt.get(pgUid);
      lastCancelAt.set(pgUid, Math.max(last ?? incoming.receivedAt, incoming.receivedAt));
      if (last !== undefined && Math.abs(incoming.receivedAt - last) < setup.consecutiveCancelMs) {
        return errorAnswer(403, "FORBIDDEN_CONSECUTIVE_REQUEST", MESSAGES.consecutive);
      }
    }
    const key = incoming.idempotencyKey;
    if (key !== undefined && !validKey(key)) {
      return errorAnswer(400, "INVALID_IDEMPOTENCY_KEY", "멱등키는 300자 이하여야 합니다.");
    }
    if (incoming.keyInFlight) {
      return errorAnswer(409, "IDEMPOTENT_REQUEST_PROCESSING", MESSAGES.processing);
    }
    const body = parseCancelBody(incoming.body);
    if (typeof body === "string") return errorAnswer(400, "INVALID_REQUEST", body);
    // Toss does not require a key; without one every request stands alone.
    const scope = key === undefined ? `unkeyed-${++unkeyed}` : scopeOf(key, incoming.path);
    return ledger.cancel({
      pgUid,
      scope,
      now: new Date(),
      reason: body.cancelReason,
      answers: cancelAnswers(body),
    }).answer;
  }

  return {
    name: "toss",

    authorize(authorization) {
      const encoded = /^Basic +(\S+)$/i.exec(authorization ?? "")?.[1];
      const decoded = encoded === undefined ? undefined : Buffer.from(encoded, "base64").toString();
      if (decoded !== undefined && !decoded.includes(":")) {
        return errorAnswer(403, "INCORRECT_BASIC_AUTH_FORMAT", MESSAGES.basicFormat);
      }
      // The secret key is the user name; Toss uses no password.
      if (decoded?.slice(0, decoded.indexOf(":")) === setup.apiKey) return undefined;
      return errorAnswer(401, "UNAUTHORIZED_KEY", MESSAGES.unauthorized, {
        "www-authenticate": "Basic",
      });
    },

    unrouted: () => errorAnswer(404, "NOT_FOUND", "존재하지 않는 정보 입니다."),

    faultAnswer(action, retryAfterSeconds) {
      switch (action) {
        // The reference documents 429 for "비정상적으로 많은 요청" with no code.
        case "429":
          return {
            status: 429,
            body: { message: "비정상적으로 많은 요청을 보냈습니다. 잠시 후 다시 시도해주세요." },
            headers: { "retry-after": String(retryAfterSeconds) },
          };
        // Toss documents no 503: this is whatever stands in front of it, without a body.
        case "503":
          return emptyAnswer(503);
        case "500":
          return errorAnswer(
            500,
            "FAILED_INTERNAL_SYSTEM_PROCESSING",
            "내부 시스템 처리 작업이 실패했습니다. 잠시 후 다시 시도해주세요.",
          );
        // The card company did not answer; the cancel did nothing.
        case "provider-error":
          return errorAnswer(
            400,
            "PROVIDER_ERROR",
            "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해주세요.",
          );
        case "pg-provider":
          return undefined;
      }
    },

    idempotencyScope({ method, path, idempotencyKey: key }) {
      if (key === undefined || !validKey(key) || cancelTarget(method, path) === undefined) {
        return undefined;
      }
      return scopeOf(key, path);
    },

    cancelTarget,

    route(incoming) {
      return listLookupCancel(
        incoming,
        { list: "/v1/transactions", payment: PAYMENT_PATH, cancel: CANCEL_PATH },
        {
          list: () => list(incoming),
          lookup: (id) => lookup(id, incoming.receivedAt),
          cancel: (id) => cancel(id, incoming),
        },
      );
    },
  };
}

const validKey = (key: string) => key.length > 0 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH;

/** The guide: key, API key, URL and method identify a request; only POST cancels reach here. */
function scopeOf(key: string, path: string): string {
  return `${key}\u0000${path}`;
}

interface CancelBody {
  readonly cancelReason: string;
  readonly cancelAmount?: number;
  readonly refundableAmount?: number;
  readonly currency?: string;
  readonly refundReceiveAccount?: Record<string, unknown>;
}

/** The body's shape; what it asks of the payment is checked against the payment. */
function parseCancelBody(raw: string | undefined): CancelBody | string {
  const body = parseJsonObject(raw);
  if (typeof body === "string") return body;
  const { cancelReason, cancelAmount, refundableAmount, currency, refundReceiveAccount } = body;
  if (typeof cancelReason !== "string" || cancelReason.trim() === "") {
    return "cancelReason is required";
  }
  if (cancelReason.length > 200) return "cancelReason must be at most 200 characters";
  for (const [name, value] of Object.entries({ cancelAmount, refundableAmount })) {
    if (
      value !== undefined &&
      !(typeof value === "number" && Number.isFinite(value) && value >= 0)
    ) {
      return `${name} must be a non-negative number`;
    }
  }
  if (currency !== undefined && typeof currency !== "string") return "currency must be a string";
  if (refundReceiveAccount !== undefined) {
    const account = refundReceiveAccount;
    const complete =
      isRecord(account) &&
      ["bank", "accountNumber", "holderName"].every((field) => typeof account[field] === "string");
    if (!complete) return "refundReceiveAccount needs bank, accountNumber and holderName";
  }
  return body as unknown as CancelBody;
}

function cancelAnswers(body: CancelBody): CancelAnswers {
  return {
    check({ payment }) {
      const { currency } = payment;
      const balance = payment.amount;
      if (body.currency !== undefined && body.currency !== currency) {
        return errorAnswer(400, "INVALID_CURRENCY", "잘못된 통화 값입니다.");
      }
      if (methodOf(payment) === "virtual_account" && body.refundReceiveAccount === undefined) {
        // Undocumented which code this is; the cancel table's refund-account code, with a
        // message that says what is missing.
        return errorAnswer(
          400,
          "INVALID_REFUND_ACCOUNT_INFO",
          "입금된 가상계좌 결제를 취소하려면 환불받을 계좌 정보(refundReceiveAccount)가 필요합니다.",
        );
      }
      if (body.refundableAmount !== undefined) {
        const expected = toMinorUnits(body.refundableAmount, currency);
        if (typeof expected === "string") {
          return errorAnswer(400, "INVALID_REFUND_AMOUNT", "잘못된 환불 금액입니다.");
        }
        // The reference names no code for this refusal. NOT_MATCHES_REFUNDABLE_AMOUNT ("잔액
        // 결과가 일치하지 않습니다.") is in the cancel API's table and says exactly this.
        if (expected !== balance) {
          return errorAnswer(
            400,
            "NOT_MATCHES_REFUNDABLE_AMOUNT",
            "잔액 결과가 일치하지 않습니다.",
          );
        }
      }
      if (body.cancelAmount !== undefined) {
        const asked = toMinorUnits(body.cancelAmount, currency);
        if (typeof asked === "string" || asked > balance) {
          return errorAnswer(403, "NOT_CANCELABLE_AMOUNT", "취소 할 수 없는 금액 입니다.");
        }
        // Partial cancels are not simulated; this documented refusal says so in Toss's words.
        if (asked < balance) {
          return errorAnswer(
            403,
            "NOT_ALLOWED_PARTIAL_REFUND",
            "에스크로 주문, 현금 카드 결제 등의 사유로 부분 환불이 불가합니다.",
          );
        }
      }
      return undefined;
    },
    answer(effect) {
      switch (effect.kind) {
        case "cancelled":
          return okAnswer(paymentBody(effect.view));
        case "alreadyCancelled": {
          const { payment } = effect.view;
          // A deposited virtual account is refunded to a bank account, hence Toss's other word.
          return methodOf(payment) === "virtual_account" && wasPaid(payment)
            ? errorAnswer(400, "ALREADY_REFUND_PAYMENT", "이미 환불된 결제입니다.")
            : errorAnswer(400, "ALREADY_CANCELED_PAYMENT", "이미 취소된 결제 입니다.");
        }
        case "notCancellable":
          return errorAnswer(403, "NOT_CANCELABLE_PAYMENT", "취소 할 수 없는 결제 입니다.");
        case "cancellationPending":
          return errorAnswer(400, "ALREADY_REFUNDING_PAYMENT", "이미 환불 중인 결제입니다.");
        case "requested":
          throw new Error("Toss cancels at once");
        case "notFound":
          return errorAnswer(404, "NOT_FOUND_PAYMENT", MESSAGES.notFoundPayment);
      }
    },
  };
}

/** Local Korea date-times; `endDate` includes its whole last second (or millisecond). */
function parseRange(
  query: Readonly<Record<string, string>>,
): { fromMs: number; toMs: number } | string {
  const from = parseLocal(query.startDate);
  if (from === undefined) return "startDate must be yyyy-MM-ddTHH:mm:ss (Korea time)";
  const end = parseLocal(query.endDate);
  if (end === undefined) return "endDate must be yyyy-MM-ddTHH:mm:ss (Korea time)";
  if (end.ms < from.ms) return "endDate must not be before startDate";
  return { fromMs: from.ms, toMs: end.ms + end.precisionMs };
}

function parseLocal(value: string | undefined): { ms: number; precisionMs: number } | undefined {
  const match = value === undefined ? null : LOCAL_TIME.exec(value);
  if (!match) return undefined;
  const [, year, month, day, hour = "00", minute = "00", second = "00", fraction = ""] = match;
  const text = `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}+09:00`;
  const ms = Date.parse(text);
  // Date.parse rolls 02-30 over into March; a date that does not round-trip is not one.
  if (Number.isNaN(ms) || tossKst(new Date(ms).toISOString()).slice(0, 19) !== text.slice(0, 19)) {
    return undefined;
  }
  return { ms, precisionMs: fraction === "" ? 1000 : 1 };
}

function transaction(
  payment: SimPayment,
  phase: Row["phase"],
  status: string,
  at: string,
  minorAmount: number,
): Row {
  const kind = ["issue", "approve", "cancel"][phase];
  const transactionKey = `tx_${kind}_${payment.pg_uid}`;
  return {
    at: Date.parse(at),
    phase,
    body: {
      mId: tossMid(payment.pg_uid),
      transactionKey,
      paymentKey: payment.pg_uid,
      orderId: String(payment.store_order_id),
      method: METHOD_NAMES[methodOf(payment)],
      customerKey: null,
      useEscrow: false,
      receiptUrl: `https://dashboard.tosspayments.com/receipt/redirection?transactionId=${transactionKey}`,
      status,
      transactionAt: tossKst(at),
      currency: payment.currency,
      amount: tossMajor(minorAmount, payment.currency),
    },
  };
}

/**
 * A payment's history as the dataset has it. Each row's amount is the money that
 * transaction moved: a virtual account's issue moves none (Toss shows `amount: 0`), nor does
 * a failed or expired attempt, nor the cancel of an account nobody paid into.
 */
function rowsOf(view: PaymentView): Row[] {
  const { payment, cancellations } = view;
  const rows: Row[] = [];
  if (methodOf(payment) === "virtual_account") {
    rows.push(transaction(payment, 0, "WAITING_FOR_DEPOSIT", requestedAtOf(payment), 0));
  }
  if (wasPaid(payment)) {
    rows.push(transaction(payment, 1, "DONE", payment.paid_at, payment.amount));
  } else if (payment.status !== "waiting_for_deposit" && payment.status !== "cancelled") {
    rows.push(transaction(payment, 1, tossStatus(payment.status), payment.paid_at, 0));
  }
  for (const cancellation of cancellations.filter((c) => c.status === "SUCCEEDED")) {
    rows.push(
      transaction(
        payment,
        2,
        tossStatus(payment.status),
        cancellation.finishedAt ?? cancellation.requestedAt,
        cancellation.amount,
      ),
    );
  }
  return rows;
}

function paymentBody(view: PaymentView): TossPayment {
  const { payment, cancellations } = view;
  const { currency } = payment;
  const major = (minor: number) => tossMajor(minor, currency);
  const method = methodOf(payment);
  const succeeded = cancellations.filter((c) => c.status === "SUCCEEDED");
  const balance = balanceOf(payment, cancelledSoFar(cancellations));
  const rows = rowsOf(view);
  let refundable = payment.amount;
  const cancels = succeeded.map((c): TossCancel => {
    refundable -= c.amount;
    return {
      cancelAmount: major(c.amount),
      cancelReason: c.reason,
      taxFreeAmount: 0,
      taxExemptionAmount: 0,
      refundableAmount: major(Math.max(0, refundable)),
      cardDiscountAmount: 0,
      transferDiscountAmount: 0,
      easyPayDiscountAmount: 0,
      canceledAt: tossKst(c.finishedAt ?? c.requestedAt),
      transactionKey: `tx_cancel_${payment.pg_uid}`,
      receiptKey: null,
      cancelStatus: "DONE",
      cancelRequestId: null,
    };
  });
  // Won prices include 10 % VAT; other currencies are shown without a split.
  const vat = currency === "KRW" ? Math.round(balance / 11) : 0;
  return {
    mId: tossMid(payment.pg_uid),
    lastTransactionKey: rows.at(-1)?.body.transactionKey ?? null,
    paymentKey: payment.pg_uid,
    orderId: String(payment.store_order_id),
    orderName: `order ${payment.store_order_id}`,
    taxExemptionAmount: 0,
    status: tossStatus(payment.status),
    requestedAt: tossKst(requestedAtOf(payment)),
    approvedAt: wasPaid(payment) ? tossKst(payment.paid_at) : null,
    useEscrow: false,
    cultureExpense: false,
    card: method === "card" ? cardOf(payment) : null,
    virtualAccount: method === "virtual_account" ? virtualAccountOf(payment) : null,
    transfer: null,
    mobilePhone: null,
    giftCertificate: null,
    cashReceipt: null,
    cashReceipts: null,
    discount: null,
    cancels: cancels.length === 0 ? null : cancels,
    secret: null,
    type: "NORMAL",
    easyPay: null,
    country: "KR",
    failure:
      payment.status === "aborted"
        ? {
            code: "REJECT_CARD_PAYMENT",
            message: "한도초과 혹은 잔액부족으로 결제에 실패했습니다.",
          }
        : null,
    isPartialCancelable: true,
    receipt: {
      url: `https://dashboard.tosspayments.com/receipt/redirection?transactionId=${payment.pg_uid}`,
    },
    checkout: { url: `https://api.tosspayments.com/v1/payments/${payment.pg_uid}/checkout` },
    currency,
    totalAmount: major(payment.amount),
    balanceAmount: major(balance),
    suppliedAmount: major(balance - vat),
    vat: major(vat),
    taxFreeAmount: 0,
    method: METHOD_NAMES[method],
    version: "2022-11-16",
    metadata: null,
  };
}

/**
 * What can still be cancelled: all of a paid payment, what a partial cancel left, and all of
 * an unpaid virtual account (cancelling it refunds nothing); nothing for the rest.
 */
function balanceOf(payment: SimPayment, cancelled: number): number {
  switch (payment.status) {
    case "paid":
    case "partial_cancelled":
      return payment.amount - cancelled;
    case "waiting_for_deposit":
      return payment.amount;
    default:
      return 0;
  }
}

function cardOf(payment: SimPayment): Record<string, unknown> {
  return {
    issuerCode: "61",
    acquirerCode: "31",
    number: "43301234****123*",
    installmentPlanMonths: 0,
    isInterestFree: false,
    interestPayer: null,
    approveNo: "00000000",
    useCardPoint: false,
    cardType: "신용",
    ownerType: "개인",
    acquireStatus: wasPaid(payment) ? "READY" : "NOT_APPROVED",
    amount: tossMajor(payment.amount, payment.currency),
  };
}

function virtualAccountOf(payment: SimPayment): Record<string, unknown> {
  const issued = Date.parse(requestedAtOf(payment));
  const due = new Date(issued + 7 * 86_400_000).toISOString();
  const refunded = payment.status === "cancelled" && wasPaid(payment);
  return {
    accountType: "일반",
    accountNumber: virtualAccountNumber(payment.pg_uid),
    bankCode: "88",
    customerName: "홍길동",
    depositorName: wasPaid(payment) ? "홍길동" : null,
    dueDate: tossKst(due).slice(0, 19),
    refundStatus: refunded ? "COMPLETED" : "NONE",
    expired: payment.status === "expired",
    settlementStatus: wasPaid(payment) ? "COMPLETED" : "INCOMPLETED",
    refundReceiveAccount: null,
  };
}

function compareRows(a: Row, b: Row): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.phase !== b.phase) return a.phase - b.phase;
  const ka = a.body.transactionKey;
  const kb = b.body.transactionKey;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** First row at or after `ms`. */
function lowerBound(rows: readonly Row[], ms: number): number {
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((rows[middle] as Row).at < ms) low = middle + 1;
    else high = middle;
  }
  return low;
}
