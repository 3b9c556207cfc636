import { afterEach, describe, expect, it } from "vitest";
import type { RunReport } from "../../lambda/core/model.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { runCli } from "../support/cli.ts";
import {
  DIALECTS,
  effectiveCancels,
  expectedAuthorization,
  type Services,
  startServices,
} from "../support/embedded.ts";

let services: Services | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
});

const parseReport = (stdout: string): RunReport => {
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0] ?? "") as RunReport;
};

const ORPHANS = Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1]));

describe.each(DIALECTS)("npx paysync sync --once against a %s gateway", (dialect) => {
  it("prints one JSON report, cancels the orphans once, and a second run changes nothing", async () => {
    services = await startServices({ dialect });
    const first = await runCli(["sync", "--once", "--json"], services.env);
    expect(first.code).toBe(0);
    const report = parseReport(first.stdout);
    expect(report.status).toBe("SUCCEEDED");
    expect(report.cancelled).toEqual(SEED_EXPECTED.cancelled);
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "AMOUNT_MISMATCH", ...SEED_EXPECTED.mismatch }),
    ]);
    expect(effectiveCancels(services)).toEqual(ORPHANS);

    const cancels = services.simulator.cancelRequests();
    expect(new Set(cancels.map((r) => r.headers.idempotencyKey)).size).toBe(4);
    const authorization = expectedAuthorization(dialect, services.env.PG_API_KEY);
    expect(
      services.simulator.requests.every((r) => r.headers.authorization === authorization),
    ).toBe(true);

    const second = await runCli(["sync", "--once", "--json"], services.env);
    expect(second.code).toBe(0);
    expect(parseReport(second.stdout).cancelled).toEqual([]);
    expect(services.simulator.cancelRequests()).toHaveLength(4);
    expect(effectiveCancels(services)).toEqual(ORPHANS);
  });

  it("finds but cancels nothing in a dry run", async () => {
    services = await startServices({ dialect });
    const result = await runCli(["sync", "--once", "--dry-run", "--json"], services.env);
    expect(result.code).toBe(0);
    const report = parseReport(result.stdout);
    expect(report.dryRun).toBe(true);
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL").map((f) => f.pgUid)).toEqual(
      SEED_EXPECTED.cancelled,
    );
    expect(services.simulator.cancelRequests()).toEqual([]);
  });

  it("halts with exit 2 against an empty store", async () => {
    services = await startServices({ orders: [], dialect });
    const result = await runCli(["sync", "--once", "--json"], services.env);
    expect(result.code).toBe(2);
    const report = parseReport(result.stdout);
    expect(report.status).toBe("HALTED");
    expect(report.findings.filter((f) => f.kind === "WOULD_CANCEL")).toHaveLength(9);
    expect(services.simulator.cancelRequests()).toEqual([]);

    const capped = await runCli(["sync", "--once", "--json"], {
      ...services.env,
      MAX_ORPHAN_RATIO: "1",
      MAX_CANCELS_PER_RUN: "3",
    });
    expect(capped.code).toBe(2);
    expect(parseReport(capped.stdout).errors[0]?.message).toContain("MAX_CANCELS_PER_RUN");
    expect(services.simulator.cancelRequests()).toEqual([]);
  });

  it("fails with exit 1 and sends no cancel when the store is down", async () => {
    services = await startServices({ dialect });
    const result = await runCli(["sync", "--once", "--json"], {
      ...services.env,
      STORE_DATABASE_URL: "postgres://paysync:secret@127.0.0.1:1/store",
    });
    expect(result.code).toBe(1);
    const report = parseReport(result.stdout);
    expect(report.status).toBe("FAILED");
    expect(report.errors[0]?.stage).toBe("store");
    expect(result.stdout + result.stderr).not.toContain("secret");
    expect(services.simulator.cancelRequests()).toEqual([]);
  });
});

describe("npx paysync sync --once against the reference gateway only", () => {
  it("reads pages one after another when the gateway has no page count", async () => {
    services = await startServices({ simulator: { pageCountEndpoint: false } });
    const result = await runCli(["sync", "--once", "--json"], services.env);
    expect(result.code).toBe(0);
    expect(parseReport(result.stdout).cancelled).toEqual(SEED_EXPECTED.cancelled);
    const pages = services.simulator.requests
      .filter((r) => r.path === "/v1/payments")
      .map((r) => r.query.page);
    expect(pages).toEqual(["1", "2", "3", "4"]);
  });

  it("answers a bad setting with exit 64, a message naming it, no report and no request", async () => {
    services = await startServices();
    for (const [name, value] of [
      ["PG_CONCURRENCY", "lots"],
      ["MAX_ORPHAN_RATIO", "2"],
      ["PG_BASE_URL", "not a url"],
    ] as const) {
      const result = await runCli(["sync", "--once", "--json"], { ...services.env, [name]: value });
      expect(result.code).toBe(64);
      expect(result.stderr).toContain(name);
      expect(result.stdout).toBe("");
    }
    const badWindow = await runCli(
      ["sync", "--once", "--from", "2026-01-02T00:00:00Z", "--to", "2026-01-01T00:00:00Z"],
      services.env,
    );
    expect(badWindow.code).toBe(64);
    expect(badWindow.stderr).toContain("--from/--to");
    expect(services.simulator.requests).toEqual([]);
  });
});
