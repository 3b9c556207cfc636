import type { AttributeValue, WriteRequest } from "@aws-sdk/client-dynamodb";
import { toAttributes as attributes, type DynamoDbWire } from "./dynamodb-wire.ts";

/** BatchWriteItem's own limit. */
const MAX_BATCH = 25;
/** Rounds for items DynamoDB hands back unprocessed (throttled), with a doubling pause. */
const UNPROCESSED_ROUNDS = 4;
const FIRST_PAUSE_MS = 25;
/** How long a write waits for others to share its call: well under one DynamoDB call. */
const COALESCE_MS = 2;

export interface LedgerBatchWriterOptions {
  readonly wire: DynamoDbWire;
  readonly tableName: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Entry {
  readonly request: WriteRequest;
  readonly key: string;
  /** A write a later step relies on: it fails its caller if it cannot land. */
  readonly required: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const keyPart = (value: AttributeValue | undefined): string =>
  value !== undefined && "S" in value ? String(value.S) : "";

const itemKey = (request: WriteRequest): string => {
  const key = request.PutRequest?.Item ?? request.DeleteRequest?.Key;
  return `${keyPart(key?.pk)}\u0000${keyPart(key?.sk)}`;
};

/**
 * The ledger's unconditional single-item writes (open-claim markers, history lines), gathered
 * into BatchWriteItem requests. Each DynamoDB call costs a run CPU whatever it carries
 * (signing, serializing, a socket write: about 1.3 ms through the SDK, a few tenths of one
 * over the wire it now takes), and a cancel makes several such writes: on a Lambda's
 * fraction of a vCPU, the calls, not the items, are the cost. Writes asked for within
 * COALESCE_MS of each other go out together (25 at once go at once), so a run cancelling many
 * payments at once pays for a few calls, and a lone write waits that long. Waiting one turn
 * of the event loop instead gathered about 4 writes a call at 1M (913 calls for 1,000
 * cancels); 2 ms gathers about 7 (579 calls), and the cancel step's wall time did not grow.
 *
 * Every caller still awaits its own write, so nothing is left in flight when a run returns
 * (a Lambda is frozen then). Conditional writes never come here: a batch cannot carry a
 * condition, and the claims are what keep a payment from being cancelled twice.
 */
export function createLedgerBatchWriter({
  wire,
  tableName,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}: LedgerBatchWriterOptions) {
  let queue: Entry[] = [];
  let scheduled = false;
  /** Keys in a batch still in flight: a later write of the same item waits for it. */
  const inFlight = new Set<string>();

  const schedule = () => {
    if (scheduled || queue.length === 0) return;
    scheduled = true;
    setTimeout(flush, COALESCE_MS);
  };

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const batch: Entry[] = [];
      const rest: Entry[] = [];
      const taken = new Set<string>();
      // One request may not name an item twice, and two writes of one item keep their order:
      // a key already taken or in flight defers this entry and every later one of that key.
      const held = new Set<string>();
      for (const entry of queue) {
        if (
          batch.length < MAX_BATCH &&
          !taken.has(entry.key) &&
          !held.has(entry.key) &&
          !inFlight.has(entry.key)
        ) {
          batch.push(entry);
          taken.add(entry.key);
        } else {
          rest.push(entry);
          held.add(entry.key);
        }
      }
      queue = rest;
      if (batch.length === 0) return; // What is left waits for a batch in flight.
      for (const entry of batch) inFlight.add(entry.key);
      void send(batch).finally(() => {
        for (const entry of batch) inFlight.delete(entry.key);
        schedule();
      });
    }
  }

  async function send(batch: Entry[]): Promise<void> {
    let pending = batch;
    let failure: Error | undefined;
    try {
      for (let round = 0; round < UNPROCESSED_ROUNDS && pending.length > 0; round++) {
        if (round > 0) await sleep(FIRST_PAUSE_MS * 2 ** (round - 1));
        const answer = await wire.send("BatchWriteItem", {
          RequestItems: { [tableName]: pending.map((entry) => entry.request) },
        });
        const unprocessed = new Set(
          (answer.UnprocessedItems?.[tableName] ?? []).map((request) => itemKey(request)),
        );
        pending = pending.filter((entry) => {
          if (unprocessed.has(entry.key)) return true;
          entry.resolve();
          return false;
        });
      }
      if (pending.length > 0) {
        failure = new Error(
          `ledger ${tableName}: DynamoDB left ${pending.length} write(s) unprocessed after ${UNPROCESSED_ROUNDS} rounds`,
        );
      }
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    for (const entry of pending) {
      // A best-effort write (a history line, a marker's removal) is dropped, not failed:
      // the record it describes is already written.
      if (entry.required && failure !== undefined) entry.reject(failure);
      else entry.resolve();
    }
  }

  const write = (request: WriteRequest, required: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      queue.push({ request, key: itemKey(request), required, resolve, reject });
      if (queue.length >= MAX_BATCH) flush();
      else schedule();
    });

  return {
    /** Lands, or rejects with what stopped it. */
    put: (item: Record<string, unknown>): Promise<void> =>
      write({ PutRequest: { Item: attributes(item) } }, true),
    /** Never rejects: a write that cannot land is dropped. */
    putBestEffort: (item: Record<string, unknown>): Promise<void> =>
      write({ PutRequest: { Item: attributes(item) } }, false),
    /** Never rejects. */
    deleteBestEffort: (key: { readonly pk: string; readonly sk: string }): Promise<void> =>
      write({ DeleteRequest: { Key: attributes({ pk: key.pk, sk: key.sk }) } }, false),
  };
}
