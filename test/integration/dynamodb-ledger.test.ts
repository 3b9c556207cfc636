import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbLedger, queryPartition } from "../../lambda/adapters/dynamodb-ledger.ts";
import {
  createDocumentClient,
  ensureLedgerTable,
  type LedgerClients,
} from "../../lambda/adapters/ledger-table.ts";
import { emptyCounts, type RunReport } from "../../lambda/core/model.ts";
import type { ClaimRequest, Ledger } from "../../lambda/ports/ledger.ts";
import { type EmbeddedDynalite, startDynalite } from "../../local/embedded/dynalite.ts";

const T0 = Date.parse("2024-05-01T10:00:00.000Z");
const LEASE_MS = 60_000;

let dynamo: EmbeddedDynalite;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let clients: LedgerClients;
let tableCounter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  clients = createDocumentClient({ endpoint: dynamo.endpoint });
  ({ client, doc } = clients);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

const freshTable = async (): Promise<string> => {
  tableCounter += 1;
  const tableName = `ledger-test-${tableCounter}`;
  await ensureLedgerTable(client, tableName);
  return tableName;
};

const freshLedger = async (): Promise<{ ledger: Ledger; tableName: string }> => {
  const tableName = await freshTable();
  return { ledger: createDynamoDbLedger({ clients, tableName }), tableName };
};

const claimRequest = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  pgUid: "pg-1",
  storeOrderId: "order-1",
  amount: 12_000,
  currency: "KRW",
  idempotencyKey: "key-run-a",
  runId: "run-a",
  now: T0,
  leaseMs: LEASE_MS,
  maxAttempts: 3,
  ...overrides,
});

const readItem = async (tableName: string, pk: string, sk: string) => {
  const output = await doc.send(
    new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
  );
  return output.Item;
};

const readCancel = (tableName: string, pgUid: string) =>
  readItem(tableName, `PAY#${pgUid}`, "CANCEL");

describe("ensureLedgerTable", () => {
  it("creates the table once and is idempotent, also when callers race", async () => {
    const tableName = "ledger-ensure";
    await ensureLedgerTable(client, tableName);
    await ensureLedgerTable(client, tableName);
    await Promise.all([
      ensureLedgerTable(client, "ledger-ensure-race"),
      ensureLedgerTable(client, "ledger-ensure-race"),
    ]);

    for (const name of [tableName, "ledger-ensure-race"]) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      expect(Table?.TableStatus).toBe("ACTIVE");
      expect(Table?.KeySchema).toEqual([
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ]);
    }
  });
});

