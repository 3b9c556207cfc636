import type { Finding, PaidOrder, Payment } from "./model.ts";

/** What the job thinks of one paid, judgeable payment once its order is known. */
export type Verdict =
  | { readonly kind: "matched"; readonly payment: Payment }
  | { readonly kind: "orphan"; readonly payment: Payment }
  | { readonly kind: "mismatch"; readonly payment: Payment; readonly finding: Finding }
  | { readonly kind: "duplicate"; readonly payment: Payment; readonly finding: Finding };

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

function judgeAccepted(payment: Payment, order: PaidOrder): Verdict {
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

/**
 * Judges every paid payment of one order.
 *
 * - No paid order: every payment is an orphan; the customer paid for nothing.
 * - The store names the payment it accepted: that one is judged on its amount, the others
 *   are orphans, since the store itself says they were never used.
 * - Otherwise, several payments are ambiguous: the earliest by (paid_at, pg_uid) is presumed
 *   accepted and each other one is a finding for a person, never a cancellation.
 */
export function judgeOrder(order: PaidOrder | undefined, payments: readonly Payment[]): Verdict[] {
  if (order === undefined) return payments.map((payment) => ({ kind: "orphan", payment }));
  if (order.pgUid !== undefined) {
    const accepted = order.pgUid;
    return payments.map((payment) =>
      payment.pgUid === accepted ? judgeAccepted(payment, order) : { kind: "orphan", payment },
    );
  }
  const [first, ...surplus] = [...payments].sort(byPaidAtThenUid);
  if (first === undefined) return [];
  const all = [first, ...surplus].map((p) => p.pgUid);
  return [
    judgeAccepted(first, order),
    ...surplus.map(
      (payment): Verdict => ({
        kind: "duplicate",
        payment,
        finding: {
          kind: "DUPLICATE_PAYMENT",
          pgUid: payment.pgUid,
          storeOrderId: payment.storeOrderId,
          pgAmount: payment.amount,
          orderAmount: order.amount,
          otherPgUids: all.filter((uid) => uid !== payment.pgUid),
          reason: `order ${order.id} has ${all.length} paid payments; ${first.pgUid} is presumed accepted`,
        },
      }),
    ),
  ];
}

/**
 * Keeps one payment per pg_uid. Pages of a closed window should not disagree, but if they
 * do, a non-`paid` sighting wins: doubt must never turn into a refund.
 */
export function mergeSighting(previous: Payment | undefined, next: Payment): Payment {
  if (previous === undefined) return next;
  return previous.status === "paid" && next.status !== "paid" ? next : previous;
}
