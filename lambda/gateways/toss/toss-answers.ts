import type { CancelOutcome } from "../../ports/gateway.ts";
import { currencyExponent, toMinorUnits } from "../../util/minor-units.ts";
import { errorCode, errorMessage, type HttpAnswer } from "../http/retrying-http.ts";
import { isObject, malformed } from "../json-shapes.ts";

/**
 * Toss gives amounts in major units: `726.24` for US dollars, `15000` for won. paysync
 * counts minor units, exactly; an amount that does not fit its currency is unreadable.
 */
export function fromTossAmount(value: unknown, currency: string, where: string): number {
  const minor = toMinorUnits(value, currency);
  if (typeof minor === "string") throw malformed(`${where}: ${minor}`);
  return minor;
}

/** Minor units back to the major-unit number Toss expects (`72624` USD → `726.24`). */
export function toTossAmount(minor: number, currency: string): number {
  const exponent = currencyExponent(currency) ?? 0;
  // An integer divided by a power of ten is the double nearest the decimal, which JSON then
  // prints as that decimal.
  return minor / 10 ** exponent;
}

/** "Already cancelled" in Toss's words (error-codes page): both mean nothing is left to refund. */
const ALREADY_CANCELLED = new Set(["ALREADY_CANCELED_PAYMENT", "ALREADY_REFUND_PAYMENT"]);

/**
 * Refusals about the customer's refund account: a deposited virtual-account payment is
 * refunded to a bank account (`refundReceiveAccount`), which paysync never has. The lookup
 * before the cancel normally keeps such a payment from being sent at all.
 */
const NEEDS_REFUND_ACCOUNT = new Set([
  "INVALID_REFUND_ACCOUNT_INFO",
  "INVALID_REFUND_ACCOUNT_NUMBER",
  "INVALID_BANK",
]);

/** Toss's final answer to a full cancel. Transient ones never get here (see the descriptor). */
export function tossCancelAnswer(answer: HttpAnswer, pgUid: string): CancelOutcome {
  const code = errorCode(answer.json);
  if (answer.status === 200) {
    // The answer is the Payment object: one for another payment is not ours to record.
    const key = isObject(answer.json) ? answer.json.paymentKey : undefined;
    if (key !== undefined && key !== pgUid)
      throw malformed(`cancel of ${pgUid} answered for ${String(key)}`);
    return { kind: "cancelled" };
  }
  if (code !== undefined && ALREADY_CANCELLED.has(code)) return { kind: "already_cancelled" };
  const message = errorMessage(answer.json) ?? `cancel answered ${answer.status}`;
  if (code !== undefined && NEEDS_REFUND_ACCOUNT.has(code)) {
    return {
      kind: "rejected",
      code,
      message: `${message} (a virtual-account refund needs the customer's bank account, Toss refundReceiveAccount; refund it by hand)`,
    };
  }
  return { kind: "rejected", code: code ?? `HTTP_${answer.status}`, message };
}
