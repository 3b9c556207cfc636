import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { decideClaim } from "../core/claim-rules.ts";
import type { BackfillSliceTag } from "../core/config.ts";
import type { Finding, RunReport } from "../core/model.ts";
import type {
  CancelRecord,
  CancelState,
  ClaimOutcomeState,
  ClaimRequest,
  ClaimResult,
  FinalCancelState,
  Ledger,
  LockResult,
  OpenClaim,
} from "../ports/ledger.ts";
import { toAttributes as attributes } from "./dynamodb-wire.ts";
import { createLedgerBatchWriter } from "./ledger-batch-writer.ts";
import type { LedgerClients } from "./ledger-table.ts";

export interface DynamoDbLedgerOptions {
  readonly clients: LedgerClients;
  readonly tableName: string;
}

type Item = Record<string, unknown>;
type Key = { readonly pk: string; readonly sk: string };

/** Losing this many optimistic races in one claim means the payment is being fought over. */
const MAX_CLAIM_ROUNDS = 3;
const MAX_LOCK_ROUNDS = 3;
/** DynamoDB items stop at 400 KB; this leaves room for the other run attributes. */
const MAX_REPORT_BYTES = 300 * 1024;

const CANCEL_STATES: readonly CancelState[] = [
  "CLAIMED",
  "REQUESTED",
  "CANCELLED",
  "ALREADY_CANCELLED",
  "FAILED",
];

export const cancelKey = (pgUid: string): Key => ({ pk: `PAY#${pgUid}`, sk: "CANCEL" });
export const findingKey = (pgUid: string, kind: string): Key => ({
  pk: `PAY#${pgUid}`,
  sk: `FINDING#${kind}`,
});
export const LOCK_KEY: Key = { pk: "LOCK", sk: "RUN" };
/**
 * One marker per open claim, so open claims can be listed without a scan or an index. It is
 * written before the claim and deleted after it closes; a marker left behind by a crash
 * points at a closed or missing record and is tidied away by the next listing.
 */
export const OPEN_CLAIMS_PK = "CLAIMS#OPEN";
export const openClaimKey = (pgUid: string): Key => ({ pk: OPEN_CLAIMS_PK, sk: pgUid });
export const runPartition = (day: string): string => `RUN#${day}`;
/** A backfill's slice reports, by pass and slice start: ISO instants of one format sort in time. */
export const backfillPartition = (backfillId: string): string => `BACKFILL#${backfillId}`;
const backfillSliceKey = (slice: BackfillSliceTag, from: string): Key => ({
  pk: backfillPartition(slice.backfillId),
  sk: `${slice.pass.toUpperCase()}#${from}`,
});
/**
 * One index item per finding a person must see, so listing them is a query on one
 * partition, never a scan. Written once, the first time the finding is recorded.
 */
export const FINDINGS_PK = "FINDINGS";
export const findingIndexKey = (pgUid: string, kind: string): Key => ({
  pk: FINDINGS_PK,
  sk: `${pgUid}#${kind}`,
});
/** History items sort by time beside the payment's records: `HIST#<at>#<run>#<seq>`. */
export const HISTORY_PREFIX = "HIST#";

