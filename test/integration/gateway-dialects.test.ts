import { afterEach, describe, expect, it } from "vitest";
import { createLedgerOperator } from "../../lambda/adapters/ledger-operator.ts";
import { createDocumentClient } from "../../lambda/adapters/ledger-table.ts";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import type { StoreOrderRow } from "../../local/embedded/postgres.ts";
import { openRunEnvironment, type RunEnvironment } from "../../local/run-environment.ts";
import type { PgSimulatorOptions, SimPayment } from "../../local/simulator/pg-simulator.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";

/**
 * The real Toss and PortOne adapters, through the core, against the simulator speaking each
 * vendor's documented shapes, over the real store and ledger: the cases a shop meets on its
 * first day.
 */

let services: Services | undefined;
let environment: RunEnvironment | undefined;
const closers: (() => void)[] = [];
afterEach(async () => {
  await environment?.close();
  await services?.close();
  for (const close of closers.splice(0)) close();
  environment = undefined;
  services = undefined;
});

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

const pay = (n: number, extra: Partial<SimPayment> = {}): SimPayment => ({
  pg_uid: `P${n}`,
  store_order_id: n,
  amount: 15000,
  currency: "KRW",
  status: "paid",
  paid_at: minutesAgo(100 - n),
  ...extra,
});

async function start(
  dialect: "toss" | "portone",
  payments: SimPayment[],
  orders: StoreOrderRow[],
  options: { simulator?: Partial<PgSimulatorOptions>; env?: Record<string, string> } = {},
) {
  services = await startServices({
    dialect,
    orders,
    simulator: { payments, defaultPerPage: 100, ...options.simulator },
  });
  // Guard off: these windows are small and mostly orphans on purpose.
  const env = { ...services.env, MAX_ORPHAN_RATIO: "1", ...options.env };
  environment = await openRunEnvironment(readEnvConfig(env));
  const { client, doc } = createDocumentClient({ endpoint: services.dynalite.endpoint });
  closers.push(() => client.destroy());
  const operator = createLedgerOperator({ client: doc, tableName: env.LEDGER_TABLE });
  return { services, operator, run: () => runSync(environmentOf().sync, environmentOf().ports) };
}

function environmentOf(): RunEnvironment {
  if (environment === undefined) throw new Error("no environment");
  return environment;
}

describe("Toss, as its reference describes it", () => {
  it("cancels card and dollar orphans once, reads every row kind, and hands a deposited virtual account to a person", async () => {
    const payments = [
      pay(1),
      pay(2, { currency: "USD", amount: 72624 }),
      pay(3, { currency: "USD", amount: 72624 }),
      pay(4, { method: "virtual_account", requested_at: minutesAgo(3 * 24 * 60) }),
      pay(5, { method: "virtual_account", status: "waiting_for_deposit", amount: 15000 }),
      pay(6, { status: "aborted" }),
      pay(7, { status: "expired", method: "virtual_account" }),
      pay(8, { status: "partial_cancelled", cancelled_amount: 5000 }),
      pay(9, { method: "virtual_account", status: "cancelled", cancelled_amount: 0 }),
    ];
    const {
      services: s,
      operator,
      run,
    } = await start("toss", payments, [{ id: 3, amount: 72624, is_paid: true }]);
    const report = await run();
    expect(report.status).toBe("SUCCEEDED");
    expect(report.cancelled).toEqual(["P1", "P2"]);
    expect(effectiveCancels(s)).toEqual({ P1: 1, P2: 1 });
    expect(report.counts).toMatchObject({ matched: 1, orphans: 3, cancelled: 2, cancelFailed: 1 });
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        kind: "CANCEL_FAILED",
        pgUid: "P4",
        reason: expect.stringContaining("refundReceiveAccount"),
      }),
    );
    expect(s.simulator.cancelRequests("P4")).toEqual([]);
    expect((await operator.payment("P4")).state).toBe("FAILED");
    // The next run sends nothing more, and raises the finding no second time.
    const again = await run();
    expect(again.cancelled).toEqual([]);
    expect(s.simulator.cancelRequests()).toHaveLength(2);
    expect((await operator.findings()).map((f) => f.pgUid)).toEqual(["P4"]);
  });

  it("a second cancel within 1 s answers 403 FORBIDDEN_CONSECUTIVE_REQUEST: the same key again, a second later, one refund", async () => {
    const { services: s, run } = await start("toss", [pay(1)], [], {
      simulator: {
        faults: {
          script: [{ match: { method: "POST", pgUid: "P1" }, action: "drop-after", times: 1 }],
        },
      },
    });
    const report = await run();
    expect(report.cancelled).toEqual(["P1"]);
    expect(effectiveCancels(s)).toEqual({ P1: 1 });
    const posts = s.simulator.cancelRequests("P1");
    expect(posts.map((r) => r.errorCode ?? r.status)).toContain("FORBIDDEN_CONSECUTIVE_REQUEST");
    expect(new Set(posts.map((r) => r.headers.idempotencyKey)).size).toBe(1);
    const refused = posts.findIndex((r) => r.errorCode === "FORBIDDEN_CONSECUTIVE_REQUEST");
    expect((posts[refused + 1]?.at ?? 0) - (posts[refused]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  }, 30_000);

  it("a wrong secret key fails the run naming PG_API_KEY, before anything is cancelled", async () => {
    const { services: s, run } = await start("toss", [pay(1)], [], {
      env: { PG_API_KEY: "test_sk_wrong" },
    });
    const report = await run();
    expect(report.status).toBe("FAILED");
    expect(report.errors[0]?.message).toMatch(/PG_API_KEY/);
    expect(s.simulator.cancelRequests()).toEqual([]);
  });
});

