import { afterEach, describe, expect, it } from "vitest";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { openRunEnvironment, type RunEnvironment } from "../../local/run-environment.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";

let environment: RunEnvironment | undefined;
afterEach(async () => {
  await environment?.close();
  environment = undefined;
});

const ORPHANS = Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1]));

describe("runSync on the embedded stack (HTTP, PostgreSQL wire protocol, DynamoDB API)", () => {
  it("cancels each orphan exactly once, flags the mismatch, and changes nothing on later runs", async () => {
    environment = await openRunEnvironment(readEnvConfig({}));
    const { ports, sync, simulator } = environment;

    const first = await runSync(sync, ports);
    expect(first.status).toBe("SUCCEEDED");
    expect(first.cancelled).toEqual(SEED_EXPECTED.cancelled);
    expect(first.counts).toMatchObject({
      scanned: 9,
      matched: 4,
      orphans: 4,
      cancelled: 4,
      mismatches: 1,
    });
    expect(first.findings).toEqual([
      expect.objectContaining({ kind: "AMOUNT_MISMATCH", ...SEED_EXPECTED.mismatch }),
    ]);
    expect(Object.fromEntries(simulator?.effectiveCancels() ?? [])).toEqual(ORPHANS);

    for (let run = 0; run < 2; run++) {
      const later = await runSync(sync, ports);
      expect(later.status).toBe("SUCCEEDED");
      expect(later.cancelled).toEqual([]);
      expect(later.counts).toMatchObject({ scanned: 9, orphans: 0, ignored: 4, mismatches: 1 });
    }
    expect(Object.fromEntries(simulator?.effectiveCancels() ?? [])).toEqual(ORPHANS);
    // Three reads of three pages plus one count each; four cancels, all on the first run.
    expect(simulator?.requests.filter((r) => r.method === "POST")).toHaveLength(4);
  });

  it("reads the seed's three pages with the seed's page size", async () => {
    environment = await openRunEnvironment(readEnvConfig({}));
    await runSync(environment.sync, environment.ports);
    const pages = environment.simulator?.requests
      .filter((r) => r.path === "/v1/payments")
      .map((r) => r.query.page);
    expect(pages?.sort()).toEqual(["1", "2", "3"]);
    expect(
      environment.simulator?.requests.every(
        (r) => r.headers.authorization === "Bearer sim_test_key",
      ),
    ).toBe(true);
  });
});
