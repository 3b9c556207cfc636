import { describe, expect, it } from "vitest";
import { decideBeforeCancel } from "../../lambda/core/decide-cancel.ts";
import type { Payment } from "../../lambda/core/model.ts";
import type { PaymentState } from "../../lambda/ports/gateway.ts";

const payment: Payment = {
  pgUid: "PG1",
  storeOrderId: "1",
  amount: 10000,
  currency: "KRW",
  status: "paid",
  paidAt: 0,
};
const state = (over: Partial<PaymentState> = {}): PaymentState => ({
  status: "paid",
  cancellable: 10000,
  refunded: 0,
  ...over,
});

describe("decideBeforeCancel", () => {
  it("cancels a paid, never refunded payment in full, with the gateway's balance", () => {
    expect(decideBeforeCancel(payment, state())).toEqual({ kind: "cancel", cancellable: 10000 });
    expect(decideBeforeCancel(payment, state({ cancellable: 11000 }))).toEqual({
      kind: "cancel",
      cancellable: 11000,
    });
  });

  it("without a lookup, lets the cancel decide, guarded by the listed amount", () => {
    expect(decideBeforeCancel(payment, undefined)).toEqual({ kind: "cancel", cancellable: 10000 });
  });

  it("takes a cancelled payment as done and a requested cancellation as under way", () => {
    expect(decideBeforeCancel(payment, state({ status: "cancelled" })).kind).toBe(
      "alreadyCancelled",
    );
    expect(decideBeforeCancel(payment, state({ cancellation: "requested" })).kind).toBe(
      "requested",
    );
  });

  it("hands everything else to a person: partly refunded, not paid, failed cancellation, virtual account, nothing left", () => {
    const person = (s: PaymentState) => {
      const decision = decideBeforeCancel(payment, s);
      expect(decision.kind).toBe("person");
      return decision.kind === "person" ? decision.reason : "";
    };
    expect(person(state({ refunded: 3000, cancellable: 7000 }))).toMatch(/partly refunded/);
    expect(person(state({ status: "partial_cancelled", refunded: 3000 }))).toMatch(/partly/);
    expect(person(state({ status: "waiting_for_deposit" }))).toMatch(/waiting_for_deposit/);
    expect(person(state({ cancellation: "failed", cancellationDetail: "bank" }))).toMatch(/bank/);
    expect(person(state({ needsRefundAccount: true }))).toMatch(/refundReceiveAccount/);
    expect(person(state({ cancellable: 0 }))).toMatch(/nothing left/);
  });
});
