import { afterEach, describe, expect, it } from "vitest";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { openRunEnvironment, type RunEnvironment } from "../../local/run-environment.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";

/** The store is the shop's: paysync reads it, re-reads it before a refund, and never writes. */

let services: Services | undefined;
let environment: RunEnvironment | undefined;
afterEach(async () => {
  await environment?.close();
  await services?.close();
  environment = undefined;
  services = undefined;
});

const paidOrders = async (s: Services) =>
  (
    await s.postgres.db.query<{ id: string }>("SELECT id FROM orders WHERE is_paid ORDER BY id")
  ).rows.map((row) => Number(row.id));

describe("the store is only read, and the database enforces it", () => {
  it("a STORE_ORDERS_SQL that writes fails the run closed: no cancel, no row changed, and it says why", async () => {
    services = await startServices();
    const before = (await services.postgres.db.query("SELECT * FROM orders ORDER BY id")).rows;
    for (const sql of [
      "DELETE FROM orders WHERE id = ANY($1) RETURNING id, amount",
      "WITH gone AS (UPDATE orders SET is_paid = true WHERE id = ANY($1) RETURNING id, amount) SELECT id, amount FROM gone",
    ]) {
      environment = await openRunEnvironment(
        readEnvConfig({ ...services.env, STORE_ORDERS_SQL: sql }),
      );
      const report = await runSync(environment.sync, environment.ports);
      expect(report.status).toBe("FAILED");
      expect(report.errors[0]).toMatchObject({ stage: "store" });
      expect(report.errors[0]?.message).toMatch(/STORE_ORDERS_SQL tried to write/);
      expect(report.cancelled).toEqual([]);
      await environment.close();
      environment = undefined;
    }
    expect(effectiveCancels(services)).toEqual({});
    expect(services.simulator.cancelRequests()).toEqual([]);
    expect((await services.postgres.db.query("SELECT * FROM orders ORDER BY id")).rows).toEqual(
      before,
    );
  });

  it("the read-only transaction ends with each lookup: the next client of the one PGlite session can write", async () => {
    services = await startServices();
    environment = await openRunEnvironment(readEnvConfig(services.env));
    await environment.ports.orders.paidOrders(["1", "2"]);
    await services.postgres.db.query("UPDATE orders SET is_paid = true WHERE id = 2");
    expect(await paidOrders(services)).toContain(2);
  });
});

describe("a late callback between the window's lookup and the cancel", () => {
  it("leaves the payment whose order got paid meanwhile untouched at the gateway", async () => {
    services = await startServices();
    environment = await openRunEnvironment(readEnvConfig(services.env));
    const { ports, sync } = environment;
    const db = services.postgres.db;
    let lookups = 0;
    // The real store; after the window's one lookup, the shop's callback for order 2 lands.
    const orders = {
      paidOrders: async (ids: readonly string[]) => {
        const found = await ports.orders.paidOrders(ids);
        if (++lookups === 1) await db.query("UPDATE orders SET is_paid = true WHERE id = 2");
        return found;
      },
    };
    const report = await runSync({ ...sync, orderChunkSize: 500 }, { ...ports, orders });
    expect(report.status).toBe("SUCCEEDED");
    expect(lookups).toBe(2);
    expect(report.cancelled).toEqual(["PG14", "PG16", "PG19"]);
    expect(report.counts).toMatchObject({ orphans: 3, cancelled: 3, matched: 5 });
    expect(services.simulator.cancelRequests("PG12")).toEqual([]);
    expect(effectiveCancels(services)).toEqual({ PG14: 1, PG16: 1, PG19: 1 });
  });
});
