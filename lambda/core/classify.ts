import type { Finding, PaidOrder, Payment } from "./model.ts";

/** What the job thinks of the payment an order accepted. */
export type Verdict =
  | { readonly kind: "matched"; readonly payment: Payment }
  | { readonly kind: "mismatch"; readonly payment: Payment; readonly finding: Finding };

/** Where a payment stands before the store is asked. */
export type Triage = "judge" | "inGrace" | "ignored";

/**
 * Only `paid` payments older than the grace period are judged: anything else is either not
 * money we hold (`ignored`) or money whose confirmation may still be on its way (`inGrace`).
 */
export function triage(payment: Payment, graceStart: number): Triage {
  if (payment.status !== "paid") return "ignored";
  return payment.paidAt >= graceStart ? "inGrace" : "judge";
}

/** The gateway's own order: reports and cancels follow it whatever order pages arrived in. */
export const byPaidAtThenUid = (a: Payment, b: Payment): number =>
  a.paidAt - b.paidAt || (a.pgUid < b.pgUid ? -1 : a.pgUid > b.pgUid ? 1 : 0);

/** The verdict on the payment an order accepted: matched, unless the amounts differ. */
export function judgeAccepted(payment: Payment, order: PaidOrder): Verdict {
  if (payment.amount === order.amount) return { kind: "matched", payment };
  return {
    kind: "mismatch",
    payment,
    finding: {
      kind: "AMOUNT_MISMATCH",
      pgUid: payment.pgUid,
      storeOrderId: payment.storeOrderId,
      pgAmount: payment.amount,
      orderAmount: order.amount,
      reason: `the gateway charged ${payment.amount} but order ${order.id} is for ${order.amount}`,
    },
  };
}