describe("PortOne V2, as its schema describes it", () => {
  it("lists by paid time, cancels a discounted payment for its undiscounted balance, and hands a virtual account to a person", async () => {
    const payments = [
      pay(1, { discount: 1000 }),
      pay(2, { requested_at: minutesAgo(3 * 24 * 60) }),
      pay(3, { method: "virtual_account", requested_at: minutesAgo(2 * 24 * 60) }),
      pay(4),
    ];
    const {
      services: s,
      operator,
      run,
    } = await start("portone", payments, [{ id: 4, amount: 15000, is_paid: true }]);
    const report = await run();
    expect(report.status).toBe("SUCCEEDED");
    // P2 was created three days ago and paid inside the window: it is judged with it.
    expect(report.cancelled).toEqual(["P1", "P2"]);
    expect(effectiveCancels(s)).toEqual({ P1: 1, P2: 1 });
    expect(report.counts).toMatchObject({ scanned: 4, matched: 1, cancelFailed: 1 });
    expect(s.simulator.cancelRequests("P3")).toEqual([]);
    expect((await operator.payment("P3")).state).toBe("FAILED");
    const listing = s.simulator.requests.find((r) => r.path === "/payments");
    const body = JSON.parse(listing?.query.requestBody ?? "{}") as {
      filter: Record<string, unknown>;
    };
    expect(body.filter).toMatchObject({
      timestampType: "STATUS_CHANGED_AT",
      sortBy: "STATUS_CHANGED_AT",
      sortOrder: "ASC",
      status: ["PAID"],
    });
  });

  it("PORTONE_STORE_ID goes with the listing, the lookup and the cancel", async () => {
    const { services: s, run } = await start("portone", [pay(1)], [], {
      simulator: { storeId: "store-a" },
      env: { PORTONE_STORE_ID: "store-a" },
    });
    const report = await run();
    expect(report.cancelled).toEqual(["P1"]);
    const lookup = s.simulator.requests.find(
      (r) => r.method === "GET" && r.path === "/payments/P1",
    );
    expect(lookup?.query.storeId).toBe("store-a");
    await environment?.close();
    await services?.close();

    const other = await start("portone", [pay(1)], [], {
      simulator: { storeId: "store-a" },
      env: { PORTONE_STORE_ID: "store-b" },
    });
    const none = await other.run();
    expect(none.counts.scanned).toBe(0);
    expect(other.services.simulator.cancelRequests()).toEqual([]);
  });

  it("a REQUESTED cancellation counts as cancelled, is never sent again, and a later run closes it", async () => {
    const {
      services: s,
      operator,
      run,
    } = await start(
      "portone",
      [pay(1, { cancel_flow: "requested" }), pay(2, { cancel_flow: "requested_then_failed" })],
      [],
      { simulator: { requestedFinishMs: 3_600_000 } },
    );
    const first = await run();
    expect(first.cancelled).toEqual(["P1", "P2"]);
    expect(first.counts.cancelled).toBe(2);
    expect((await operator.payment("P1")).state).toBe("REQUESTED");
    expect(effectiveCancels(s)).toEqual({});

    const meanwhile = await run();
    expect(meanwhile.cancelled).toEqual([]);
    expect(s.simulator.cancelRequests()).toHaveLength(2);

    expect(s.simulator.finishRequestedCancellations()).toBe(2);
    const later = await run();
    expect((await operator.payment("P1")).state).toBe("CANCELLED");
    expect((await operator.payment("P2")).state).toBe("FAILED");
    expect(later.findings).toContainEqual(
      expect.objectContaining({ kind: "CANCEL_FAILED", pgUid: "P2" }),
    );
    expect(effectiveCancels(s)).toEqual({ P1: 1 });
    expect(s.simulator.cancelRequests()).toHaveLength(2);
  });
});
