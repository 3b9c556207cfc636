import pg from "pg";
import type { PaidOrder } from "../core/model.ts";
import { type OrderStore, StoreError } from "../ports/order-store.ts";

/** Contracts §2: the default lookup, run once per chunk. */
export const DEFAULT_ORDERS_SQL =
  "SELECT id, amount FROM orders WHERE id = ANY($1) AND is_paid = true";

export interface PostgresOrderStoreOptions {
  readonly connectionString: string;
  readonly sql?: string;
  readonly queryTimeoutMs?: number;
}

export interface PostgresOrderStore extends OrderStore {
  close(): Promise<void>;
}

function toAmount(value: unknown, id: string): number {
  // int8 and numeric arrive as strings; anything that is not a whole number is refused
  // rather than rounded, since a rounded amount could hide a mismatch.
  const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new StoreError(`order ${id}: amount ${JSON.stringify(value)} is not a whole number`);
  }
  return n;
}

export function parseOrderRow(row: Record<string, unknown>): PaidOrder {
  const { id, amount, pg_uid } = row;
  if ((typeof id !== "string" && typeof id !== "number" && typeof id !== "bigint") || id === "") {
    throw new StoreError("the orders query must return an id column");
  }
  const orderId = String(id);
  const order = { id: orderId, amount: toAmount(amount, orderId) };
  if (pg_uid === undefined || pg_uid === null) return order;
  if (typeof pg_uid !== "string") throw new StoreError(`order ${orderId}: pg_uid must be text`);
  return { ...order, pgUid: pg_uid };
}

/**
 * The store's PostgreSQL, read through `pg`. One connection: enough for chunked lookups,
 * and the only safe setting against PGlite, which feeds every connection into one session.
 */
export function createPostgresOrderStore(options: PostgresOrderStoreOptions): PostgresOrderStore {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: 1,
    connectionTimeoutMillis: 10_000,
    query_timeout: options.queryTimeoutMs ?? 30_000,
  });
  // An idle client dying must not crash the process; the next query reconnects or fails.
  pool.on("error", () => {});
  const sql = options.sql ?? DEFAULT_ORDERS_SQL;

  return {
    async paidOrders(ids: readonly string[]): Promise<PaidOrder[]> {
      if (ids.length === 0) return [];
      let result: pg.QueryResult<Record<string, unknown>>;
      try {
        // Unnamed statement: named prepared statements collide on a shared PGlite session.
        result = await pool.query<Record<string, unknown>>(sql, [ids]);
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        throw new StoreError(`order lookup failed: ${message}`);
      }
      return result.rows.map(parseOrderRow);
    },
    close: () => pool.end(),
  };
}