describe("claimCancel / completeCancel", () => {
  it("claims a new payment, completes it, and a later claim reports it done", async () => {
    const { ledger, tableName } = await freshLedger();

    expect(await ledger.claimCancel(claimRequest())).toEqual({
      kind: "claimed",
      idempotencyKey: "key-run-a",
      attempt: 1,
    });
    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      type: "cancel",
      state: "CLAIMED",
      pgUid: "pg-1",
      storeOrderId: "order-1",
      amount: 12_000,
      currency: "KRW",
      idempotencyKey: "key-run-a",
      owner: "run-a",
      leaseUntil: T0 + LEASE_MS,
      attempts: 1,
      createdAt: "2024-05-01T10:00:00.000Z",
    });

    await ledger.completeCancel("pg-1", "run-a", "CANCELLED", T0 + 500, "gateway ok");
    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      state: "CANCELLED",
      finishedBy: "run-a",
      detail: "gateway ok",
      updatedAt: "2024-05-01T10:00:00.500Z",
    });

    const again = await ledger.claimCancel(
      claimRequest({ runId: "run-b", idempotencyKey: "key-run-b", now: T0 + 10 * LEASE_MS }),
    );
    expect(again).toEqual({ kind: "done", state: "CANCELLED" });
    expect((await readCancel(tableName, "pg-1"))?.attempts).toBe(1);
  });

  it("reports a payment completed as FAILED with its detail", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest());
    await ledger.completeCancel("pg-1", "run-a", "FAILED", T0 + 1, "gateway said 400");

    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      state: "FAILED",
      lastError: "gateway said 400",
    });
    expect(await ledger.claimCancel(claimRequest({ runId: "run-b", now: T0 + 1 }))).toEqual({
      kind: "failed",
      reason: "gateway said 400",
    });
  });

  it("lets exactly one of two concurrent runs claim a payment", async () => {
    const { ledger } = await freshLedger();
    const results = await Promise.all([
      ledger.claimCancel(claimRequest({ runId: "run-a", idempotencyKey: "key-a" })),
      ledger.claimCancel(claimRequest({ runId: "run-b", idempotencyKey: "key-b" })),
    ]);

    const claimed = results.filter((result) => result.kind === "claimed");
    const busy = results.filter((result) => result.kind === "busy");
    expect(claimed).toHaveLength(1);
    expect(busy).toHaveLength(1);
    const winner = results[0]?.kind === "claimed" ? "run-a" : "run-b";
    expect(busy[0]).toEqual({ kind: "busy", owner: winner, leaseUntil: T0 + LEASE_MS });
  });

  it("takes over an expired lease with the original idempotency key", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ leaseMs: 1_000 }));

    const later = T0 + 5_000;
    const takeover = await ledger.claimCancel(
      claimRequest({ runId: "run-b", idempotencyKey: "key-run-b", now: later }),
    );

    expect(takeover).toEqual({ kind: "claimed", idempotencyKey: "key-run-a", attempt: 2 });
    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      state: "CLAIMED",
      owner: "run-b",
      idempotencyKey: "key-run-a",
      attempts: 2,
      leaseUntil: later + LEASE_MS,
    });
  });

  it("makes the first run's late completeCancel and releaseCancel no-ops after a takeover", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ leaseMs: 1_000 }));
    await ledger.claimCancel(claimRequest({ runId: "run-b", now: T0 + 5_000 }));

    await ledger.completeCancel("pg-1", "run-a", "CANCELLED", T0 + 6_000, "late");
    await ledger.releaseCancel("pg-1", "run-a", T0 + 6_000, "late error");
    const untouched = await readCancel(tableName, "pg-1");
    expect(untouched).toMatchObject({
      state: "CLAIMED",
      owner: "run-b",
      leaseUntil: T0 + 5_000 + LEASE_MS,
    });
    expect(untouched?.detail).toBeUndefined();
    expect(untouched?.lastError).toBeUndefined();

    await ledger.completeCancel("pg-1", "run-b", "ALREADY_CANCELLED", T0 + 7_000);
    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      state: "ALREADY_CANCELLED",
      finishedBy: "run-b",
    });
  });

  it("lets another run claim immediately after releaseCancel", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest());
    await ledger.releaseCancel("pg-1", "run-a", T0 + 100, "gateway timeout");
    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      state: "CLAIMED",
      leaseUntil: T0 + 100,
      lastError: "gateway timeout",
    });

    const result = await ledger.claimCancel(
      claimRequest({ runId: "run-b", idempotencyKey: "key-run-b", now: T0 + 100 }),
    );
    expect(result).toEqual({ kind: "claimed", idempotencyKey: "key-run-a", attempt: 2 });
  });

  it("lets a run re-claim its own live claim, counting the attempt", async () => {
    const { ledger } = await freshLedger();
    await ledger.claimCancel(claimRequest());
    expect(await ledger.claimCancel(claimRequest({ now: T0 + 1 }))).toEqual({
      kind: "claimed",
      idempotencyKey: "key-run-a",
      attempt: 2,
    });
  });

  it("fails the payment once attempts are exhausted, and it stays failed", async () => {
    const { ledger, tableName } = await freshLedger();
    const maxAttempts = 2;
    await ledger.claimCancel(claimRequest({ maxAttempts }));
    await ledger.releaseCancel("pg-1", "run-a", T0 + 1, "timeout 1");
    const second = await ledger.claimCancel(
      claimRequest({ runId: "run-b", now: T0 + 2, maxAttempts }),
    );
    expect(second).toMatchObject({ kind: "claimed", attempt: 2 });
    await ledger.releaseCancel("pg-1", "run-b", T0 + 3, "timeout 2");

    const reason = "gave up after 2 attempts: timeout 2";
    expect(
      await ledger.claimCancel(claimRequest({ runId: "run-c", now: T0 + 4, maxAttempts })),
    ).toEqual({ kind: "failed", reason });
    expect(await readCancel(tableName, "pg-1")).toMatchObject({
      state: "FAILED",
      attempts: 2,
      lastError: reason,
      finishedBy: "run-c",
    });

    // A later run with a bigger budget must not revive it: a person has to look first.
    expect(
      await ledger.claimCancel(
        claimRequest({ runId: "run-d", now: T0 + 10 * LEASE_MS, maxAttempts: 10 }),
      ),
    ).toEqual({ kind: "failed", reason });
    expect((await readCancel(tableName, "pg-1"))?.attempts).toBe(2);
  });

  it("also gives up on a claim whose run crashed without recording an error", async () => {
    const { ledger } = await freshLedger();
    await ledger.claimCancel(claimRequest({ maxAttempts: 1, leaseMs: 10 }));
    const result = await ledger.claimCancel(
      claimRequest({ runId: "run-b", now: T0 + 1_000, maxAttempts: 1 }),
    );
    expect(result.kind).toBe("failed");
    expect(result.kind === "failed" && result.reason).toMatch(/^gave up after 1 attempts: /);
  });
});

