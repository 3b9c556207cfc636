/**
 * The seed write-up's data, the one source for the simulator, the embedded store and the
 * tests: nine payments on three pages, and the store's orders. Orders 2, 4, 6 and 9 exist
 * but were never marked paid (the callback was lost), and order 3 was paid for 25000 while
 * the gateway charged 15000.
 */
export const SEED_PAYMENTS = [
  { pg_uid: "PG11", store_order_id: 1, amount: 15000 },
  { pg_uid: "PG12", store_order_id: 2, amount: 15000 },
  { pg_uid: "PG13", store_order_id: 3, amount: 15000 },
  { pg_uid: "PG14", store_order_id: 4, amount: 20000 },
  { pg_uid: "PG15", store_order_id: 5, amount: 20000 },
  { pg_uid: "PG16", store_order_id: 6, amount: 20000 },
  { pg_uid: "PG17", store_order_id: 7, amount: 25000 },
  { pg_uid: "PG18", store_order_id: 8, amount: 25000 },
  { pg_uid: "PG19", store_order_id: 9, amount: 25000 },
] as const;

export const SEED_ORDERS = [
  { id: 1, amount: 15000, is_paid: true },
  { id: 2, amount: 15000, is_paid: false },
  { id: 3, amount: 25000, is_paid: true },
  { id: 4, amount: 20000, is_paid: false },
  { id: 5, amount: 20000, is_paid: true },
  { id: 6, amount: 20000, is_paid: false },
  { id: 7, amount: 25000, is_paid: true },
  { id: 8, amount: 25000, is_paid: true },
  { id: 9, amount: 25000, is_paid: false },
] as const;

/** The seed's page size: three pages of three. */
export const SEED_PAGE_SIZE = 3;

/** What the first run over the seed must do. */
export const SEED_EXPECTED = {
  cancelled: ["PG12", "PG14", "PG16", "PG19"],
  mismatch: { pgUid: "PG13", storeOrderId: "3", pgAmount: 15000, orderAmount: 25000 },
} as const;

/**
 * When each seed payment was made: 100 minutes ago, then every 5 minutes, so all nine sit
 * inside the default window `[now - 2 h, now - 30 min)`.
 */
export function seedPaidAt(index: number, now: number): number {
  return now - 100 * 60_000 + index * 5 * 60_000;
}
