import type { Payment } from "../../lambda/core/model.ts";
import { SEED_ORDERS, SEED_PAYMENTS, seedPaidAt } from "../../local/seed-data.ts";

export const NOW = Date.parse("2026-11-24T12:00:00.000Z");

export function payment(
  pgUid: string,
  storeOrderId: string | number,
  amount: number,
  extra: Partial<Payment> = {},
): Payment {
  return {
    pgUid,
    storeOrderId: String(storeOrderId),
    amount,
    currency: "KRW",
    status: "paid",
    paidAt: NOW - 60 * 60_000,
    ...extra,
  };
}

/** The seed's nine payments as the core sees them, inside the default window at `now`. */
export function seedPayments(now: number = NOW): Payment[] {
  return SEED_PAYMENTS.map((p, i) =>
    payment(p.pg_uid, p.store_order_id, p.amount, { paidAt: seedPaidAt(i, now) }),
  );
}

export interface TestOrder {
  readonly id: string;
  readonly amount: number;
  readonly pgUid?: string;
  /** `false` for an order that exists but is not paid; the store never returns it. */
  readonly paid?: boolean;
}

export function seedOrders(): TestOrder[] {
  return SEED_ORDERS.map((o) => ({ id: String(o.id), amount: o.amount, paid: o.is_paid }));
}
