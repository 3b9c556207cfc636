import { fx } from "@fxts/core";
import type { OrderStore } from "../ports/order-store.ts";
import { StoreError } from "../ports/order-store.ts";
import type { PaidOrder } from "./model.ts";

/**
 * Paid orders for these ids, looked up `chunkSize` ids at a time, into a hash map so the
 * join is O(1) per payment (never `orders.some`). Chunks run one after another: parallelism
 * belongs to the gateway side, and any failed chunk fails the whole lookup.
 */
export async function lookupPaidOrders(
  store: OrderStore,
  ids: Iterable<string>,
  chunkSize: number,
): Promise<Map<string, PaidOrder>> {
  const byId = new Map<string, PaidOrder>();
  // The judge asks for one chunk at a time: that needs no chunking, which costs fx's
  // generators a step per id.
  const chunks =
    ids instanceof Set && ids.size <= chunkSize
      ? ids.size === 0
        ? []
        : [[...ids]]
      : fx(ids).chunk(chunkSize);
  await fx(chunks)
    .toAsync()
    .map((chunk) =>
      store.paidOrders(chunk).catch((error: unknown) => {
        throw error instanceof StoreError
          ? error
          : new StoreError(
              `order lookup failed: ${error instanceof Error ? error.message : String(error)}`,
            );
      }),
    )
    .each((orders) => {
      for (const order of orders) {
        const seen = byId.get(order.id);
        // Two rows that disagree about one order make every verdict on it a guess.
        if (seen && (seen.amount !== order.amount || seen.pgUid !== order.pgUid)) {
          throw new StoreError(`the store returned conflicting rows for order ${order.id}`);
        }
        byId.set(order.id, order);
      }
    });
  return byId;
}
