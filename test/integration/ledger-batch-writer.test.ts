import type {
  BatchWriteItemInput,
  BatchWriteItemOutput,
  WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { createDynamoDbLedger, queryPartition } from "../../lambda/adapters/dynamodb-ledger.ts";
import type { DynamoDbWire, WireOperation } from "../../lambda/adapters/dynamodb-wire.ts";
import { createLedgerBatchWriter } from "../../lambda/adapters/ledger-batch-writer.ts";
import { useDynaliteTables } from "../support/dynalite-tables.ts";

const T0 = Date.parse("2024-05-01T10:00:00.000Z");

const dynalite = useDynaliteTables("batch-writer-test");
const freshTable = () => dynalite.freshTable();

const readItem = async (tableName: string, pk: string, sk: string) =>
  (
    await dynalite.doc.send(
      new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
    )
  ).Item;

type Requests = WriteRequest[];

/**
 * The ledger's real wire to dynalite (the one a cancel's writes go over), with every call
 * counted by operation, and each BatchWriteItem passed through `shape`, which may hold
 * requests back and answer them as unprocessed, the way DynamoDB answers a throttled batch.
 */
function observedWire(
  shape: (requests: Requests, call: number) => { send: Requests; unprocessed: Requests } = (
    requests,
  ) => ({ send: requests, unprocessed: [] }),
) {
  const calls: Record<string, number> = {};
  const batchSizes: number[] = [];
  const real = dynalite.wire as unknown as {
    send(operation: WireOperation, input: unknown): Promise<unknown>;
  };
  const observed = {
    send: async (operation: WireOperation, input: unknown) => {
      calls[operation] = (calls[operation] ?? 0) + 1;
      if (operation !== "BatchWriteItem") return real.send(operation, input);
      const batch = input as BatchWriteItemInput;
      const [tableName, requests] = Object.entries(batch.RequestItems ?? {})[0] ?? [];
      if (tableName === undefined || requests === undefined) throw new Error("empty batch");
      batchSizes.push(requests.length);
      const { send, unprocessed } = shape(requests, batchSizes.length);
      const answer =
        send.length > 0
          ? ((await real.send("BatchWriteItem", {
              RequestItems: { [tableName]: send },
            })) as BatchWriteItemOutput)
          : {};
      return {
        ...answer,
        UnprocessedItems: unprocessed.length > 0 ? { [tableName]: unprocessed } : {},
      };
    },
  };
  return { wire: observed as unknown as DynamoDbWire, calls, batchSizes };
}

describe("the ledger's batched writes", () => {
  it("gather the markers and history lines of concurrent cancels into a few calls", async () => {
    const tableName = await freshTable();
    const observed = observedWire();
    const ledger = createDynamoDbLedger({
      clients: { ...dynalite, wire: observed.wire },
      tableName,
    });
    const pgUids = Array.from({ length: 40 }, (_, i) => `pg-${i}`);

    await Promise.all(
      pgUids.map(async (pgUid, i) => {
        const claim = await ledger.claimCancel({
          pgUid,
          storeOrderId: String(i),
          amount: 1_000,
          currency: "KRW",
          idempotencyKey: `key-${pgUid}`,
          runId: "run-a",
          now: T0,
          leaseMs: 60_000,
          maxAttempts: 3,
        });
        expect(claim.kind).toBe("claimed");
        await ledger.completeCancel(pgUid, "run-a", "CANCELLED", T0 + 1);
      }),
    );

    // One conditional write to claim and one to close, per payment, as before. The four
    // plain writes per payment (marker, two history lines, the marker's removal) rode in
    // batches: the 40 markers, asked for together, in the first two; how the later lines
    // gather depends on when dynalite answers, but a closing line and its marker's removal
    // always share one. Before, that was 200 calls.
    expect(observed.calls.PutItem).toBe(40);
    expect(observed.calls.UpdateItem).toBe(40);
    expect(observed.batchSizes.slice(0, 2)).toEqual([25, 15]);
    expect(observed.batchSizes.reduce((a, b) => a + b, 0)).toBe(160);
    expect(Math.max(...observed.batchSizes)).toBeLessThanOrEqual(25);
    expect(observed.calls.BatchWriteItem).toBeLessThanOrEqual(2 + 40 + 40);

    expect(await ledger.openClaims()).toEqual([]);
    for (const pgUid of pgUids) {
      expect(await readItem(tableName, "CLAIMS#OPEN", pgUid)).toBeUndefined();
      expect(await readItem(tableName, `PAY#${pgUid}`, "CANCEL")).toMatchObject({
        state: "CANCELLED",
      });
      const lines = (await queryPartition(dynalite.doc, tableName, `PAY#${pgUid}`))
        .filter((item) => item.type === "history")
        .map((item) => item.what);
      expect(lines).toEqual(["claimed for cancelling, attempt 1", "CANCELLED"]);
    }
  });

  it("keep two writes of one item in the order they were asked for", async () => {
    const tableName = await freshTable();
    const observed = observedWire();
    const writer = createLedgerBatchWriter({ wire: observed.wire, tableName });
    const key = { pk: "CLAIMS#OPEN", sk: "pg-x" };

    await Promise.all([
      writer.put({ ...key, round: 1 }),
      writer.deleteBestEffort(key),
      writer.put({ ...key, round: 3 }),
      writer.put({ pk: "CLAIMS#OPEN", sk: "pg-y" }),
    ]);
    expect(await readItem(tableName, key.pk, key.sk)).toMatchObject({ round: 3 });
    expect(await readItem(tableName, "CLAIMS#OPEN", "pg-y")).toBeDefined();
    // A request may not name an item twice: the three writes of pg-x went out one by one.
    expect(observed.batchSizes).toEqual([2, 1, 1]);

    await Promise.all([writer.put({ ...key, round: 4 }), writer.deleteBestEffort(key)]);
    expect(await readItem(tableName, key.pk, key.sk)).toBeUndefined();
  });

  it("split more than 25 writes of one turn into several batches, every one landing", async () => {
    const tableName = await freshTable();
    const observed = observedWire();
    const writer = createLedgerBatchWriter({ wire: observed.wire, tableName });

    await Promise.all(
      Array.from({ length: 60 }, (_, i) => writer.put({ pk: "P", sk: `s-${i}`, i })),
    );
    expect(observed.batchSizes).toEqual([25, 25, 10]);
    const items = await queryPartition(dynalite.doc, tableName, "P");
    expect(items.map((item) => item.i).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    );
  });

  it("let writes asked for a moment apart share a call, and send a lone write soon", async () => {
    const tableName = await freshTable();
    const observed = observedWire();
    const writer = createLedgerBatchWriter({ wire: observed.wire, tableName });

    // Three writes a millisecond apart: one call, not three, as concurrent cancels' lines
    // arrive spread over a few event-loop turns.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 1));
    const first = writer.put({ pk: "P", sk: "a" });
    await pause();
    const second = writer.putBestEffort({ pk: "P", sk: "b" });
    await pause();
    const third = writer.put({ pk: "P", sk: "c" });
    await Promise.all([first, second, third]);
    expect(observed.batchSizes.length).toBeLessThanOrEqual(2);
    expect(observed.batchSizes.reduce((a, b) => a + b, 0)).toBe(3);
    const lone = performance.now();
    await writer.put({ pk: "P", sk: "d" });
    expect(performance.now() - lone).toBeLessThan(1_000);
    expect((await queryPartition(dynalite.doc, tableName, "P")).map((item) => item.sk)).toEqual([
      "a",
      "b",
      "c",
      "d",
    ]);
  });

  it("send again what DynamoDB left unprocessed, until it lands", async () => {
    const tableName = await freshTable();
    // The first two answers hold back the first request of the batch.
    const observed = observedWire((requests, call) =>
      call <= 2
        ? { send: requests.slice(1), unprocessed: requests.slice(0, 1) }
        : { send: requests, unprocessed: [] },
    );
    const pauses: number[] = [];
    const writer = createLedgerBatchWriter({
      wire: observed.wire,
      tableName,
      sleep: async (ms) => {
        pauses.push(ms);
      },
    });

    await Promise.all([
      writer.put({ pk: "P", sk: "a" }),
      writer.put({ pk: "P", sk: "b" }),
      writer.putBestEffort({ pk: "P", sk: "c" }),
    ]);
    expect(observed.batchSizes).toEqual([3, 1, 1]);
    expect(pauses).toEqual([25, 50]);
    expect((await queryPartition(dynalite.doc, tableName, "P")).map((item) => item.sk)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  it("fail a required write that never lands, and drop a best-effort one quietly", async () => {
    const tableName = await freshTable();
    const observed = observedWire((requests) => ({
      send: requests.filter((r) => r.PutRequest?.Item?.sk?.S !== "stuck"),
      unprocessed: requests.filter((r) => r.PutRequest?.Item?.sk?.S === "stuck"),
    }));
    const writer = createLedgerBatchWriter({
      wire: observed.wire,
      tableName,
      sleep: async () => undefined,
    });

    const results = await Promise.allSettled([
      writer.put({ pk: "P", sk: "stuck" }),
      writer.put({ pk: "P", sk: "fine" }),
    ]);
    expect(results[0]).toMatchObject({
      status: "rejected",
      reason: expect.objectContaining({
        message: expect.stringMatching(/left 1 write\(s\) unprocessed after 4 rounds/),
      }),
    });
    expect(results[1]).toEqual({ status: "fulfilled", value: undefined });
    await expect(writer.putBestEffort({ pk: "P", sk: "stuck" })).resolves.toBeUndefined();
    expect(await readItem(tableName, "P", "fine")).toBeDefined();
    expect(await readItem(tableName, "P", "stuck")).toBeUndefined();
  });

  it("pass on an error of the call to required writes only", async () => {
    const writer = createLedgerBatchWriter({
      wire: dynalite.wire,
      tableName: "no-such-table",
    });
    const results = await Promise.allSettled([
      writer.put({ pk: "P", sk: "a" }),
      writer.putBestEffort({ pk: "P", sk: "b" }),
      writer.deleteBestEffort({ pk: "P", sk: "c" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(results[0]).toMatchObject({
      reason: expect.objectContaining({ name: "ResourceNotFoundException" }),
    });
  });

  it("make a claim fail, with no gateway call possible, when its marker cannot be written", async () => {
    const tableName = await freshTable();
    const observed = observedWire((requests) => ({ send: [], unprocessed: requests }));
    const ledger = createDynamoDbLedger({
      clients: { ...dynalite, wire: observed.wire },
      tableName,
    });
    await expect(
      ledger.claimCancel({
        pgUid: "pg-m",
        storeOrderId: "1",
        amount: 1_000,
        currency: "KRW",
        idempotencyKey: "key-pg-m",
        runId: "run-a",
        now: T0,
        leaseMs: 60_000,
        maxAttempts: 3,
      }),
    ).rejects.toThrow(/unprocessed/);
  });
});