describe("claimCancel races on the optimistic update", () => {
  /** A ledger whose UpdateItem calls first let `rival` write, so each optimistic update loses. */
  const racingLedger = (tableName: string, rival: () => Promise<void>, races: number) => {
    const racingClients = createDocumentClient({ endpoint: dynamo.endpoint });
    const { client: racingClient } = racingClients;
    let remaining = races;
    // The takeover's update goes through the document client (a claim's first write and its
    // outcome go over the wire).
    racingClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "UpdateItemCommand" && remaining > 0) {
          remaining -= 1;
          await rival();
        }
        return next(args);
      },
      { step: "initialize", name: "rivalWritesFirst" },
    );
    return {
      ledger: createDynamoDbLedger({ clients: racingClients, tableName }),
      destroy: () => racingClient.destroy(),
    };
  };

  it("re-reads after losing a takeover race and reports the winner as busy", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ leaseMs: 1_000 }));
    const later = T0 + 5_000;
    const racer = racingLedger(
      tableName,
      async () => {
        await ledger.claimCancel(claimRequest({ runId: "run-c", now: later }));
      },
      1,
    );

    try {
      const result = await racer.ledger.claimCancel(claimRequest({ runId: "run-b", now: later }));
      expect(result).toEqual({ kind: "busy", owner: "run-c", leaseUntil: later + LEASE_MS });
      expect(await readCancel(tableName, "pg-1")).toMatchObject({ owner: "run-c", attempts: 2 });
    } finally {
      racer.destroy();
    }
  });

  it("gives up after three lost rounds and reports busy", async () => {
    const { ledger, tableName } = await freshLedger();
    // A zero lease stays expired, so every round looks like a takeover and every round loses.
    const rivalClaim = () =>
      ledger.claimCancel(claimRequest({ runId: "run-c", leaseMs: 0, maxAttempts: 100 }));
    await rivalClaim();
    const racer = racingLedger(tableName, async () => void (await rivalClaim()), 10);

    try {
      const result = await racer.ledger.claimCancel(
        claimRequest({ runId: "run-b", maxAttempts: 100 }),
      );
      expect(result).toEqual({ kind: "busy", owner: "run-c", leaseUntil: T0 });
      // One initial claim plus one rival takeover per lost round.
      expect(await readCancel(tableName, "pg-1")).toMatchObject({ owner: "run-c", attempts: 4 });
    } finally {
      racer.destroy();
    }
  });
});

describe("errors other than a failed condition", () => {
  it("propagate instead of being treated as an answer", async () => {
    const ledger = createDynamoDbLedger({
      clients,
      tableName: "ledger-does-not-exist",
    });
    await expect(ledger.claimCancel(claimRequest())).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(ledger.completeCancel("pg-1", "run-a", "CANCELLED", T0)).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(ledger.releaseCancel("pg-1", "run-a", T0, "x")).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(ledger.acquireRunLock("run-a", T0, LEASE_MS)).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
    await expect(ledger.releaseRunLock("run-a")).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("refuse to guess when a cancel record is unreadable", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest());
    await ledger.completeCancel("pg-1", "run-a", "CANCELLED", T0 + 1);
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: "PAY#pg-1", sk: "CANCEL", state: "SOMETHING_ELSE" },
      }),
    );
    await expect(ledger.claimCancel(claimRequest({ runId: "run-b" }))).rejects.toThrow(
      /invalid "state"/,
    );
  });
});

describe("run lock", () => {
  it("is acquired, refused while held, taken over once expired, and released by its owner only", async () => {
    const { ledger, tableName } = await freshLedger();

    expect(await ledger.acquireRunLock("run-a", T0, LEASE_MS)).toEqual({ acquired: true });
    expect(await readItem(tableName, "LOCK", "RUN")).toMatchObject({
      type: "lock",
      owner: "run-a",
      leaseUntil: T0 + LEASE_MS,
      acquiredAt: "2024-05-01T10:00:00.000Z",
    });

    expect(await ledger.acquireRunLock("run-b", T0 + 1, LEASE_MS)).toEqual({
      acquired: false,
      owner: "run-a",
      leaseUntil: T0 + LEASE_MS,
    });
    // The holder may renew its own lease.
    expect(await ledger.acquireRunLock("run-a", T0 + 2, LEASE_MS)).toEqual({ acquired: true });

    const afterExpiry = T0 + 2 + LEASE_MS + 1;
    expect(await ledger.acquireRunLock("run-b", afterExpiry, LEASE_MS)).toEqual({
      acquired: true,
    });

    await ledger.releaseRunLock("run-a");
    expect(await readItem(tableName, "LOCK", "RUN")).toMatchObject({ owner: "run-b" });

    await ledger.releaseRunLock("run-b");
    expect(await readItem(tableName, "LOCK", "RUN")).toBeUndefined();
    await ledger.releaseRunLock("run-b");

    expect(await ledger.acquireRunLock("run-c", afterExpiry + 1, LEASE_MS)).toEqual({
      acquired: true,
    });
  });
});

