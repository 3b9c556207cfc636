import { describe, expect, it } from "vitest";
import { defaultSyncConfig, type SyncConfig } from "../../lambda/core/config.ts";
import { cancelIdempotencyKey } from "../../lambda/core/idempotency-key.ts";
import type { Payment } from "../../lambda/core/model.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import type { PaysyncEvent } from "../../lambda/ports/events.ts";
import { GatewayError } from "../../lambda/ports/gateway.ts";
import { MemoryGateway, MemoryLedger, MemoryOrderStore } from "../support/memory-ports.ts";
import { NOW, payment, seedOrders, seedPayments } from "../support/payments.ts";

const config = (overrides: Partial<SyncConfig> = {}): SyncConfig => ({
  ...defaultSyncConfig,
  pageSize: 3,
  ...overrides,
});

function setup(payments: Payment[] = seedPayments(), orders = seedOrders()) {
  const gateway = new MemoryGateway(payments);
  const store = new MemoryOrderStore(orders);
  const ledger = new MemoryLedger();
  let clock = NOW;
  let n = 0;
  const ports = { gateway, orders: store, ledger, now: () => clock, newRunId: () => `run-${++n}` };
  return { gateway, store, ledger, ports, advance: (ms: number) => (clock += ms) };
}

describe("runSync over the seed", () => {
  it("cancels exactly the orphans and flags the mismatch", async () => {
    const { ports, gateway } = setup();
    const report = await runSync(config(), ports);
    expect(report.status).toBe("SUCCEEDED");
    expect(report.cancelled).toEqual(["PG12", "PG14", "PG16", "PG19"]);
    expect(report.counts).toEqual({
      scanned: 9,
      matched: 4,
      orphans: 4,
      cancelled: 4,
      alreadyCancelled: 0,
      cancelFailed: 0,
      mismatches: 1,
      duplicates: 0,
      inGrace: 0,
      ignored: 0,
    });
    expect(report.findings).toEqual([
      expect.objectContaining({
        kind: "AMOUNT_MISMATCH",
        pgUid: "PG13",
        storeOrderId: "3",
        pgAmount: 15000,
        orderAmount: 25000,
      }),
    ]);
    expect(gateway.cancelCalls.map((c) => [c.pgUid, c.idempotencyKey])).toEqual(
      ["PG12", "PG14", "PG16", "PG19"].map((uid) => [uid, cancelIdempotencyKey(uid)]),
    );
    expect(report.window).toEqual({
      from: new Date(NOW - 7200_000).toISOString(),
      to: new Date(NOW - 1800_000).toISOString(),
    });
  });

  it("cancels nothing on the second run", async () => {
    const { ports, gateway } = setup();
    await runSync(config(), ports);
    const second = await runSync(config(), ports);
    expect(second.status).toBe("SUCCEEDED");
    expect(second.cancelled).toEqual([]);
    expect(second.counts.ignored).toBe(4);
    expect(gateway.cancelCalls).toHaveLength(4);
  });

  it("reads the same window without a page count, one page after another", async () => {
    const { ports, gateway } = setup();
    gateway.countable = false;
    const report = await runSync(config(), ports);
    expect(report.cancelled).toEqual(["PG12", "PG14", "PG16", "PG19"]);
    // 9 payments on pages of 3: the fourth, empty page is the first short one.
    expect(gateway.pageCalls).toEqual([1, 2, 3, 4]);
  });

  it("looks orders up in chunks of ORDER_CHUNK_SIZE", async () => {
    const { ports, store } = setup();
    await runSync(config({ orderChunkSize: 4 }), ports);
    // The window's nine orders, then the four orphans' orders again right before the claims.
    expect(store.calls.map((c) => c.length)).toEqual([4, 4, 1, 4]);
  });
});

