import { createServer } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface StoreOrderRow {
  readonly id: number;
  readonly amount: number;
  readonly is_paid: boolean;
  readonly pg_uid?: string | null;
}

export interface EmbeddedPostgres {
  /** A `postgres://` URL on loopback, for the real `pg` driver. */
  readonly url: string;
  /** Direct access, for tests that change the store between runs. */
  readonly db: PGlite;
  close(): Promise<void>;
}

const SCHEMA = `
  CREATE TABLE orders (
    id bigint PRIMARY KEY,
    amount bigint NOT NULL,
    is_paid boolean NOT NULL DEFAULT false,
    pg_uid text
  )`;

/** pglite-socket wants a concrete port; ask the OS for a free one on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The store's PostgreSQL, embedded: PGlite in memory, served over the PostgreSQL wire
 * protocol on loopback so paysync talks to it through the same `pg` driver and SQL as in
 * production.
 */
export async function startEmbeddedPostgres(
  orders: readonly StoreOrderRow[],
): Promise<EmbeddedPostgres> {
  const db = await PGlite.create();
  await db.exec(SCHEMA);
  for (const order of orders) {
    await db.query("INSERT INTO orders (id, amount, is_paid, pg_uid) VALUES ($1, $2, $3, $4)", [
      order.id,
      order.amount,
      order.is_paid,
      order.pg_uid ?? null,
    ]);
  }
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 8 });
  await server.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    db,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
