import type { PaidOrder } from "../core/model.ts";

/** The store's database, read-only: which of these orders are paid, and for how much. */
export interface OrderStore {
  /** At most `ORDER_CHUNK_SIZE` ids per call; ids not returned have no paid order. */
  paidOrders(ids: readonly string[]): Promise<PaidOrder[]>;
}

export class StoreError extends Error {
  override readonly name = "StoreError";
}