const runReport = (overrides: Partial<RunReport> = {}): RunReport => ({
  runId: "run-a",
  status: "SUCCEEDED",
  dryRun: false,
  window: { from: "2024-05-01T09:00:00.000Z", to: "2024-05-01T09:50:00.000Z" },
  startedAt: "2024-05-01T10:00:00.000Z",
  finishedAt: "2024-05-01T10:00:03.000Z",
  durationMs: 3_000,
  counts: { ...emptyCounts(), scanned: 5, orphans: 1, cancelled: 1 },
  cancelled: ["pg-9"],
  findings: [{ kind: "AMOUNT_MISMATCH", pgUid: "pg-8", storeOrderId: "order-8" }],
  errors: [],
  ...overrides,
});

const queryRunDay = async (tableName: string, day: string) => {
  const output = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `RUN#${day}` },
    }),
  );
  return output.Items ?? [];
};

describe("recordRun", () => {
  it("stores the report under its UTC day with a numeric expires_at", async () => {
    const { ledger, tableName } = await freshLedger();
    const report = runReport();
    const expiresAt = Math.floor(T0 / 1000) + 90 * 86_400;
    await ledger.recordRun(report, expiresAt);

    const items = await queryRunDay(tableName, "2024-05-01");
    expect(items).toHaveLength(1);
    const item = items[0];
    expect(item).toMatchObject({
      sk: "2024-05-01T10:00:00.000Z#run-a",
      type: "run",
      runId: "run-a",
      status: "SUCCEEDED",
      dryRun: false,
      windowFrom: report.window.from,
      windowTo: report.window.to,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      durationMs: 3_000,
      counts: report.counts,
      expires_at: expiresAt,
    });
    expect(typeof item?.expires_at).toBe("number");
    expect(JSON.parse(String(item?.report))).toEqual(report);
    expect(item?.reportTruncated).toBeUndefined();
  });

  it("drops the per-payment lists from a report that would not fit in an item", async () => {
    const { ledger, tableName } = await freshLedger();
    const cancelled = Array.from({ length: 20_000 }, (_, index) => `pg-${index}-${"x".repeat(10)}`);
    await ledger.recordRun(runReport({ runId: "run-big", cancelled }), 1);

    const [item] = await queryRunDay(tableName, "2024-05-01");
    expect(item).toMatchObject({ runId: "run-big", reportTruncated: true });
    const stored = JSON.parse(String(item?.report));
    expect(stored).toMatchObject({ runId: "run-big", cancelled: [], findings: [] });
    expect(stored.counts.cancelled).toBe(1);
  });
});

describe("recordFinding", () => {
  it("upserts: counts every sighting and keeps when it was first seen", async () => {
    const { ledger, tableName } = await freshLedger();
    const finding = {
      kind: "DUPLICATE_PAYMENT",
      pgUid: "pg-7",
      storeOrderId: "order-7",
      pgAmount: 5_000,
      otherPgUids: ["pg-6"],
      reason: "two paid payments for one order",
    } as const;

    await ledger.recordFinding(finding, "run-a", T0);
    await ledger.recordFinding({ ...finding, otherPgUids: ["pg-6", "pg-5"] }, "run-b", T0 + 60_000);

    const item = await readItem(tableName, "PAY#pg-7", "FINDING#DUPLICATE_PAYMENT");
    expect(item).toMatchObject({
      type: "finding",
      kind: "DUPLICATE_PAYMENT",
      pgUid: "pg-7",
      storeOrderId: "order-7",
      pgAmount: 5_000,
      otherPgUids: ["pg-6", "pg-5"],
      reason: "two paid payments for one order",
      firstSeenAt: "2024-05-01T10:00:00.000Z",
      lastSeenAt: "2024-05-01T10:01:00.000Z",
      lastRunId: "run-b",
      seenCount: 2,
    });
    expect(item?.orderAmount).toBeUndefined();
    // A finding lives beside the cancel record, never on it.
    expect(await readCancel(tableName, "pg-7")).toBeUndefined();
  });
});

