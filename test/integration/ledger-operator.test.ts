import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDynamoDbLedger } from "../../lambda/adapters/dynamodb-ledger.ts";
import { createLedgerOperator } from "../../lambda/adapters/ledger-operator.ts";
import {
  createDocumentClient,
  ensureLedgerTable,
  type LedgerClients,
} from "../../lambda/adapters/ledger-table.ts";
import { emptyCounts, type Finding, type RunReport } from "../../lambda/core/model.ts";
import type { ClaimRequest } from "../../lambda/ports/ledger.ts";
import { type EmbeddedDynalite, startDynalite } from "../../local/embedded/dynalite.ts";
import { runCli } from "../support/cli.ts";

/** The operator's view of the ledger (contracts §5 `paysync ledger`), on dynalite. */

const T0 = Date.parse("2026-11-24T01:00:00.000Z");
const LEASE = 60_000;

let dynamo: EmbeddedDynalite;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let clients: LedgerClients;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  clients = createDocumentClient({ endpoint: dynamo.endpoint });
  ({ client, doc } = clients);
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

async function fresh() {
  const tableName = `operator-${++tables}`;
  await ensureLedgerTable(client, tableName);
  return {
    tableName,
    ledger: createDynamoDbLedger({ clients, tableName }),
    operator: createLedgerOperator({ client: doc, tableName }),
    cli: (args: string[]) =>
      runCli(["ledger", ...args], { DYNAMODB_ENDPOINT: dynamo.endpoint, LEDGER_TABLE: tableName }),
  };
}

const claim = (overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
  pgUid: "PG12",
  storeOrderId: "2",
  amount: 15000,
  currency: "KRW",
  idempotencyKey: "paysync-cancel-abc",
  runId: "run-a",
  now: T0,
  leaseMs: LEASE,
  maxAttempts: 5,
  ...overrides,
});

const mismatch: Finding = {
  kind: "AMOUNT_MISMATCH",
  pgUid: "PG13",
  storeOrderId: "3",
  pgAmount: 15000,
  orderAmount: 25000,
  reason: "the gateway charged 15000 but order 3 is for 25000",
};

describe("ledger payment: one payment's story", () => {
  it("tells a claim, a lost answer, a takeover and a completion, in order, with the one key", async () => {
    const { ledger, operator, cli } = await fresh();
    expect(await operator.payment("PG12")).toMatchObject({
      state: "NONE",
      idempotencyKey: null,
      history: [],
    });

    await ledger.claimCancel(claim());
    await ledger.releaseCancel(
      "PG12",
      "run-a",
      T0 + 1_000,
      "POST /v1/payments/PG12/cancel timed out",
    );
    await ledger.claimCancel(claim({ runId: "run-b", now: T0 + 2_000 }));
    await ledger.completeCancel("PG12", "run-b", "CANCELLED", T0 + 3_000);

    const story = await operator.payment("PG12");
    expect(story).toMatchObject({
      pgUid: "PG12",
      state: "CANCELLED",
      attempts: 2,
      idempotencyKey: "paysync-cancel-abc",
      findings: [],
    });
    expect(story.history.map((h) => [h.runId, h.what])).toEqual([
      ["run-a", "claimed for cancelling, attempt 1"],
      ["run-a", expect.stringMatching(/^released for a later run, same key: .*timed out/)],
      ["run-b", expect.stringMatching(/^taken over from run run-a, attempt 2, same key/)],
      ["run-b", "CANCELLED"],
    ]);
    expect(story.history.map((h) => h.at)).toEqual(
      [T0, T0 + 1_000, T0 + 2_000, T0 + 3_000].map((t) => new Date(t).toISOString()),
    );

    const json = await cli(["payment", "PG12", "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(story);
    const human = await cli(["payment", "PG12"]);
    expect(human.stdout).toMatch(/PG12: CANCELLED, 2 attempt\(s\), key paysync-cancel-abc/);
    expect(human.stdout).toMatch(/taken over from run run-a/);
  });
});

describe("ledger findings and resolve", () => {
  it("lists what waits for a person, newest first; a resolved finding leaves the list and stays quiet", async () => {
    const { ledger, operator, cli } = await fresh();
    const failed: Finding = {
      kind: "CANCEL_FAILED",
      pgUid: "PG19",
      storeOrderId: "9",
      reason: "refused",
    };
    expect(await ledger.recordFinding(mismatch, "run-a", T0)).toEqual({ raised: true });
    expect(await ledger.recordFinding(failed, "run-a", T0 + 5_000)).toEqual({ raised: true });
    // Every later run sees them again: not news.
    expect(await ledger.recordFinding(mismatch, "run-b", T0 + 60_000)).toEqual({ raised: false });

    const open = await operator.findings();
    expect(open.map((f) => [f.kind, f.pgUid, f.raisedAt, f.runId, f.resolved])).toEqual([
      ["CANCEL_FAILED", "PG19", new Date(T0 + 5_000).toISOString(), "run-a", null],
      ["AMOUNT_MISMATCH", "PG13", new Date(T0).toISOString(), "run-a", null],
    ]);
    const listed = await cli(["findings", "--json", "--kind", "AMOUNT_MISMATCH"]);
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        kind: "AMOUNT_MISMATCH",
        pgUid: "PG13",
        storeOrderId: "3",
        reason: mismatch.reason,
        raisedAt: new Date(T0).toISOString(),
        runId: "run-a",
        resolved: null,
      },
    ]);

    const resolved = await cli([
      "resolve",
      "PG13",
      "--kind",
      "AMOUNT_MISMATCH",
      "--note",
      "order 3 corrected to 15000",
      "--by",
      "kim",
    ]);
    expect(resolved.code).toBe(0);
    expect((await operator.findings()).map((f) => f.pgUid)).toEqual(["PG19"]);
    const all = await operator.findings({ all: true });
    expect(all.find((f) => f.pgUid === "PG13")?.resolved).toMatchObject({
      by: "kim",
      note: "order 3 corrected to 15000",
    });
    // A later run that sees it raises nothing new.
    expect(await ledger.recordFinding(mismatch, "run-c", T0 + 120_000)).toEqual({ raised: false });
    expect((await operator.payment("PG13")).history.map((h) => h.what)).toEqual([
      expect.stringMatching(/^AMOUNT_MISMATCH raised/),
      "AMOUNT_MISMATCH resolved by kim: order 3 corrected to 15000",
    ]);
    const since = await operator.findings({ since: T0 + 1_000, all: true });
    expect(since.map((f) => f.pgUid)).toEqual(["PG19"]);
  });

  it("refuses an unknown payment or kind with exit 1 and writes nothing", async () => {
    const { ledger, operator, cli } = await fresh();
    await ledger.recordFinding(mismatch, "run-a", T0);
    const unknownPayment = await cli([
      "resolve",
      "PG404",
      "--kind",
      "AMOUNT_MISMATCH",
      "--note",
      "x",
    ]);
    expect(unknownPayment.code).toBe(1);
    expect(unknownPayment.stderr).toMatch(/no payment PG404/);
    const unknownKind = await cli(["resolve", "PG13", "--kind", "CANCEL_FAILED", "--note", "x"]);
    expect(unknownKind.code).toBe(1);
    expect(unknownKind.stderr).toMatch(/PG13 has no CANCEL_FAILED finding/);
    expect(await operator.payment("PG404")).toMatchObject({
      state: "NONE",
      history: [],
      findings: [],
    });
    expect((await operator.findings()).map((f) => f.resolved)).toEqual([null]);
  });
});

