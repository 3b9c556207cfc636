import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { discardContainerPorts } from "../../lambda/aws/ports.ts";
import { handler } from "../../lambda/handler.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";
import {
  captureOutput,
  closedPort,
  emfRecords,
  fakeContext,
  readFixture,
  scopedEnv,
} from "./lambda-harness.ts";

const MINUTE = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ORPHANS_CANCELLED_ONCE = Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1]));

let services: Services;
let env: ReturnType<typeof scopedEnv>;
let output: ReturnType<typeof captureOutput>;

async function setUp(): Promise<void> {
  services = await startServices();
  env = scopedEnv();
  env.set(services.env);
}

async function tearDown(): Promise<void> {
  // The services go away, so the container's cached ports must not outlive them.
  await discardContainerPorts();
  env.restore();
  await services.close();
}

beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.stop());

/** The EventBridge fixture, scheduled for now. */
const scheduledNow = () => ({ ...readFixture("scheduled-event.json"), time: iso(Date.now()) });

/** A fixture's manual window, moved so that it ends just outside the grace period. */
function rebased(name: string): Record<string, unknown> {
  const event = readFixture(name);
  const length = Date.parse(String(event.to)) - Date.parse(String(event.from));
  const to = Date.now() - 31 * MINUTE;
  return { ...event, from: iso(to - length), to: iso(to) };
}