describe("runSync re-checks the orphans' orders right before cancelling", () => {
  it("leaves an orphan whose order got paid meanwhile, and counts it matched or mismatched", async () => {
    const { ports, store, gateway } = setup();
    const original = store.paidOrders.bind(store);
    let lookups = 0;
    // The window's three lookups see the seed; by the re-check, orders 2 and 4 were paid.
    store.paidOrders = async (ids) => {
      const found = await original(ids);
      if (++lookups <= 3) return found;
      return [
        ...found,
        ...ids.flatMap((id) =>
          id === "2" ? [{ id, amount: 15000 }] : id === "4" ? [{ id, amount: 999 }] : [],
        ),
      ];
    };
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.status).toBe("SUCCEEDED");
    expect(gateway.cancelCalls.map((c) => c.pgUid)).toEqual(["PG16", "PG19"]);
    expect(report.counts).toMatchObject({ orphans: 2, cancelled: 2, matched: 5, mismatches: 2 });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: "AMOUNT_MISMATCH", pgUid: "PG14", orderAmount: 999 }),
    );
  });

  it("fails the run before any cancel when the re-check cannot read the store", async () => {
    const { ports, store, gateway } = setup();
    const original = store.paidOrders.bind(store);
    let lookups = 0;
    store.paidOrders = async (ids) => {
      if (++lookups > 3) throw new Error("store went away");
      return original(ids);
    };
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.status).toBe("FAILED");
    expect(report.errors[0]).toMatchObject({ stage: "store" });
    expect(gateway.cancelCalls).toEqual([]);
  });
});

describe("runSync classification edges", () => {
  it("counts a pg_uid seen on two pages once", async () => {
    const twice = payment("PG1", 1, 100, { paidAt: NOW - 60 * 60_000 });
    const { ports, gateway } = setup(
      [twice, payment("PG2", 2, 100), twice],
      [
        { id: "1", amount: 100 },
        { id: "2", amount: 100 },
      ],
    );
    gateway.countable = false;
    const report = await runSync(config({ pageSize: 2 }), ports);
    expect(report.counts.scanned).toBe(2);
    expect(report.counts.matched).toBe(2);
  });

  it("cancels a payment whose order is missing, and one whose order exists but is unpaid", async () => {
    const payments = [
      payment("MISSING", 41, 100),
      payment("UNPAID", 42, 100),
      payment("PAID", 43, 100),
    ];
    const orders = [
      { id: "42", amount: 100, paid: false },
      { id: "43", amount: 100 },
    ];
    const { ports, gateway } = setup(payments, orders);
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.cancelled).toEqual(["MISSING", "UNPAID"]);
    expect(report.counts).toMatchObject({ scanned: 3, matched: 1, orphans: 2, cancelled: 2 });
    expect(gateway.cancelCalls.map((c) => c.pgUid)).toEqual(["MISSING", "UNPAID"]);
  });

  it("ignores cancelled and unknown statuses and leaves payments in grace alone", async () => {
    const payments = [
      payment("C", 1, 100, { status: "cancelled" }),
      payment("U", 2, 100, { status: "partial_cancelled" }),
      payment("Y", 3, 100, { paidAt: NOW - 10 * 60_000 }),
    ];
    const { ports, gateway } = setup(payments, []);
    // An explicit window reaching into the grace period, as a misbehaving gateway might serve.
    const report = await runSync(config({ window: { from: NOW - 7200_000, to: NOW } }), ports);
    expect(report.counts).toMatchObject({ scanned: 3, ignored: 2, inGrace: 1, orphans: 0 });
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("flags two payments for one order as a duplicate and cancels neither", async () => {
    const payments = [payment("A", 1, 100, { paidAt: NOW - 70 * 60_000 }), payment("B", 1, 100)];
    const { ports, gateway } = setup(payments, [{ id: "1", amount: 100 }]);
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.counts).toMatchObject({ matched: 1, duplicates: 1, orphans: 0 });
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "DUPLICATE_PAYMENT", pgUid: "B", otherPgUids: ["A"] }),
    ]);
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("names every other payment of the order in each duplicate finding", async () => {
    const payments = ["A", "B", "C"].map((uid, i) =>
      payment(uid, 1, 100, { paidAt: NOW - (70 - i) * 60_000 }),
    );
    const { ports } = setup(payments, [{ id: "1", amount: 100 }]);
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.counts).toMatchObject({ matched: 1, duplicates: 2 });
    expect(report.findings).toEqual([
      expect.objectContaining({ pgUid: "B", otherPgUids: ["A", "C"] }),
      expect.objectContaining({ pgUid: "C", otherPgUids: ["A", "B"] }),
    ]);
    expect(report.truncated).toBeUndefined();
  });

  it("cuts a duplicate's list of other payments at 1,000 and says the report is truncated", async () => {
    const payments = Array.from({ length: 1500 }, (_, i) =>
      payment(`P${String(i).padStart(4, "0")}`, 1, 100),
    );
    const { ports, gateway } = setup(payments, [{ id: "1", amount: 100 }]);
    const report = await runSync(config({ pageSize: 100 }), ports);
    expect(report.counts).toMatchObject({ scanned: 1500, matched: 1, duplicates: 1499 });
    expect(report.findings).toHaveLength(1000);
    expect(report.truncated).toBe(true);
    const first = report.findings[0];
    expect(first?.pgUid).toBe("P0001");
    expect(first?.otherPgUids).toHaveLength(1000);
    expect(first?.otherPgUids?.[0]).toBe("P0000");
    expect(gateway.cancelCalls).toEqual([]);
  });
});