describe("ledger runs", () => {
  it("lists a day's runs newest first, without their lists", async () => {
    const { ledger, cli } = await fresh();
    const report = (runId: string, startedAt: string): RunReport => ({
      runId,
      status: "SUCCEEDED",
      dryRun: false,
      window: { from: "2026-11-23T23:00:00.000Z", to: "2026-11-24T00:30:00.000Z" },
      startedAt,
      finishedAt: startedAt,
      durationMs: 5,
      counts: { ...emptyCounts(), scanned: 9, cancelled: 4 },
      cancelled: ["PG12"],
      findings: [],
      errors: [],
    });
    await ledger.recordRun(report("run-1", "2026-11-24T01:00:00.000Z"), T0 / 1000 + 86_400);
    await ledger.recordRun(report("run-2", "2026-11-24T01:05:00.000Z"), T0 / 1000 + 86_400);
    const json = await cli(["runs", "--day", "2026-11-24", "--json"]);
    const runs = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(runs.map((r) => r.runId)).toEqual(["run-2", "run-1"]);
    expect(runs[0]).not.toHaveProperty("cancelled");
    expect(runs[0]).not.toHaveProperty("findings");
    expect((await cli(["runs", "--day", "2026-11-24"])).stdout).toMatch(
      /SUCCEEDED\s+2026-11-23T23:00/,
    );
  });
});

describe("the ledger command line", () => {
  it("prints usage and exits 0 on --help, for every command", async () => {
    for (const args of [
      ["--help"],
      ["ledger", "--help"],
      ["ledger", "findings", "--help"],
      ["sync", "--help"],
    ]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/usage:/);
    }
  });

  it("exits 64 on bad arguments, or with no ledger configured, and writes nothing", async () => {
    const { operator, tableName } = await fresh();
    const env = { DYNAMODB_ENDPOINT: dynamo.endpoint, LEDGER_TABLE: tableName };
    for (const args of [
      ["ledger", "resolve", "PG13", "--kind", "AMOUNT_MISMATCH"],
      ["ledger", "resolve", "PG13", "--kind", "WOULD_CANCEL", "--note", "x"],
      ["ledger", "findings", "--since", "yesterday"],
      ["ledger", "runs", "--day", "24/11/2026"],
      ["ledger", "payment"],
      ["ledger", "payments", "PG1"],
    ]) {
      const result = await runCli(args, env);
      expect(result.code).toBe(64);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(/^paysync: /);
    }
    const unset = await runCli(["ledger", "findings"]);
    expect(unset.code).toBe(64);
    expect(unset.stderr).toMatch(/LEDGER_TABLE.*DYNAMODB_ENDPOINT/);
    expect(await operator.findings({ all: true })).toEqual([]);
  });
});
