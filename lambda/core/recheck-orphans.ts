import type { OrderStore } from "../ports/order-store.ts";
import { judgeAccepted } from "./classify.ts";
import { lookupPaidOrders } from "./lookup-orders.ts";
import type { Finding, Payment } from "./model.ts";

export interface Recheck {
  /** Still without a paid order: these may be cancelled. */
  readonly orphans: Payment[];
  /** Paid meanwhile, for the same amount. */
  readonly matched: number;
  /** Paid meanwhile, for another amount: a finding each. */
  readonly mismatches: Finding[];
}

/**
 * The orphans' orders, read again right before the claims (design rule 3). A run reads its
 * window for seconds, and a success callback that lands meanwhile pays an order the first
 * lookup saw unpaid: such a payment is no orphan any more. The same `OrderStore` and
 * chunks as the window's lookup; any failure throws, and the run cancels nothing.
 *
 * An order paid meanwhile that names another payment as the one it accepted leaves this one
 * surplus, which the store's own word allows cancelling (rule 4): it stays an orphan.
 */
export async function recheckOrphans(
  store: OrderStore,
  orphans: readonly Payment[],
  chunkSize: number,
): Promise<Recheck> {
  const orders = await lookupPaidOrders(
    store,
    new Set(orphans.map((payment) => payment.storeOrderId)),
    chunkSize,
  );
  const still: Payment[] = [];
  const mismatches: Finding[] = [];
  let matched = 0;
  for (const payment of orphans) {
    const order = orders.get(payment.storeOrderId);
    if (order === undefined || (order.pgUid !== undefined && order.pgUid !== payment.pgUid)) {
      still.push(payment);
      continue;
    }
    const verdict = judgeAccepted(payment, order);
    if (verdict.kind === "matched") matched++;
    else mismatches.push(verdict.finding);
  }
  return { orphans: still, matched, mismatches };
}