describe("runSync money rules", () => {
  it("fails closed when a page fails: no order lookup, no cancel", async () => {
    const { ports, gateway, store } = setup();
    gateway.failPage = 2;
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.status).toBe("FAILED");
    expect(report.errors[0]).toMatchObject({ stage: "gateway" });
    expect(store.calls).toEqual([]);
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("fails closed when the store is down", async () => {
    const { ports, gateway, store } = setup();
    store.down = true;
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.status).toBe("FAILED");
    expect(report.errors[0]).toMatchObject({ stage: "store" });
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("halts with WOULD_CANCEL findings when the guard trips", async () => {
    const { ports, gateway } = setup();
    const report = await runSync(config({ maxCancelsPerRun: 3 }), ports);
    expect(report.status).toBe("HALTED");
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL").map((f) => f.pgUid)).toEqual([
      "PG12",
      "PG14",
      "PG16",
      "PG19",
    ]);
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("halts when orphans exceed the ratio with 20 or more scanned (an empty store)", async () => {
    const payments = Array.from({ length: 20 }, (_, i) => payment(`P${i}`, i, 100));
    const { ports, gateway } = setup(payments, []);
    const report = await runSync(config({ pageSize: 100, maxCancelsPerRun: 1000 }), ports);
    expect(report.status).toBe("HALTED");
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("finds but does not cancel in a dry run, and claims nothing", async () => {
    const { ports, gateway, ledger } = setup();
    const report = await runSync(config({ dryRun: true }), ports);
    expect(report.status).toBe("SUCCEEDED");
    expect(report.dryRun).toBe(true);
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL").map((f) => f.pgUid)).toEqual([
      "PG12",
      "PG14",
      "PG16",
      "PG19",
    ]);
    expect(gateway.cancelCalls).toEqual([]);
    expect(ledger.records.size).toBe(0);
  });

  it("skips when another run holds the lock", async () => {
    const { ports, ledger, gateway } = setup();
    ledger.lock = { owner: "other", leaseUntil: NOW + 60_000 };
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.status).toBe("SKIPPED_LOCKED");
    expect(gateway.pageCalls).toEqual([]);
  });

  it("reports a refused cancel as CANCEL_FAILED and never retries it", async () => {
    const { ports, gateway } = setup();
    gateway.cancelAnswer = (r) =>
      r.pgUid === "PG14" ? { kind: "rejected", code: "NOT_CANCELLABLE", message: "no" } : undefined;
    const first = await runSync(config(), ports);
    expect(first.counts).toMatchObject({ cancelled: 3, cancelFailed: 1 });
    expect(first.findings).toContainEqual(
      expect.objectContaining({ kind: "CANCEL_FAILED", pgUid: "PG14" }),
    );
    await runSync(config(), ports);
    expect(gateway.cancelCalls.filter((c) => c.pgUid === "PG14")).toHaveLength(1);
  });

  it("resumes a transient failure in the next run with the same key", async () => {
    const { ports, gateway } = setup();
    let failed = false;
    gateway.cancelAnswer = (r) => {
      if (r.pgUid === "PG16" && !failed) {
        failed = true;
        return new GatewayError("503", true, 503);
      }
      return undefined;
    };
    const first = await runSync(config(), ports);
    expect(first.status).toBe("FAILED");
    expect(first.cancelled).toEqual(["PG12", "PG14", "PG19"]);
    const second = await runSync(config(), ports);
    expect(second.status).toBe("SUCCEEDED");
    expect(second.cancelled).toEqual(["PG16"]);
    const keys = gateway.cancelCalls.filter((c) => c.pgUid === "PG16").map((c) => c.idempotencyKey);
    expect(keys).toEqual([cancelIdempotencyKey("PG16"), cancelIdempotencyKey("PG16")]);
  });

  it("ends PARTIAL and cancels nothing when the deadline passes before the window is read", async () => {
    const { ports, gateway } = setup();
    const report = await runSync(config({ deadlineAt: NOW - 1 }), ports);
    expect(report.status).toBe("PARTIAL");
    expect(gateway.cancelCalls).toEqual([]);
  });

  it("cuts long lists at 1,000 and says so", async () => {
    const payments = Array.from({ length: 1001 }, (_, i) => payment(`P${i}`, i, 100));
    const { ports } = setup(payments, []);
    const report = await runSync(
      config({ pageSize: 100, maxCancelsPerRun: 5000, maxOrphanRatio: 1 }),
      ports,
    );
    expect(report.counts.cancelled).toBe(1001);
    expect(report.cancelled).toHaveLength(1000);
    expect(report.truncated).toBe(true);
  });
});

describe("runSync closes claims left open", () => {
  const LEASE = defaultSyncConfig.claimLeaseMs;

  it("closes an expired claim as CANCELLED when the gateway lists the payment cancelled", async () => {
    const { ports, ledger, gateway } = setup();
    gateway.cancelledUids.add("PG12");
    ledger.records.set("PG12", {
      state: "CLAIMED",
      owner: "dead-run",
      leaseUntil: NOW - 1,
      attempts: 1,
      idempotencyKey: cancelIdempotencyKey("PG12"),
    });
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(ledger.records.get("PG12")?.state).toBe("CANCELLED");
    expect(report.cancelled).toEqual(["PG14", "PG16", "PG19"]);
    expect(gateway.cancelCalls.map((c) => c.pgUid)).not.toContain("PG12");
  });

  it("leaves a live claim alone, and abandons an expired one whose payment is matched now", async () => {
    const { ports, ledger } = setup();
    ledger.records.set("PG11", {
      state: "CLAIMED",
      owner: "dead-run",
      leaseUntil: NOW - 1,
      attempts: 1,
      idempotencyKey: cancelIdempotencyKey("PG11"),
    });
    ledger.records.set("PG15", {
      state: "CLAIMED",
      owner: "live-run",
      leaseUntil: NOW + LEASE,
      attempts: 1,
      idempotencyKey: cancelIdempotencyKey("PG15"),
    });
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(ledger.records.get("PG11")?.state).toBe("FAILED");
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: "CANCEL_FAILED", pgUid: "PG11", storeOrderId: "1" }),
    );
    expect(report.counts.cancelFailed).toBe(1);
    expect(ledger.records.get("PG15")?.state).toBe("CLAIMED");
  });
});

