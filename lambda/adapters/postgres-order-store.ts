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

/** The value of a decimal integer's text (`-?[0-9]+`), or NaN for any other text. */
function decimalInteger(text: string): number {
  const negative = text.charCodeAt(0) === 45; /* - */
  const start = negative ? 1 : 0;
  if (text.length === start) return Number.NaN;
  let n = 0;
  for (let i = start; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

function toAmount(value: unknown, id: string): number {
  // int8 and numeric arrive as strings; anything that is not a whole number is refused
  // rather than rounded, since a rounded amount could hide a mismatch. Past 2^53 the digits
  // read above are inexact, and the safe-integer check below refuses them.
  const n = typeof value === "string" ? decimalInteger(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new StoreError(`order ${id}: amount ${JSON.stringify(value)} is not a whole number`);
  }
  return n;
}

/** PostgreSQL's SQLSTATE for a write inside a READ ONLY transaction. */
const READ_ONLY_SQL_TRANSACTION = "25006";

const messageOf = (cause: unknown): string =>
  cause instanceof Error ? cause.message : String(cause);

const sqlState = (cause: unknown): unknown =>
  typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined;

/** One row's columns, as `pg`'s type parsers read them, checked into a paid order. */
function orderOf(id: unknown, amount: unknown, pg_uid: unknown): PaidOrder {
  if ((typeof id !== "string" && typeof id !== "number" && typeof id !== "bigint") || id === "") {
    throw new StoreError("the orders query must return an id column");
  }
  const orderId = String(id);
  const order = { id: orderId, amount: toAmount(amount, orderId) };
  if (pg_uid === undefined || pg_uid === null) return order;
  if (typeof pg_uid !== "string") throw new StoreError(`order ${orderId}: pg_uid must be text`);
  return { ...order, pgUid: pg_uid };
}

/** A text[] literal, as `pg` writes a string array parameter. */
export function textArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return "{}";
  // Order ids seldom hold a quote or a backslash: then each is only wrapped in quotes.
  if (!/["\\]/.test(values.join(""))) return `{"${values.join('","')}"}`;
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) literal += ",";
    literal += `"${(values[i] as string).replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
  }
  return `${literal}}`;
}

type CopyConnection = pg.Connection & { sendCopyFail?: (message: string) => void };

/**
 * One lookup inside its own read-only transaction, sent as one pipeline: BEGIN READ ONLY,
 * the query, COMMIT and a single Sync, in one write and one round trip instead of three of
 * each. The database skips everything after a failed step until the Sync, so the query
 * never runs outside the read-only transaction; the caller rolls back after any failure.
 * Each row's columns are read with `pg`'s own type parsers, as `client.query` would return
 * them (a column named twice counts by its last, as in the row object `pg` would build), and
 * go straight into a paid order: at a million payments, one object a row rather than three.
 */
class ReadOnlyLookup implements pg.Submittable {
  /** Called once: with the orders at ReadyForQuery, or with the first error. */
  callback: (error: Error | undefined, orders: PaidOrder[]) => void = () => {};
  #columns: {
    id: Column | undefined;
    amount: Column | undefined;
    pgUid: Column | undefined;
  } = { id: undefined, amount: undefined, pgUid: undefined };
  #orders: PaidOrder[] = [];
  /** A row that is no paid order: kept for ReadyForQuery, since a throw here would land in `pg`. */
  #refused: StoreError | undefined;
  #answered = false;

  constructor(
    private readonly sql: string,
    private readonly ids: readonly string[],
  ) {}

  submit(connection: pg.Connection): void {
    connection.stream.cork();
    try {
      this.#step(connection, "BEGIN READ ONLY");
      connection.parse({ name: "", text: this.sql, types: [] }, true);
      connection.bind({ values: [textArrayLiteral(this.ids)] }, true);
      connection.describe({ type: "P" }, true);
      connection.execute({}, true);
      this.#step(connection, "COMMIT");
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
  }

  #step(connection: pg.Connection, text: string): void {
    connection.parse({ name: "", text, types: [] }, true);
    connection.bind({}, true);
    connection.execute({}, true);
  }

  handleRowDescription(message: { fields: pg.FieldDef[] }): void {
    const column = (name: string): Column | undefined => {
      const index = message.fields.findLastIndex((field) => field.name === name);
      const field = message.fields[index];
      return field === undefined
        ? undefined
        : {
            index,
            parse: TEXT_AS_IS.has(field.dataTypeID)
              ? undefined
              : pg.types.getTypeParser(field.dataTypeID, "text"),
          };
    };
    this.#columns = { id: column("id"), amount: column("amount"), pgUid: column("pg_uid") };
    this.#orders = [];
  }

  handleDataRow(message: { fields: (string | null)[] }): void {
    if (this.#refused !== undefined) return;
    const { id, amount, pgUid } = this.#columns;
    try {
      this.#orders.push(
        orderOf(
          read(id, message.fields),
          read(amount, message.fields),
          read(pgUid, message.fields),
        ),
      );
    } catch (error) {
      this.#refused =
        error instanceof StoreError ? error : new StoreError(`unreadable order row: ${error}`);
    }
  }

  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  handleCopyInResponse(connection: CopyConnection): void {
    connection.sendCopyFail?.("paysync sends no COPY data");
  }

  handleError(error: Error): void {
    this.#answer(error, []);
  }

  handleReadyForQuery(): void {
    this.#answer(this.#refused, this.#orders);
  }

  #answer(error: Error | undefined, orders: PaidOrder[]): void {
    if (this.#answered) return;
    this.#answered = true;
    this.callback(error, orders);
  }
}

interface Column {
  readonly index: number;
  /** Undefined where `pg`'s parser would give the text itself, or its number for an int2/4. */
  readonly parse: ((text: string) => unknown) | undefined;
}

/**
 * Types whose text is kept as it comes: text, varchar, bpchar and int8, which `pg` returns as
 * the text itself, and int2 and int4, which it parses to a number that orderOf turns straight
 * back into the same text (an id) or checks as this text would be checked (an amount). At a
 * million rows, `pg`'s parsers were a call and a regex test per column.
 */
const TEXT_AS_IS = new Set([
  20 /* int8 */, 21 /* int2 */, 23 /* int4 */, 25 /* text */, 1042 /* bpchar */, 1043 /* varchar */,
]);

/** A column's value in a row, as `pg` would give it; undefined for a column not returned. */
function read(column: Column | undefined, fields: readonly (string | null)[]): unknown {
  if (column === undefined) return undefined;
  const text = fields[column.index];
  if (text === null || text === undefined) return null;
  return column.parse === undefined ? text : column.parse(text);
}

function lookUp(client: pg.PoolClient, sql: string, ids: readonly string[]): Promise<PaidOrder[]> {
  return new Promise<PaidOrder[]>((resolve, reject) => {
    const lookup = new ReadOnlyLookup(sql, ids);
    // Set before the query is queued: `pg` wraps it with the query timeout.
    lookup.callback = (error, orders) => (error === undefined ? resolve(orders) : reject(error));
    client.query(lookup);
  });
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
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (cause) {
        throw new StoreError(`order lookup failed: ${messageOf(cause)}`);
      }
      let broken: Error | undefined;
      try {
        // Each lookup in a transaction of its own that the database holds read-only, so a
        // STORE_ORDERS_SQL that writes fails instead of changing the store. Not a session
        // setting: PGlite serves every client from one session, and it would leak to them.
        // Unnamed statements: named prepared statements collide on a shared PGlite session.
        return await lookUp(client, sql, ids);
      } catch (cause) {
        await client.query("ROLLBACK").catch((error: unknown) => {
          broken = error instanceof Error ? error : new Error(String(error));
        });
        if (cause instanceof StoreError) throw cause;
        if (sqlState(cause) === READ_ONLY_SQL_TRANSACTION) {
          throw new StoreError(
            `STORE_ORDERS_SQL tried to write, and paysync only reads the store (the lookup runs in a read-only transaction): ${messageOf(cause)}`,
          );
        }
        throw new StoreError(`order lookup failed: ${messageOf(cause)}`);
      } finally {
        // A connection that could not even roll back is dropped, not reused.
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