/** Every item of one partition, in key order (or reversed), through all its pages. */
export async function queryPartition(
  client: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  newestFirst = false,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": pk },
        ConsistentRead: true,
        ScanIndexForward: !newestFirst,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

let historySeq = 0;

/** A history line's item; its key is fixed here, before the first try. */
function historyItem(pgUid: string, at: number, runId: string, what: string): Item {
  historySeq = (historySeq + 1) % 1_000_000;
  const sk = `${HISTORY_PREFIX}${iso(at)}#${runId}#${String(historySeq).padStart(6, "0")}`;
  return { pk: `PAY#${pgUid}`, sk, type: "history", at: iso(at), runId, what };
}

/**
 * A line of a payment's story, written right after the state change it tells of. It cannot
 * be atomic with it (single-item writes only), so its key is fixed before the first try: a
 * write the SDK sends twice lands on the same item. The record is the truth and the line
 * only tells it: a line that cannot be written (after the SDK's retries) is dropped rather
 * than fail a cancel that already happened, and a crash between the two loses only the line.
 */
export function historyWriter(client: DynamoDBDocumentClient, tableName: string) {
  return async (pgUid: string, at: number, runId: string, what: string): Promise<void> => {
    await client
      .send(new PutCommand({ TableName: tableName, Item: historyItem(pgUid, at, runId, what) }))
      .catch(() => undefined);
  };
}

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/**
 * Only a failed condition is an expected outcome here. By name rather than `instanceof`,
 * because a second copy of the SDK in node_modules would defeat the class check.
 */
export const isConditionFailed = (error: unknown): boolean =>
  error instanceof Error && error.name === "ConditionalCheckFailedException";

/** Every attribute goes through a placeholder, so reserved words (`state`, `owner`...) never bite. */
const names = (...attributes: string[]): Record<string, string> =>
  Object.fromEntries(attributes.map((attribute) => [`#${attribute}`, attribute]));

/** `SET #a = :a, #b = :b` for attributes whose values are passed through `placeholders`. */
const setExpression = (attributes: readonly string[]): string =>
  `SET ${attributes.map((attribute) => `#${attribute} = :${attribute}`).join(", ")}`;

const placeholders = (values: Item): Item =>
  Object.fromEntries(Object.entries(values).map(([attribute, value]) => [`:${attribute}`, value]));

const requireString = (item: Item, attribute: string): string => {
  const value = item[attribute];
  if (typeof value !== "string") throw corruptItem(item, attribute);
  return value;
};

const requireNumber = (item: Item, attribute: string): number => {
  const value = item[attribute];
  if (typeof value !== "number" || !Number.isFinite(value)) throw corruptItem(item, attribute);
  return value;
};

// A record we cannot read must stop the run: guessing could mean a second refund.
const corruptItem = (item: Item, attribute: string): Error =>
  new Error(
    `ledger item ${String(item.pk)}/${String(item.sk)} has a missing or invalid "${attribute}"`,
  );

const isCancelState = (value: string): value is CancelState =>
  (CANCEL_STATES as readonly string[]).includes(value);

const parseCancelRecord = (item: Item): CancelRecord => {
  const state = requireString(item, "state");
  if (!isCancelState(state)) throw corruptItem(item, "state");
  const lastError = item.lastError;
  return {
    state,
    owner: requireString(item, "owner"),
    leaseUntil: requireNumber(item, "leaseUntil"),
    attempts: requireNumber(item, "attempts"),
    idempotencyKey: requireString(item, "idempotencyKey"),
    ...(typeof lastError === "string" ? { lastError } : {}),
  };
};

export const createDynamoDbLedger = ({ clients, tableName }: DynamoDbLedgerOptions): Ledger => {
  // The writes every cancel makes (its claim, its outcome, the batches) go over the wire
  // (dynamodb-wire.ts), at a fraction of the SDK's CPU a call; the rest through the
  // document client.
  const { doc: client, wire } = clients;
  // Markers and history lines are plain writes of their own items: they go out in batches
  // shared by the run's concurrent cancels (ledger-batch-writer.ts).
  const batch = createLedgerBatchWriter({ wire, tableName });
  const history = (pgUid: string, at: number, runId: string, what: string): Promise<void> =>
    batch.putBestEffort(historyItem(pgUid, at, runId, what));

  const readItem = async (key: Key): Promise<Item | undefined> => {
    const output = await client.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return output.Item;
  };

  /** Runs a conditional write; `false` when the condition failed, any other error propagates. */
  const writeIf = async (send: () => Promise<unknown>): Promise<boolean> => {
    try {
      await send();
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  };

  const markOpen = (pgUid: string, now: number): Promise<void> =>
    batch.put({ ...openClaimKey(pgUid), type: "open-claim", pgUid, markedAt: iso(now) });

  // Best effort: a marker that outlives its claim costs one read at the next listing.
  const unmarkOpen = (pgUid: string): Promise<void> => batch.deleteBestEffort(openClaimKey(pgUid));

  const putNewClaim = async (request: ClaimRequest): Promise<boolean> => {
    const claimed = await writeIf(() =>
      wire.send("PutItem", {
        TableName: tableName,
        Item: attributes({
          ...cancelKey(request.pgUid),
          type: "cancel",
          state: "CLAIMED",
          pgUid: request.pgUid,
          storeOrderId: request.storeOrderId,
          amount: request.amount,
          currency: request.currency,
          idempotencyKey: request.idempotencyKey,
          owner: request.runId,
          leaseUntil: request.now + request.leaseMs,
          attempts: 1,
          createdAt: iso(request.now),
          updatedAt: iso(request.now),
        }),
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    if (claimed) {
      await history(request.pgUid, request.now, request.runId, "claimed for cancelling, attempt 1");
    }
    return claimed;
  };

  /**
   * Optimistic: the write only lands if the record is still exactly the claim we looked at,
   * so two runs that both saw an expired lease cannot both take it over.
   */
  const updateSeenClaim = (
    pgUid: string,
    seen: CancelRecord,
    set: string,
    attributes: readonly string[],
    values: Item,
  ): Promise<boolean> =>
    writeIf(() =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: cancelKey(pgUid),
          UpdateExpression: set,
          ConditionExpression:
            "#state = :claimed AND #attempts = :seenAttempts AND #leaseUntil = :seenLease",
          ExpressionAttributeNames: names("state", "attempts", "leaseUntil", ...attributes),
          ExpressionAttributeValues: {
            ":claimed": "CLAIMED",
            ":seenAttempts": seen.attempts,
            ":seenLease": seen.leaseUntil,
            ...values,
          },
        }),
      ),
    );

  const takeOver = (request: ClaimRequest, seen: CancelRecord): Promise<boolean> =>
    updateSeenClaim(
      request.pgUid,
      seen,
      "SET #owner = :runId, #leaseUntil = :leaseUntil, #attempts = :attempts, #updatedAt = :now",
      ["owner", "updatedAt"],
      {
        ":runId": request.runId,
        ":leaseUntil": request.now + request.leaseMs,
        ":attempts": seen.attempts + 1,
        ":now": iso(request.now),
      },
    );

  const giveUp = (request: ClaimRequest, seen: CancelRecord, reason: string): Promise<boolean> =>
    updateSeenClaim(
      request.pgUid,
      seen,
      "SET #state = :failed, #lastError = :reason, #finishedBy = :runId, #updatedAt = :now",
      ["lastError", "finishedBy", "updatedAt"],
      {
        ":failed": "FAILED",
        ":reason": reason,
        ":runId": request.runId,
        ":now": iso(request.now),
      },
    );

  /** One read-decide-write round; `undefined` means a concurrent writer won and we must look again. */
  const claimRound = async (
    request: ClaimRequest,
    item: Item | undefined,
  ): Promise<ClaimResult | undefined> => {
    if (item === undefined) {
      return (await putNewClaim(request))
        ? { kind: "claimed", idempotencyKey: request.idempotencyKey, attempt: 1 }
        : undefined;
    }
    const seen = parseCancelRecord(item);
    const decision = decideClaim(seen, request);
    switch (decision.kind) {
      case "answer":
        return decision.result;
      case "giveUp":
        if (!(await giveUp(request, seen, decision.reason))) return undefined;
        await history(request.pgUid, request.now, request.runId, `FAILED: ${decision.reason}`);
        return { kind: "failed", reason: decision.reason };
      case "takeOver": {
        // The stored key, never the new one: the first attempt may have reached the gateway.
        if (!(await takeOver(request, seen))) return undefined;
        const lost = seen.lastError ?? "no answer was recorded";
        await history(
          request.pgUid,
          request.now,
          request.runId,
          `taken over from run ${seen.owner}, attempt ${seen.attempts + 1}, same key (${lost})`,
        );
        return { kind: "claimed", idempotencyKey: seen.idempotencyKey, attempt: seen.attempts + 1 };
      }
    }
  };

  const claimCancel = async (request: ClaimRequest): Promise<ClaimResult> => {
    // Both writes go out together: no gateway call starts until both have landed, so every
    // claim that may have reached the gateway has its marker.
    const [, fresh] = await Promise.all([
      markOpen(request.pgUid, request.now),
      putNewClaim(request),
    ]);
    if (fresh) {
      return { kind: "claimed", idempotencyKey: request.idempotencyKey, attempt: 1 };
    }
    let lastSeen: Item | undefined;
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      lastSeen = await readItem(cancelKey(request.pgUid));
      const result = await claimRound(request, lastSeen);
      if (result === undefined) continue;
      // The marker written above points at a closed record: drop it now rather than leave
      // every later run to read and delete it. A live claim (busy) keeps its marker.
      // A REQUESTED record stays listed: a later run's lookup closes it.
      const closed =
        (result.kind === "done" && result.state !== "REQUESTED") || result.kind === "failed";
      if (closed) await unmarkOpen(request.pgUid);
      return result;
    }
    return busyAfterRaces(lastSeen, request.now);
  };

  /**
   * Moves an open claim to `state` when `condition` holds, and drops its open-claim marker
   * once it is final (a `REQUESTED` one stays listed until a later run closes it). `false`
   * when the condition failed.
   */
  const closeClaim = async (
    pgUid: string,
    runId: string,
    now: number,
    state: ClaimOutcomeState,
    detail: string | undefined,
    condition: { expression: string; names: string[]; values: Item },
  ): Promise<boolean> => {
    const assignments: Item = { state, updatedAt: iso(now), finishedBy: runId };
    if (detail !== undefined) {
      assignments.detail = detail;
      if (state === "FAILED") assignments.lastError = detail;
    }
    const assigned = Object.keys(assignments);
    const closed = await writeIf(() =>
      wire.send("UpdateItem", {
        TableName: tableName,
        Key: attributes(cancelKey(pgUid)),
        UpdateExpression: setExpression(assigned),
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: names(...assigned, ...condition.names),
        ExpressionAttributeValues: attributes({
          ...placeholders(assignments),
          ...condition.values,
        }),
      }),
    );
    if (closed) {
      const line = `${state}${detail === undefined ? "" : `: ${detail}`}`;
      await Promise.all([
        history(pgUid, now, runId, line),
        state === "REQUESTED" ? undefined : unmarkOpen(pgUid),
      ]);
    }
    return closed;
  };

  const completeCancel = async (
    pgUid: string,
    runId: string,
    state: ClaimOutcomeState,
    now: number,
    detail?: string,
  ): Promise<void> => {
    // A failed condition means another run took the claim over; it finishes with the same key.
    await closeClaim(pgUid, runId, now, state, detail, {
      expression: "#state = :claimed AND #owner = :runId",
      names: ["owner"],
      values: { ":claimed": "CLAIMED", ":runId": runId },
    });
  };

  const openClaims = async (): Promise<OpenClaim[]> => {
    const open: OpenClaim[] = [];
    for (const marker of await queryPartition(client, tableName, OPEN_CLAIMS_PK)) {
      const pgUid = requireString(marker, "sk");
      const item = await readItem(cancelKey(pgUid));
      const record = item === undefined ? undefined : parseCancelRecord(item);
      if (record?.state !== "CLAIMED" && record?.state !== "REQUESTED") {
        await unmarkOpen(pgUid);
        continue;
      }
      open.push({
        pgUid,
        state: record.state,
        ...(typeof item?.storeOrderId === "string" ? { storeOrderId: item.storeOrderId } : {}),
        ...(typeof item?.amount === "number" ? { amount: item.amount } : {}),
        owner: record.owner,
        leaseUntil: record.leaseUntil,
        attempts: record.attempts,
      });
    }
    return open;
  };

  const closeExpiredClaim = (
    pgUid: string,
    runId: string,
    now: number,
    state: FinalCancelState,
    detail: string,
  ): Promise<boolean> =>
    // Only a claim nobody holds any more (a live owner may be mid-call), or one the gateway
    // accepted and nobody holds at all.
    closeClaim(pgUid, runId, now, state, detail, {
      expression: "(#state = :claimed AND #leaseUntil <= :now) OR #state = :requested",
      names: ["leaseUntil"],
      values: { ":claimed": "CLAIMED", ":requested": "REQUESTED", ":now": now },
    });

  const releaseCancel = async (
    pgUid: string,
    runId: string,
    now: number,
    error: string,
  ): Promise<void> => {
    // Ending the lease at `now` lets the next run resume at once instead of waiting it out.
    const released = await writeIf(() =>
      client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: cancelKey(pgUid),
          UpdateExpression: "SET #leaseUntil = :now, #lastError = :error, #updatedAt = :nowIso",
          ConditionExpression: "#state = :claimed AND #owner = :runId",
          ExpressionAttributeNames: names("leaseUntil", "lastError", "updatedAt", "state", "owner"),
          ExpressionAttributeValues: {
            ":now": now,
            ":error": error,
            ":nowIso": iso(now),
            ":claimed": "CLAIMED",
            ":runId": runId,
          },
        }),
      ),
    );
    if (released) await history(pgUid, now, runId, `released for a later run, same key: ${error}`);
  };

  const recordFinding = async (
    finding: Finding,
    runId: string,
    now: number,
  ): Promise<{ raised: boolean }> => {
    const optional: Item = {
      pgAmount: finding.pgAmount,
      orderAmount: finding.orderAmount,
      otherPgUids: finding.otherPgUids === undefined ? undefined : [...finding.otherPgUids],
      reason: finding.reason,
    };
    const fields: Item = {
      type: "finding",
      kind: finding.kind,
      pgUid: finding.pgUid,
      storeOrderId: finding.storeOrderId,
      lastSeenAt: iso(now),
      lastRunId: runId,
      ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    };
    const attributes = Object.keys(fields);
    const { Attributes: before } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: findingKey(finding.pgUid, finding.kind),
        // Re-seeing a finding must not move when it was first seen, only count it.
        UpdateExpression: `${setExpression(attributes)}, #firstSeenAt = if_not_exists(#firstSeenAt, :lastSeenAt), #firstRunId = if_not_exists(#firstRunId, :lastRunId) ADD #seenCount :one`,
        ExpressionAttributeNames: names(...attributes, "firstSeenAt", "firstRunId", "seenCount"),
        ExpressionAttributeValues: { ...placeholders(fields), ":one": 1 },
        // The item as it was: one write both records the sighting and says if it is new.
        ReturnValues: "ALL_OLD",
      }),
    );
    const raised = before?.firstSeenAt === undefined && before?.resolved === undefined;
    // Until its index item is known written (a crash may come between), every sighting
    // tries again; after that, a sighting costs this one update.
    if (before?.indexed !== true) {
      await writeIf(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: {
              ...findingIndexKey(finding.pgUid, finding.kind),
              type: "finding-index",
              kind: finding.kind,
              pgUid: finding.pgUid,
              storeOrderId: finding.storeOrderId,
              ...(finding.reason === undefined ? {} : { reason: finding.reason }),
              raisedAt: typeof before?.firstSeenAt === "string" ? before.firstSeenAt : iso(now),
              runId: typeof before?.firstRunId === "string" ? before.firstRunId : runId,
              ...(before?.resolved === undefined ? {} : { resolved: before.resolved }),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        ),
      );
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: findingKey(finding.pgUid, finding.kind),
          UpdateExpression: "SET #indexed = :yes",
          ExpressionAttributeNames: names("indexed"),
          ExpressionAttributeValues: { ":yes": true },
        }),
      );
    }
    if (raised) {
      await history(finding.pgUid, now, runId, `${finding.kind} raised: ${finding.reason ?? ""}`);
    }
    return { raised };
  };

  const putLock = (runId: string, now: number, leaseMs: number): Promise<boolean> =>
    writeIf(() =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...LOCK_KEY,
            type: "lock",
            owner: runId,
            leaseUntil: now + leaseMs,
            acquiredAt: iso(now),
          },
          ConditionExpression: "attribute_not_exists(pk) OR #leaseUntil < :now OR #owner = :runId",
          ExpressionAttributeNames: names("leaseUntil", "owner"),
          ExpressionAttributeValues: { ":now": now, ":runId": runId },
        }),
      ),
    );

  const acquireRunLock = async (
    runId: string,
    now: number,
    leaseMs: number,
  ): Promise<LockResult> => {
    for (let round = 0; round < MAX_LOCK_ROUNDS; round++) {
      if (await putLock(runId, now, leaseMs)) return { acquired: true };
      const holder = await readItem(LOCK_KEY);
      // Released between our write and our read: worth another try.
      if (holder !== undefined) {
        return {
          acquired: false,
          owner: requireString(holder, "owner"),
          leaseUntil: requireNumber(holder, "leaseUntil"),
        };
      }
    }
    throw new Error(
      `run lock in ${tableName} kept changing hands; gave up after ${MAX_LOCK_ROUNDS} tries`,
    );
  };

  const releaseRunLock = async (runId: string): Promise<void> => {
    // A failed condition means the lock is gone or another run holds it: nothing of ours to free.
    await writeIf(() =>
      client.send(
        new DeleteCommand({
          TableName: tableName,
          Key: LOCK_KEY,
          ConditionExpression: "#owner = :runId",
          ExpressionAttributeNames: names("owner"),
          ExpressionAttributeValues: { ":runId": runId },
        }),
      ),
    );
  };

  const recordRun = async (
    report: RunReport,
    expiresAtSeconds: number,
    slice?: BackfillSliceTag,
  ): Promise<void> => {
    const { json, truncated } = serializeReport(report);
    const summary = {
      type: "run",
      runId: report.runId,
      status: report.status,
      dryRun: report.dryRun,
      windowFrom: report.window.from,
      windowTo: report.window.to,
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      durationMs: report.durationMs,
      counts: { ...report.counts },
      report: json,
      ...(truncated ? { reportTruncated: true } : {}),
      ...(slice === undefined ? {} : { backfillId: slice.backfillId, pass: slice.pass }),
      expires_at: Math.floor(expiresAtSeconds),
    };
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: runPartition(utcDay(report.startedAt)),
          sk: `${report.startedAt}#${report.runId}`,
          ...summary,
        },
      }),
    );
    // Keyed by the slice's window, not the run: a slice the state machine retried replaces its
    // failed attempt, so the backfill's report reads one outcome per slice.
    if (slice !== undefined) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...backfillSliceKey(slice, report.window.from), ...summary },
        }),
      );
    }
  };

  const backfillSlices = async (
    backfillId: string,
    pass: BackfillSliceTag["pass"],
  ): Promise<RunReport[]> => {
    const prefix = `${pass.toUpperCase()}#`;
    const items = await queryPartition(client, tableName, backfillPartition(backfillId));
    return items
      .filter((item) => typeof item.sk === "string" && item.sk.startsWith(prefix))
      .map((item) => JSON.parse(requireString(item, "report")) as RunReport);
  };

  return {
    claimCancel,
    completeCancel,
    releaseCancel,
    openClaims,
    closeExpiredClaim,
    recordFinding,
    acquireRunLock,
    releaseRunLock,
    recordRun,
    backfillSlices,
  };
};

const busyAfterRaces = (lastSeen: Item | undefined, now: number): ClaimResult => {
  const owner = lastSeen?.owner;
  const leaseUntil = lastSeen?.leaseUntil;
  return {
    kind: "busy",
    owner: typeof owner === "string" ? owner : "unknown",
    leaseUntil: typeof leaseUntil === "number" ? leaseUntil : now,
  };
};

export const utcDay = (isoTimestamp: string): string => {
  const epochMs = Date.parse(isoTimestamp);
  if (Number.isNaN(epochMs))
    throw new Error(`run report has an invalid startedAt: ${isoTimestamp}`);
  return iso(epochMs).slice(0, 10);
};

/** The per-payment lists are what grow; counts and errors still tell the story without them. */
const serializeReport = (report: RunReport): { json: string; truncated: boolean } => {
  const json = JSON.stringify(report);
  if (Buffer.byteLength(json, "utf8") <= MAX_REPORT_BYTES) return { json, truncated: false };
  return {
    json: JSON.stringify({ ...report, cancelled: [], findings: [], reportTruncated: true }),
    truncated: true,
  };
};