describe("open claims", () => {
  it("lists claims while open, and forgets them once completed or given up", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ pgUid: "pg-a" }));
    await ledger.claimCancel(claimRequest({ pgUid: "pg-b" }));
    expect((await ledger.openClaims()).map((c) => c.pgUid).sort()).toEqual(["pg-a", "pg-b"]);
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-a")).toMatchObject({ type: "open-claim" });

    await ledger.completeCancel("pg-a", "run-a", "CANCELLED", T0 + 1);
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-a")).toBeUndefined();
    expect(await ledger.openClaims()).toEqual([
      expect.objectContaining({
        pgUid: "pg-b",
        state: "CLAIMED",
        owner: "run-a",
        leaseUntil: T0 + LEASE_MS,
        attempts: 1,
      }),
    ]);
  });

  it("closes only an expired claim, and tidies a marker left by a crash", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ pgUid: "pg-c" }));
    expect(await ledger.closeExpiredClaim("pg-c", "run-z", T0 + 1, "CANCELLED", "listed")).toBe(
      false,
    );
    expect((await readCancel(tableName, "pg-c"))?.state).toBe("CLAIMED");

    expect(
      await ledger.closeExpiredClaim("pg-c", "run-z", T0 + LEASE_MS, "CANCELLED", "listed"),
    ).toBe(true);
    expect(await readCancel(tableName, "pg-c")).toMatchObject({
      state: "CANCELLED",
      finishedBy: "run-z",
      detail: "listed",
    });
    expect(await ledger.openClaims()).toEqual([]);
    // A second close finds nothing open.
    expect(await ledger.closeExpiredClaim("pg-c", "run-z", T0 + LEASE_MS, "FAILED", "x")).toBe(
      false,
    );

    // A crash between the marker and the claim leaves a marker with no record behind it.
    await doc.send(
      new PutCommand({ TableName: tableName, Item: { pk: "CLAIMS#OPEN", sk: "pg-ghost" } }),
    );
    expect(await ledger.openClaims()).toEqual([]);
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-ghost")).toBeUndefined();
  });
});

describe("open-claim markers on a closed record", () => {
  it("are not left behind by a claim that finds the payment done", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ pgUid: "pg-d" }));
    await ledger.completeCancel("pg-d", "run-a", "CANCELLED", T0 + 1);
    // The outcome's history line and the marker's removal went out together.
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-d")).toBeUndefined();
    expect(
      (await queryPartition(doc, tableName, "PAY#pg-d"))
        .filter((item) => item.type === "history")
        .map((item) => item.what),
    ).toEqual(["claimed for cancelling, attempt 1", "CANCELLED"]);
    expect(
      await ledger.claimCancel(
        claimRequest({ pgUid: "pg-d", runId: "run-b", now: T0 + 2 * LEASE_MS }),
      ),
    ).toEqual({ kind: "done", state: "CANCELLED" });
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-d")).toBeUndefined();
  });
});

describe("a cancellation the gateway accepted and has not finished (REQUESTED)", () => {
  it("stays open and listed, is never claimed again, and closes on a later run's word", async () => {
    const { ledger, tableName } = await freshLedger();
    await ledger.claimCancel(claimRequest({ pgUid: "pg-r" }));
    await ledger.completeCancel("pg-r", "run-a", "REQUESTED", T0 + 1);
    expect((await readCancel(tableName, "pg-r"))?.state).toBe("REQUESTED");
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-r")).toMatchObject({ type: "open-claim" });

    // Any run, any time: the answer is "done, requested", and no gateway call is allowed.
    expect(
      await ledger.claimCancel(
        claimRequest({ pgUid: "pg-r", runId: "run-b", now: T0 + 9 * LEASE_MS }),
      ),
    ).toEqual({ kind: "done", state: "REQUESTED" });
    expect(await ledger.openClaims()).toEqual([
      expect.objectContaining({ pgUid: "pg-r", state: "REQUESTED", storeOrderId: "order-1" }),
    ]);

    // A later run's lookup closes it, whoever made it, lease or not.
    expect(await ledger.closeExpiredClaim("pg-r", "run-c", T0 + 2, "CANCELLED", "finished")).toBe(
      true,
    );
    expect((await readCancel(tableName, "pg-r"))?.state).toBe("CANCELLED");
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-r")).toBeUndefined();
    expect(await ledger.openClaims()).toEqual([]);
  });
});
