import { afterEach, describe, expect, it } from "vitest";
import type { RunReport } from "../../lambda/core/model.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import type { FaultOptions } from "../../local/simulator/pg-simulator.ts";
import { runCli } from "../support/cli.ts";
import {
  DIALECTS,
  effectiveCancels,
  keysPerOrphan,
  type Services,
  startServices,
} from "../support/embedded.ts";
import { OWN_TRANSIENT_FAULTS } from "../support/fault-harness.ts";

/** The money rules through the real command, as an operator or the acceptance suite runs it. */

let services: Services | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
});

const ORPHANS = Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1]));
const report = (stdout: string) => JSON.parse(stdout) as RunReport;

describe.each(DIALECTS)("the command against a %s gateway", (dialect) => {
  describe("paysync sync --once under gateway faults", () => {
    const cases: Array<[string, FaultOptions]> = [
      [
        "drop after effect",
        { script: [{ match: { method: "POST" }, action: "drop-after", times: 4 }] },
      ],
      [
        "5xx",
        {
          script: [
            { match: {}, action: "503", times: 4 },
            { match: { method: "POST" }, action: "500", times: 4 },
          ],
        },
      ],
      [
        "429 with Retry-After",
        { script: [{ match: {}, action: "429", times: 3, retryAfterSeconds: 1 }] },
      ],
      // The gateway's own "try again": Toss's 400 PROVIDER_ERROR, PortOne's 502 PG_PROVIDER.
      ...OWN_TRANSIENT_FAULTS[dialect].map((action): [string, FaultOptions] => [
        `${action} answers`,
        { script: [{ match: { method: "POST" }, action, times: 4 }] },
      ]),
    ];
    for (const [name, faults] of cases) {
      it(`${name}: exit 0, the exact cancelled set, one effect and one key per orphan`, async () => {
        services = await startServices({ simulator: { faults }, dialect });
        const result = await runCli(["sync", "--once", "--json"], services.env);
        expect(result.code).toBe(0);
        expect(report(result.stdout).cancelled).toEqual(SEED_EXPECTED.cancelled);
        expect(effectiveCancels(services)).toEqual(ORPHANS);
        // Whatever was re-sent went out under one key per payment.
        expect(keysPerOrphan(services.simulator)).toEqual(ORPHANS);
        expect(services.simulator.remainingScriptedFaults()).toBe(0);
      });
    }
  });

  describe("two paysync processes started at once", () => {
    it("cancel each orphan once between them; the loser skips or finds nothing to do", async () => {
      services = await startServices({ simulator: { latencyMs: 100 }, dialect });
      const [a, b] = await Promise.all([
        runCli(["sync", "--once", "--json"], services.env),
        runCli(["sync", "--once", "--json"], services.env),
      ]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const statuses = [report(a.stdout).status, report(b.stdout).status].sort();
      expect(["SKIPPED_LOCKED", "SUCCEEDED"]).toEqual(expect.arrayContaining(statuses));
      expect(effectiveCancels(services)).toEqual(ORPHANS);
      expect(services.simulator.cancelRequests()).toHaveLength(4);
    });
  });
});
