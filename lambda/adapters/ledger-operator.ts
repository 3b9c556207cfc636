import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { FindingKind, RunReport } from "../core/model.ts";
import {
  cancelKey,
  FINDINGS_PK,
  findingIndexKey,
  findingKey,
  HISTORY_PREFIX,
  historyWriter,
  isConditionFailed,
  queryPartition,
  runPartition,
} from "./dynamodb-ledger.ts";

/** Contracts §5: a finding as `ledger findings` and `ledger payment` show it. */
export interface FindingView {
  readonly kind: string;
  readonly pgUid: string;
  readonly storeOrderId: string;
  readonly reason: string;
  readonly raisedAt: string;
  readonly runId: string;
  readonly resolved: { readonly at: string; readonly by: string; readonly note: string } | null;
}

export interface PaymentStory {
  readonly pgUid: string;
  readonly state: "NONE" | "CLAIMED" | "REQUESTED" | "CANCELLED" | "ALREADY_CANCELLED" | "FAILED";
  readonly attempts: number;
  readonly idempotencyKey: string | null;
  readonly findings: FindingView[];
  readonly history: { readonly at: string; readonly runId: string; readonly what: string }[];
}

export type RunSummary = Omit<RunReport, "cancelled" | "findings">;

/** `ledger resolve` of a payment and kind the ledger has no finding for. */
export class UnknownFinding extends Error {
  override readonly name = "UnknownFinding";
}

/** The kinds a person resolves: a `WOULD_CANCEL` is only ever in a report. */
export const RESOLVABLE_KINDS: readonly FindingKind[] = [
  "AMOUNT_MISMATCH",
  "DUPLICATE_PAYMENT",
  "CANCEL_FAILED",
];

type Item = Record<string, unknown>;

const text = (item: Item | undefined, name: string): string => {
  const value = item?.[name];
  return typeof value === "string" ? value : "";
};

const resolvedOf = (item: Item | undefined): FindingView["resolved"] => {
  const value = item?.resolved;
  if (typeof value !== "object" || value === null) return null;
  const r = value as Item;
  return { at: text(r, "at"), by: text(r, "by"), note: text(r, "note") };
};

/**
 * What an operator reads and does with the ledger (`paysync ledger`), on the same table
 * and the same key layout as the ledger adapter: a payment's story, the findings waiting
 * for a person, a day's runs, and marking a finding handled.
 */
export function createLedgerOperator({
  client,
  tableName,
}: {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}) {
  const history = historyWriter(client, tableName);

  const queryAll = (pk: string, newestFirst = false) =>
    queryPartition(client, tableName, pk, newestFirst);

  /** The finding as listed: its index item for when and by whom, its record for its state. */
  const view = (record: Item, index: Item | undefined): FindingView => ({
    kind: text(record, "kind"),
    pgUid: text(record, "pgUid"),
    storeOrderId: text(record, "storeOrderId"),
    reason: text(record, "reason"),
    raisedAt: text(index, "raisedAt") || text(record, "firstSeenAt"),
    runId: text(index, "runId") || text(record, "firstRunId") || text(record, "lastRunId"),
    resolved: resolvedOf(record) ?? resolvedOf(index),
  });

  return {
    async payment(pgUid: string): Promise<PaymentStory> {
      const items = await queryAll(cancelKey(pgUid).pk);
      const cancel = items.find((item) => item.sk === cancelKey(pgUid).sk);
      const findings = items
        .filter((item) => text(item, "sk").startsWith("FINDING#"))
        .map((record) => view(record, undefined));
      const entries = items
        .filter((item) => text(item, "sk").startsWith(HISTORY_PREFIX))
        .map((item) => ({
          at: text(item, "at"),
          runId: text(item, "runId"),
          what: text(item, "what"),
        }));
      const state = text(cancel, "state");
      return {
        pgUid,
        state: cancel === undefined ? "NONE" : (state as PaymentStory["state"]),
        attempts: typeof cancel?.attempts === "number" ? cancel.attempts : 0,
        idempotencyKey: cancel === undefined ? null : text(cancel, "idempotencyKey"),
        findings,
        history: entries,
      };
    },

    /** Newest first; unresolved only unless `all`. One partition, never a scan. */
    async findings(options: { kind?: string; since?: number; all?: boolean } = {}) {
      const listed = (await queryAll(FINDINGS_PK))
        .map((index) => view({ ...index, resolved: index.resolved }, index))
        .filter((finding) => options.all || finding.resolved === null)
        .filter((finding) => options.kind === undefined || finding.kind === options.kind)
        .filter(
          (finding) => options.since === undefined || Date.parse(finding.raisedAt) >= options.since,
        );
      return listed.sort((a, b) =>
        a.raisedAt < b.raisedAt ? 1 : a.raisedAt > b.raisedAt ? -1 : 0,
      );
    },

    /** The UTC day's runs, newest first, without their lists. */
    async runs(day: string): Promise<RunSummary[]> {
      return (await queryAll(runPartition(day), true)).map((item) => {
        const report = JSON.parse(text(item, "report") || "{}") as RunReport;
        const { cancelled: _cancelled, findings: _findings, ...summary } = report;
        return summary;
      });
    },

    /** Marks a finding handled; it leaves `findings`, and later runs stay quiet about it. */
    async resolve(
      pgUid: string,
      kind: string,
      by: { readonly note: string; readonly by: string; readonly now: number },
    ): Promise<FindingView> {
      const resolved = { at: new Date(by.now).toISOString(), by: by.by, note: by.note };
      const markResolved = (key: { pk: string; sk: string }) =>
        client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression: "SET #resolved = :resolved",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: { "#resolved": "resolved" },
            ExpressionAttributeValues: { ":resolved": resolved },
            ReturnValues: "ALL_NEW",
          }),
        );
      let record: Item | undefined;
      try {
        ({ Attributes: record } = await markResolved(findingKey(pgUid, kind)));
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
        const known = (await queryAll(cancelKey(pgUid).pk)).length > 0;
        throw new UnknownFinding(
          known ? `payment ${pgUid} has no ${kind} finding` : `no payment ${pgUid} in the ledger`,
        );
      }
      // The index item may be missing after a crash; the next sighting writes it, resolved.
      await markResolved(findingIndexKey(pgUid, kind)).catch((error: unknown) => {
        if (!isConditionFailed(error)) throw error;
      });
      await history(pgUid, by.now, `operator:${by.by}`, `${kind} resolved by ${by.by}: ${by.note}`);
      return view(record ?? {}, undefined);
    },
  };
}

export type LedgerOperator = ReturnType<typeof createLedgerOperator>;