describe("runSync asks the gateway right before each cancel", () => {
  it("a lookup that fails releases the claim, sends nothing, and fails the run", async () => {
    const { ports, gateway, ledger } = setup();
    gateway.enableLookup((pgUid) =>
      pgUid === "PG14" ? new GatewayError("lookup timed out", true) : undefined,
    );
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.status).toBe("FAILED");
    expect(gateway.cancelCalls.map((c) => c.pgUid)).not.toContain("PG14");
    expect(ledger.records.get("PG14")).toMatchObject({ state: "CLAIMED", leaseUntil: NOW });
    expect(report.counts.cancelFailed).toBe(0);
  });

  it("a cancellation the gateway accepted but has not finished is reported cancelled and kept REQUESTED", async () => {
    const { ports, gateway, ledger } = setup();
    gateway.cancelAnswer = (request) =>
      request.pgUid === "PG12" ? { kind: "requested" } : undefined;
    const report = await runSync(config({ orderChunkSize: 4 }), ports);
    expect(report.cancelled).toContain("PG12");
    expect(report.counts.cancelled).toBe(4);
    expect(ledger.records.get("PG12")?.state).toBe("REQUESTED");
    // The next run sends nothing for it, and leaves it open until the gateway says.
    const calls = gateway.cancelCalls.length;
    await runSync(config(), ports);
    expect(gateway.cancelCalls.slice(calls).map((c) => c.pgUid)).not.toContain("PG12");
    expect((await ledger.openClaims()).map((c) => [c.pgUid, c.state])).toEqual([
      ["PG12", "REQUESTED"],
    ]);
  });

  it("sends the balance the gateway reports, in the payment's currency", async () => {
    const { ports, gateway } = setup();
    gateway.enableLookup(() => ({ status: "paid", cancellable: 15000, refunded: 0 }));
    await runSync(config(), ports);
    expect(gateway.cancelCalls[0]).toMatchObject({ cancellable: 15000, currency: "KRW" });
  });
});

