import type { PaymentState } from "../ports/gateway.ts";
import type { Payment } from "./model.ts";

/** What the lookup right before a cancel says to do with a claimed orphan. */
export type BeforeCancel =
  /** Send the cancel, telling the gateway the balance it must still hold. */
  | { readonly kind: "cancel"; readonly cancellable: number }
  | { readonly kind: "alreadyCancelled" }
  /** A cancellation is accepted and not finished: never a second request. */
  | { readonly kind: "requested" }
  /** No request: the ledger records it failed, and a person takes it from here. */
  | { readonly kind: "person"; readonly reason: string };

/**
 * The one rule for what the gateway's current state allows. The listing may be minutes or
 * hours old, so the state read right before moving money decides. Only a payment that is
 * still paid and was never refunded in any part is cancelled, and in full; anything else
 * is either already done or a person's call.
 *
 * Without a lookup (`state` undefined: the gateway has none, or does not know the payment),
 * the cancel itself decides: every gateway refuses to cancel what is not cancellable, and
 * the listed amount is the balance it must hold.
 */
export function decideBeforeCancel(
  payment: Payment,
  state: PaymentState | undefined,
): BeforeCancel {
  if (state === undefined) return { kind: "cancel", cancellable: payment.amount };
  if (state.status === "cancelled") return { kind: "alreadyCancelled" };
  if (state.cancellation === "requested") return { kind: "requested" };
  if (state.cancellation === "failed") {
    return {
      kind: "person",
      reason: `an earlier cancellation failed at the gateway${state.cancellationDetail ? `: ${state.cancellationDetail}` : ""}; check the payment there before refunding it`,
    };
  }
  if (state.status !== "paid" || state.refunded > 0) {
    return {
      kind: "person",
      reason:
        state.refunded > 0
          ? `partly refunded already (${state.refunded} of ${state.refunded + state.cancellable} ${payment.currency}); a person decides what is left`
          : `the payment is ${state.status} at the gateway, not paid`,
    };
  }
  if (state.needsRefundAccount) {
    return {
      kind: "person",
      reason:
        "virtual-account payment: its refund needs the customer's bank account (Toss refundReceiveAccount), which paysync does not have; refund it by hand",
    };
  }
  if (!(state.cancellable > 0)) {
    return { kind: "person", reason: "the gateway reports nothing left to refund" };
  }
  return { kind: "cancel", cancellable: state.cancellable };
}
