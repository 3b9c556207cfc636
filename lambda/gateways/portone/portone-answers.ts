import type { CancelOutcome, PaymentState } from "../../ports/gateway.ts";
import { currencyExponent } from "../../util/minor-units.ts";
import { type HttpAnswer, stringField } from "../http/retrying-http.ts";
import { count, isObject, type Json, malformed, object, text } from "../json-shapes.ts";

const STATUS: Readonly<Record<string, string>> = {
  PAID: "paid",
  CANCELLED: "cancelled",
  PARTIAL_CANCELLED: "partial_cancelled",
};

export const paysyncStatus = (status: string): string => STATUS[status] ?? status.toLowerCase();

/** `TYPE: message` and, for `PG_PROVIDER`, the PG's own `pgCode` and `pgMessage`. */
export function describePortOneError(json: unknown): string {
  const parts = [stringField(json, "type"), stringField(json, "message")].filter(Boolean);
  const pgCode = stringField(json, "pgCode");
  const pgMessage = stringField(json, "pgMessage");
  if (pgCode !== undefined || pgMessage !== undefined) {
    parts.push(`pgCode ${pgCode ?? "-"}, pgMessage ${pgMessage ?? "-"}`);
  }
  return parts.join(": ");
}

/**
 * PortOne amounts are integers in the currency's smallest unit (its SDK docs: USD in cents),
 * already what paysync counts; the currency must still be one paysync can place.
 */
export function portOneAmount(amount: Json, field: string, currency: string, where: string) {
  if (currencyExponent(currency) === undefined)
    throw malformed(`${where}.currency ${currency} is not one paysync can place`);
  return count(amount, field, `${where}.amount`);
}

/** The latest cancellation that has not succeeded, from `cancellations` (PaidPayment & co.). */
function openCancellation(
  payment: Json,
  where: string,
): Pick<PaymentState, "cancellation" | "cancellationDetail"> {
  const list = payment.cancellations;
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw malformed(`${where}.cancellations is not a list`);
  const cancellations = list.map((c, i) => object(c, `${where}.cancellations[${i}]`));
  if (cancellations.some((c) => c.status === "REQUESTED")) return { cancellation: "requested" };
  const latest = cancellations
    .map((c) => ({
      status: c.status,
      at: typeof c.requestedAt === "string" ? c.requestedAt : "",
      reason: c.reason,
    }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .at(-1);
  if (latest?.status !== "FAILED") return {};
  return {
    cancellation: "failed",
    ...(typeof latest.reason === "string" ? { cancellationDetail: latest.reason } : {}),
  };
}

/**
 * A looked-up payment. The cancellable balance is `amount.total − amount.cancelled`: PortOne
 * counts cancels of a discounted payment in the order's undiscounted amount (its promotion
 * guide: a full cancel of a 10,000 order paid 9,000 is `amount: 10000`), and so did V1's
 * balance check (`checksum`). If that reading were wrong, PortOne refuses the cancel (409),
 * it never refunds twice.
 */
export function portOnePaymentState(value: unknown, pgUid: string): PaymentState {
  const where = `payment ${pgUid}`;
  const payment = object(value, where);
  if (payment.id !== pgUid) throw malformed(`${where} answered for another payment`);
  const currency = text(payment, "currency", where);
  const amount = object(payment.amount, `${where}.amount`);
  const total = portOneAmount(amount, "total", currency, where);
  const cancelled = portOneAmount(amount, "cancelled", currency, where);
  const method = isObject(payment.method) ? payment.method : undefined;
  return {
    status: paysyncStatus(text(payment, "status", where)),
    cancellable: Math.max(0, total - cancelled),
    refunded: cancelled,
    // "계좌 환불이 필요한 경우는 가상계좌 환불, 휴대폰 익월 환불 등" (CancelPaymentBody.refundAccount).
    needsRefundAccount: method?.type === "PaymentMethodVirtualAccount",
    ...openCancellation(payment, where),
  };
}

/** What PortOne's answer to a full cancel means. Transient ones never get here. */
export function portOneCancelAnswer(answer: HttpAnswer): CancelOutcome {
  const type = stringField(answer.json, "type");
  if (answer.status === 200) {
    const cancellation = object(
      object(answer.json, "cancel answer").cancellation,
      "cancel answer.cancellation",
    );
    const state = text(cancellation, "status", "cancel answer.cancellation");
    if (state === "SUCCEEDED") return { kind: "cancelled" };
    // Accepted, finished later (e.g. a bank refund): contracts §7 counts it as cancelled.
    if (state === "REQUESTED") return { kind: "requested" };
    const reason = typeof cancellation.reason === "string" ? `: ${cancellation.reason}` : "";
    return {
      kind: "rejected",
      code: `CANCELLATION_${state}`,
      message: `PortOne did not cancel${reason}`,
    };
  }
  if (answer.status === 409 && type === "PAYMENT_ALREADY_CANCELLED")
    return { kind: "already_cancelled" };
  return {
    kind: "rejected",
    code: type ?? `HTTP_${answer.status}`,
    message: describePortOneError(answer.json) || `cancel answered ${answer.status}`,
  };
}
