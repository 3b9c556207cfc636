import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { createEventBridgeEvents } from "../../lambda/adapters/eventbridge-events.ts";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import type { PaysyncEvent } from "../../lambda/ports/events.ts";
import { openRunEnvironment, type RunEnvironment } from "../../local/run-environment.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";
import { startEventBridgeStub } from "../support/eventbridge-stub.ts";

type Stub = Awaited<ReturnType<typeof startEventBridgeStub>>;

let stub: Stub | undefined;
let services: Services | undefined;
let environment: RunEnvironment | undefined;
afterEach(async () => {
  await environment?.close();
  await services?.close();
  await stub?.close();
  environment = undefined;
  services = undefined;
  stub = undefined;
});

const client = (url: string) =>
  new EventBridgeClient({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });

const cancelled = (n: number): PaysyncEvent => ({
  detailType: "Payment Cancelled",
  detail: {
    pgUid: `PG${n}`,
    storeOrderId: String(n),
    amount: 15000,
    currency: "KRW",
    runId: "run-1",
    at: "2026-11-24T01:00:00.000Z",
  },
});

describe("the EventBridge events adapter, against EventBridge's JSON protocol", () => {
  it("puts ten entries a call, on the bus, from source paysync", async () => {
    stub = await startEventBridgeStub();
    const events = createEventBridgeEvents({ client: client(stub.url), busName: "paysync-bus" });
    await events.publish(Array.from({ length: 23 }, (_, i) => cancelled(i)));
    expect(stub.calls.map((call) => call.length)).toEqual([10, 10, 3]);
    const [first] = stub.accepted;
    expect(first).toMatchObject({
      Source: "paysync",
      DetailType: "Payment Cancelled",
      EventBusName: "paysync-bus",
    });
    expect(JSON.parse(first?.Detail ?? "")).toEqual(cancelled(0).detail);
    expect(stub.accepted).toHaveLength(23);
  });

  it("sends again only the entries the bus reports failed, and throws on what never goes through", async () => {
    // The first call refuses PG1 and PG3 for throttling; the second takes them.
    stub = await startEventBridgeStub((entry, call) =>
      call === 1 && /"PG[13]"/.test(entry.Detail) ? "ThrottlingException" : undefined,
    );
    const events = createEventBridgeEvents({
      client: client(stub.url),
      busName: "paysync-bus",
      sleep: async () => {},
    });
    await events.publish([cancelled(1), cancelled(2), cancelled(3)]);
    expect(stub.calls.map((call) => call.map((e) => JSON.parse(e.Detail).pgUid))).toEqual([
      ["PG1", "PG2", "PG3"],
      ["PG1", "PG3"],
    ]);
    expect(stub.accepted.map((e) => JSON.parse(e.Detail).pgUid).sort()).toEqual([
      "PG1",
      "PG2",
      "PG3",
    ]);
    await stub.close();

    stub = await startEventBridgeStub((entry) =>
      /"PG2"/.test(entry.Detail) ? "InternalFailure" : undefined,
    );
    const stubborn = createEventBridgeEvents({
      client: client(stub.url),
      busName: "paysync-bus",
      attempts: 3,
      sleep: async () => {},
    });
    await expect(stubborn.publish([cancelled(1), cancelled(2)])).rejects.toThrow(
      /refused 1 event\(s\) after 3 attempts: InternalFailure/,
    );
    expect(stub.calls).toHaveLength(3);
  });

  it("keeps each entry under the size limit, cutting a long list and saying so", async () => {
    stub = await startEventBridgeStub();
    const events = createEventBridgeEvents({ client: client(stub.url), busName: "paysync-bus" });
    const others = Array.from({ length: 20_000 }, (_, i) => `pg_${"x".repeat(10)}_${i}`);
    await events.publish([
      {
        detailType: "Finding Raised",
        detail: {
          kind: "DUPLICATE_PAYMENT",
          pgUid: "PG1",
          storeOrderId: "1",
          otherPgUids: others,
          runId: "run-1",
          at: "2026-11-24T01:00:00.000Z",
        },
      },
    ]);
    const [entry] = stub.accepted;
    expect(Buffer.byteLength(entry?.Detail ?? "", "utf8")).toBeLessThan(256 * 1024);
    expect(JSON.parse(entry?.Detail ?? "")).toMatchObject({ truncated: true, pgUid: "PG1" });
  });
});

describe("a run with EVENT_BUS_NAME set (AWS_ENDPOINT_URL_EVENTBRIDGE at a stand-in)", () => {
  const busEnv = (url: string) => ({
    EVENT_BUS_NAME: "paysync-bus",
    AWS_ENDPOINT_URL_EVENTBRIDGE: url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });

  async function runWithBus(url: string) {
    services = await startServices();
    const saved = { ...process.env };
    Object.assign(process.env, busEnv(url));
    try {
      environment = await openRunEnvironment(readEnvConfig({ ...services.env, ...busEnv(url) }));
      return await runSync(environment.sync, environment.ports);
    } finally {
      for (const name of Object.keys(busEnv(url))) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  }

  it("tells the shop of every refund, the new finding and the run", async () => {
    stub = await startEventBridgeStub();
    const report = await runWithBus(stub.url);
    expect(report.status).toBe("SUCCEEDED");
    const byType = (type: string) =>
      stub?.accepted.filter((e) => e.DetailType === type).map((e) => JSON.parse(e.Detail)) ?? [];
    expect(byType("Payment Cancelled").map((d) => d.pgUid)).toEqual(SEED_EXPECTED.cancelled);
    expect(byType("Payment Cancelled")[0]).toMatchObject({
      storeOrderId: "2",
      amount: 15000,
      currency: "KRW",
      runId: report.runId,
    });
    expect(byType("Finding Raised")).toEqual([
      expect.objectContaining({ kind: "AMOUNT_MISMATCH", pgUid: "PG13", runId: report.runId }),
    ]);
    const [finished] = byType("Run Finished");
    expect(finished).toMatchObject({ runId: report.runId, status: "SUCCEEDED" });
    expect(finished).not.toHaveProperty("cancelled");
    expect(finished).not.toHaveProperty("findings");
  });

  it("a bus that refuses everything leaves the cancellations and the status as they were", async () => {
    stub = await startEventBridgeStub(() => "AccessDeniedException");
    const report = await runWithBus(stub.url);
    expect(report.status).toBe("SUCCEEDED");
    expect(report.cancelled).toEqual(SEED_EXPECTED.cancelled);
    expect(effectiveCancels(services as Services)).toEqual(
      Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1])),
    );
    expect(report.errors.map((e) => e.stage)).toEqual(["events", "events"]);
    expect(report.errors[0]?.message).toMatch(/AccessDeniedException/);
  }, 30_000);
});
