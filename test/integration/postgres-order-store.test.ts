import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPostgresOrderStore,
  type PostgresOrderStore,
  textArrayLiteral,
} from "../../lambda/adapters/postgres-order-store.ts";
import { StoreError } from "../../lambda/ports/order-store.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../local/embedded/postgres.ts";

const require = createRequire(import.meta.url);
const pgUtils = require("pg/lib/utils.js") as { prepareValue: (value: unknown) => unknown };

let postgres: EmbeddedPostgres;
const stores: PostgresOrderStore[] = [];
const storeWith = (sql?: string) => {
  const store = createPostgresOrderStore({
    connectionString: postgres.url,
    ...(sql === undefined ? {} : { sql }),
  });
  stores.push(store);
  return store;
};

beforeAll(async () => {
  postgres = await startEmbeddedPostgres([
    { id: 1, amount: 15000, is_paid: true },
    { id: 2, amount: 25000, is_paid: false },
    { id: 3, amount: 9900, is_paid: true, pg_uid: "PG3" },
  ]);
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await postgres.close();
});

describe("textArrayLiteral", () => {
  it("writes a string array exactly as pg does", () => {
    for (const ids of [
      [],
      ["1"],
      ["1", "22", "333"],
      ['a","b'],
      ["x\\", '"'],
      ['a"b', "c\\d", "e,f", "{g}", " h ", "", "NULL"],
    ]) {
      expect(textArrayLiteral(ids)).toBe(pgUtils.prepareValue(ids));
    }
  });
});

describe("the PostgreSQL order store: one pipelined lookup per chunk", () => {
  it("answers the paid orders, with pg_uid when the query returns it", async () => {
    const store = storeWith("SELECT id, amount, pg_uid FROM orders WHERE id = ANY($1) AND is_paid");
    expect(await store.paidOrders(["1", "2", "3", "4"])).toEqual([
      { id: "1", amount: 15000 },
      { id: "3", amount: 9900, pgUid: "PG3" },
    ]);
  });

  it("reads columns with pg's own parsers, whatever their type", async () => {
    const store = storeWith(
      "SELECT id::int4 AS id, amount::int4 AS amount FROM orders WHERE id = ANY($1::bigint[]) AND is_paid",
    );
    expect(await store.paidOrders(["1"])).toEqual([{ id: "1", amount: 15000 }]);
    const fractional = storeWith(
      "SELECT id, amount::numeric / 7 AS amount FROM orders WHERE id = ANY($1) AND is_paid",
    );
    await expect(fractional.paidOrders(["1"])).rejects.toThrow(/is not a whole number/);
  });

  it("reads each common column type as pg's own parser would, and refuses what is no whole amount", async () => {
    const rows = async (values: string) => {
      const store = createPostgresOrderStore({
        connectionString: postgres.url,
        sql: `SELECT * FROM (VALUES ${values}) AS t(id, amount) WHERE $1::text[] IS NOT NULL`,
      });
      try {
        return await store.paidOrders(["x"]);
      } finally {
        await store.close();
      }
    };
    expect(await rows("(7::int2, 15000::int2), (8::int2, (-5)::int2), (9::int2, 0::int2)")).toEqual(
      [
        { id: "7", amount: 15000 },
        { id: "8", amount: -5 },
        { id: "9", amount: 0 },
      ],
    );
    expect(await rows("(9007199254740991::int8, 9007199254740991::int8)")).toEqual([
      { id: "9007199254740991", amount: 9007199254740991 },
    ]);
    expect(await rows("('A-1'::varchar, 007::int4)")).toEqual([{ id: "A-1", amount: 7 }]);
    // bpchar keeps its padding, in pg's parser as here.
    expect(await rows("('B '::bpchar(3), 15000::numeric)")).toEqual([{ id: "B  ", amount: 15000 }]);
    expect(await rows("('C'::text, 15000::float8)")).toEqual([{ id: "C", amount: 15000 }]);
    expect(await rows("('D'::text, '15000'::text)")).toEqual([{ id: "D", amount: 15000 }]);
    for (const [amount, shown] of [
      ["9007199254740993::int8", "9007199254740993"],
      ["15000.00::numeric", "15000.00"],
      ["'-'::text", "-"],
    ] as const) {
      await expect(rows(`('1'::text, ${amount})`), amount).rejects.toThrow(
        `order 1: amount ${JSON.stringify(shown)} is not a whole number`,
      );
    }
  });

  it("refuses a row that is no paid order, names it, and serves the next lookup", async () => {
    // Stores of their own, closed at once: PGlite serves a few connections at a time.
    const withStore = async (sql: string, use: (store: PostgresOrderStore) => Promise<void>) => {
      const store = createPostgresOrderStore({ connectionString: postgres.url, sql });
      try {
        await use(store);
      } finally {
        await store.close();
      }
    };
    await withStore(
      "SELECT id, amount::numeric / 7 AS amount FROM orders WHERE id = ANY($1) AND is_paid",
      async (store) => {
        const error = await store.paidOrders(["1", "3"]).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toMatch(
          /^order 1: amount "2142\.\d+" is not a whole number$/,
        );
        expect(await store.paidOrders([])).toEqual([]);
      },
    );
    await withStore("SELECT amount FROM orders WHERE id = ANY($1) AND is_paid", async (store) => {
      await expect(store.paidOrders(["1"])).rejects.toThrow(/must return an id column/);
      expect(await store.paidOrders([])).toEqual([]);
    });
    // A column named twice counts by its last, as in the row object pg builds.
    await withStore(
      "SELECT id, 1 AS amount, amount FROM orders WHERE id = ANY($1) AND is_paid",
      async (store) => {
        expect(await store.paidOrders(["1"])).toEqual([{ id: "1", amount: 15000 }]);
      },
    );
  });

  it("a failing query is a StoreError, and the connection serves the next lookup", async () => {
    const store = storeWith("SELECT id, amount FROM orders WHERE id = ANY($1) AND 1 / 0 = 1");
    const error = await store.paidOrders(["1"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/order lookup failed: division by zero/);
    await postgres.db.query("UPDATE orders SET amount = 15000 WHERE id = 1");
    expect(await storeWith().paidOrders(["1"])).toEqual([{ id: "1", amount: 15000 }]);
  });

  it("a query with no $1 fails, as it always did", async () => {
    const store = storeWith("SELECT id, amount FROM orders WHERE is_paid");
    await expect(store.paidOrders(["1"])).rejects.toBeInstanceOf(StoreError);
    expect(await store.paidOrders([])).toEqual([]);
  });

  it("many lookups in a row on one connection, each in its own transaction", async () => {
    const store = storeWith();
    for (let i = 0; i < 20; i++) {
      expect(await store.paidOrders(["1", "2", "3"])).toHaveLength(2);
    }
    expect((await postgres.db.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });
});