describe("runSync tells the shop (contracts §8)", () => {
  const recorder = () => {
    const published: PaysyncEvent[] = [];
    return {
      published,
      events: { publish: async (batch: readonly PaysyncEvent[]) => void published.push(...batch) },
    };
  };

  it("publishes each refund, a finding the first time only, and every run", async () => {
    const { ports } = setup();
    const bus = recorder();
    const first = await runSync(config(), { ...ports, events: bus.events });
    const types = bus.published.map((e) => e.detailType);
    expect(types.filter((t) => t === "Payment Cancelled")).toHaveLength(4);
    expect(bus.published.filter((e) => e.detailType === "Finding Raised")).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          kind: "AMOUNT_MISMATCH",
          pgUid: "PG13",
          runId: first.runId,
        }),
      }),
    ]);
    expect(types.at(-1)).toBe("Run Finished");

    bus.published.length = 0;
    const second = await runSync(config(), { ...ports, events: bus.events });
    expect(second.findings).toContainEqual(expect.objectContaining({ kind: "AMOUNT_MISMATCH" }));
    // Seen again, not news: no event, and nothing else but the run itself.
    expect(bus.published.map((e) => e.detailType)).toEqual(["Run Finished"]);
  });

  it("a bus that refuses everything changes neither the cancellations nor the status", async () => {
    const { ports, gateway } = setup();
    const report = await runSync(config(), {
      ...ports,
      events: { publish: async () => Promise.reject(new Error("bus refused")) },
    });
    expect(report.status).toBe("SUCCEEDED");
    expect(gateway.cancelCalls).toHaveLength(4);
    expect(report.cancelled).toEqual(["PG12", "PG14", "PG16", "PG19"]);
    expect(report.errors).toEqual([
      expect.objectContaining({ stage: "events", message: expect.stringContaining("bus refused") }),
      expect.objectContaining({ stage: "events" }),
    ]);
  });
});

describe("runSync leaves no claim open in silence", () => {
  const claimed = (leaseUntil: number) => ({
    state: "CLAIMED" as const,
    owner: "backfill-run",
    leaseUntil,
    attempts: 1,
    idempotencyKey: cancelIdempotencyKey("OLD1"),
    storeOrderId: "77",
    amount: 5000,
  });

  it("hands a claim a day past its lease, whose payment no window holds, to a person once", async () => {
    const { ports, ledger, gateway } = setup();
    ledger.records.set("OLD1", claimed(NOW - 25 * 3_600_000));
    const report = await runSync(config(), ports);
    expect(ledger.records.get("OLD1")?.state).toBe("FAILED");
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        kind: "CANCEL_FAILED",
        pgUid: "OLD1",
        storeOrderId: "77",
        reason: expect.stringContaining("outcome unknown"),
      }),
    );
    expect(gateway.cancelCalls.map((c) => c.pgUid)).not.toContain("OLD1");
    // Raised once: the ledger now has it FAILED, and the next run finds no open claim.
    expect(await ledger.openClaims()).toEqual([]);
  });

  it("asks the gateway first, where it has a lookup", async () => {
    const { ports, ledger, gateway } = setup();
    ledger.records.set("OLD1", claimed(NOW - 25 * 3_600_000));
    gateway.enableLookup((pgUid) =>
      pgUid === "OLD1" ? { status: "cancelled", cancellable: 0, refunded: 5000 } : undefined,
    );
    const report = await runSync(config(), ports);
    expect(ledger.records.get("OLD1")?.state).toBe("CANCELLED");
    expect(report.findings.map((f) => f.pgUid)).not.toContain("OLD1");
  });

  it("leaves a claim younger than that for a run whose window holds it", async () => {
    const { ports, ledger } = setup();
    ledger.records.set("OLD1", claimed(NOW - 3_600_000));
    await runSync(config(), ports);
    expect(ledger.records.get("OLD1")?.state).toBe("CLAIMED");
  });
});