describe("the Lambda handler on the embedded stack", () => {
  // Each run changes the simulator and the ledger, so each test gets fresh services.
  beforeEach(setUp);
  afterEach(tearDown);

  it("runs a scheduled event: SUCCEEDED, each orphan cancelled once, metrics and JSON logs", async () => {
    const report = await handler(scheduledNow(), fakeContext());

    expect(report.status).toBe("SUCCEEDED");
    expect(report.dryRun).toBe(false);
    expect(report.cancelled).toEqual(SEED_EXPECTED.cancelled);
    expect(report.counts).toMatchObject({ scanned: 9, matched: 4, orphans: 4, cancelled: 4 });
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "AMOUNT_MISMATCH", ...SEED_EXPECTED.mismatch }),
    ]);
    expect(effectiveCancels(services)).toEqual(ORPHANS_CANCELLED_ONCE);

    const lines = output.lines();
    const [emf, ...more] = emfRecords(lines);
    expect(more).toEqual([]);
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: "paysync", Dimensions: [["service"]] }] },
      service: "paysync",
      runId: report.runId,
      Scanned: 9,
      Orphans: 4,
      Cancelled: 4,
      CancelFailed: 0,
      Mismatches: 1,
      Duplicates: 0,
      Halted: 0,
      Partial: 0,
      Failed: 0,
      Succeeded: 1,
      DurationMs: report.durationMs,
    });
    const logs = lines.filter((line) => typeof line.message === "string");
    const runLogs = logs.filter((line) => line.message === "run finished");
    expect(runLogs).toEqual([
      expect.objectContaining({ level: "INFO", runId: report.runId, status: "SUCCEEDED" }),
    ]);
    expect(logs.every((line) => line.function_request_id === fakeContext().awsRequestId)).toBe(
      true,
    );
  });

  it("reuses the container's ports: a second scheduled run finds nothing left to cancel", async () => {
    await handler(scheduledNow(), fakeContext());
    const again = await handler(scheduledNow(), fakeContext());
    expect(again.status).toBe("SUCCEEDED");
    expect(again.cancelled).toEqual([]);
    expect(again.counts).toMatchObject({ orphans: 0, ignored: 4 });
    expect(services.simulator.cancelRequests()).toHaveLength(4);
    // The mismatch is in both reports, and news only the first time: the alarm fires once.
    expect(again.counts.mismatches).toBe(1);
    expect(emfRecords(output.lines()).map((emf) => emf.Mismatches)).toEqual([1, 0]);
  });

  it("runs a manual dry run over an explicit window and sends no cancel", async () => {
    const event = rebased("dry-run.json");
    const report = await handler(event, fakeContext());

    expect(report.status).toBe("SUCCEEDED");
    expect(report.dryRun).toBe(true);
    expect(report.window).toEqual({ from: event.from, to: event.to });
    expect(report.cancelled).toEqual([]);
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL").map((f) => f.pgUid)).toEqual(
      SEED_EXPECTED.cancelled,
    );
    expect(services.simulator.cancelRequests()).toEqual([]);
    expect(effectiveCancels(services)).toEqual({});
  });

  it("re-runs a manual window for real", async () => {
    const report = await handler(rebased("manual-rerun.json"), fakeContext());
    expect(report.status).toBe("SUCCEEDED");
    expect(report.cancelled).toEqual(SEED_EXPECTED.cancelled);
    expect(effectiveCancels(services)).toEqual(ORPHANS_CANCELLED_ONCE);
  });

  it("reads [now - lookbackSeconds, now - grace) for a lookback-only event", async () => {
    const before = Date.now();
    const report = await handler({ lookbackSeconds: 172_800, dryRun: true }, fakeContext());
    const from = Date.parse(report.window.from);
    const to = Date.parse(report.window.to);
    expect(to - from).toBe((172_800 - 1800) * 1000);
    expect(to).toBeGreaterThanOrEqual(before - 1800 * 1000);
    expect(report.counts.orphans).toBe(4);
  });

  it("returns a HALTED report (no throw) when maxCancels is below the orphans, cancelling nothing", async () => {
    const report = await handler({ maxCancels: 1 }, fakeContext());
    expect(report.status).toBe("HALTED");
    expect(report.errors).toEqual([expect.objectContaining({ stage: "guard" })]);
    expect(services.simulator.cancelRequests()).toEqual([]);
    expect(emfRecords(output.lines())).toEqual([expect.objectContaining({ Halted: 1 })]);
  });

  it("ends PARTIAL, before Lambda's deadline, when the remaining time is already spent", async () => {
    const report = await handler(scheduledNow(), fakeContext(1));
    expect(report.status).toBe("PARTIAL");
    expect(services.simulator.cancelRequests()).toEqual([]);
    expect(emfRecords(output.lines())).toEqual([expect.objectContaining({ Partial: 1 })]);
  });

  it("throws on a FAILED run, naming the run and its errors", async () => {
    env.set({
      STORE_DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${await closedPort()}/postgres`,
    });
    const failure = handler(scheduledNow(), fakeContext());
    await expect(failure).rejects.toThrow(/^paysync run \w{26} FAILED: store: order lookup failed/);
    const error: unknown = await failure.catch((e: unknown) => e);
    const runId = /run (\w{26})/.exec(String(error))?.[1];
    expect(emfRecords(output.lines())).toEqual([
      expect.objectContaining({ runId, Failed: 1, Succeeded: 0 }),
    ]);
    expect(services.simulator.cancelRequests()).toEqual([]);
  });

  it("fails before any request when a variable is invalid, naming the variable", async () => {
    env.set({ GRACE_SECONDS: "soon" });
    await expect(handler(scheduledNow(), fakeContext())).rejects.toThrow(/^GRACE_SECONDS: /);
    expect(services.simulator.requests).toEqual([]);
  });
});

describe("malformed events are refused with a clear message, and nothing is sent", () => {
  // Nothing may reach the services, so one set serves every case.
  beforeAll(setUp);
  afterAll(tearDown);

  const now = Date.now();
  const hoursAgo = (h: number) => iso(now - h * 60 * MINUTE);
  const cases: Array<[string, unknown, RegExp]> = [
    ["an unknown key", { dryrun: true }, /unknown key "dryrun"; a manual event may only have/],
    ["two unknown keys", { window: 1, force: true }, /unknown keys "window", "force"/],
    [
      "a timestamp without an offset",
      { from: "2026-11-24 10:00", to: hoursAgo(1) },
      /from: expected an ISO-8601 timestamp with an offset/,
    ],
    [
      "a timestamp that is not a string",
      { from: hoursAgo(3), to: 1_764_000_000 },
      /to: expected an ISO-8601 timestamp/,
    ],
    [
      "an impossible date",
      { from: "2026-13-01T00:00:00Z", to: hoursAgo(1) },
      /from: expected an ISO-8601/,
    ],
    [
      "from equal to to",
      { from: hoursAgo(2), to: hoursAgo(2) },
      /from\/to: from must be earlier than to/,
    ],
    [
      "from after to",
      { from: hoursAgo(1), to: hoursAgo(2) },
      /from\/to: from must be earlier than to/,
    ],
    [
      "a window over 31 days",
      { from: hoursAgo(33 * 24), to: hoursAgo(1) },
      /from\/to: the window is longer than 31 days/,
    ],
    [
      "to inside the grace period",
      { from: hoursAgo(2), to: iso(now - 10 * MINUTE) },
      /from\/to: to must not be later than now minus the grace period/,
    ],
    ["from without to", { from: hoursAgo(2) }, /from and to go together/],
    ["to without from", { to: hoursAgo(2) }, /from and to go together/],
    [
      "a window and a lookback",
      { from: hoursAgo(3), to: hoursAgo(2), lookbackSeconds: 7200 },
      /either from and to, or lookbackSeconds/,
    ],
    [
      "a lookback inside the grace period",
      { lookbackSeconds: 600 },
      /lookbackSeconds: must be greater than the grace period/,
    ],
    [
      "a lookback over 31 days",
      { lookbackSeconds: 32 * 86_400 },
      /lookbackSeconds: expected a whole number from 0 to 2678400/,
    ],
    [
      "a fractional lookback",
      { lookbackSeconds: 7200.5 },
      /lookbackSeconds: expected a whole number/,
    ],
    ["dryRun as a string", { dryRun: "true" }, /dryRun: expected true or false, got string "true"/],
    [
      "a negative maxCancels",
      { maxCancels: -1 },
      /maxCancels: expected a whole number from 0 to 1000000/,
    ],
    ["maxCancels as a string", { maxCancels: "5" }, /maxCancels: expected a whole number/],
    ["null", null, /expected a JSON object .* got null/],
    ["an array", [], /expected a JSON object .* got an array/],
    ["a string", "run now", /expected a JSON object .* got string "run now"/],
    ["a number", 42, /expected a JSON object .* got number 42/],
    [
      "a scheduled event without a time",
      { "detail-type": "Scheduled Event", source: "aws.events" },
      /scheduled event: time must be an ISO-8601 timestamp/,
    ],
    [
      "an event of another source",
      { "detail-type": "Object Created", source: "aws.s3", detail: {} },
      /unknown keys "detail-type", "source", "detail"/,
    ],
  ];

  it.each(cases)("%s", async (_name, event, expected) => {
    await expect(handler(event, fakeContext())).rejects.toThrow(expected);
    await expect(handler(event, fakeContext())).rejects.toThrow(/^invalid event: /);
    expect(services.simulator.requests).toEqual([]);
    expect(emfRecords(output.lines())).toEqual([]);
    expect(output.lines()).toContainEqual(
      expect.objectContaining({ level: "ERROR", message: "invocation refused: nothing was sent" }),
    );
  });
});
