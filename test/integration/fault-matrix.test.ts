import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunReport } from "../../lambda/core/model.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../local/embedded/postgres.ts";
import { SEED_ORDERS } from "../../local/seed-data.ts";
import type { DialectName, FaultOptions } from "../../local/simulator/pg-simulator.ts";
import { DIALECTS, keysPerOrphan } from "../support/embedded.ts";
import {
  closedAsCancelled,
  type FaultCase,
  OWN_TRANSIENT_FAULTS,
  SEED_CANCELLED_STATES,
  SEED_ORPHANS,
  startFaultCase,
} from "../support/fault-harness.ts";
import { type CrashPoint, killablePorts } from "../support/killable-ports.ts";

/**
 * Every fault the real world sends, one at a time, with the simulator's own count of
 * effective cancellations as the referee: exactly one per orphan, none for anything else,
 * possibly after follow-up runs.
 */

/** Past every lease (claims 5 min, run lock 16 min), yet the seed is still in the window. */
const AFTER_LEASES_MS = 17 * 60_000;

let store: EmbeddedPostgres;
let fault: FaultCase | undefined;

beforeAll(async () => {
  store = await startEmbeddedPostgres(SEED_ORDERS);
});
afterAll(async () => {
  await store.close();
});
afterEach(async () => {
  await fault?.close();
  fault = undefined;
});

/** Where each gateway's payment lookups live (`GET <prefix>{id}`). */
const LOOKUP_PREFIX: Readonly<Record<DialectName, string>> = {
  reference: "/v1/payments/",
  toss: "/v1/payments/",
  portone: "/payments/",
};

/** Runs as a scheduler would until a run succeeds; returns every report. */
async function runUntilSucceeded(current: FaultCase, maxRuns = 4): Promise<RunReport[]> {
  const { ports, sync } = await current.open();
  const reports: RunReport[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const report = await current.run(ports, sync, i * AFTER_LEASES_MS);
    reports.push(report);
    if (report.status === "SUCCEEDED") break;
  }
  return reports;
}

const confirmed = (reports: RunReport[]) => reports.flatMap((r) => r.cancelled).sort();

describe.each(DIALECTS)("faults against a %s gateway", (dialect) => {
  describe("gateway faults", () => {
    const cases: Array<[string, FaultOptions]> = [
      ["latency", { latencyMs: 150 }],
      ["a 5xx rate", { errorRate: 0.35, seed: 7 }],
      [
        "429 with Retry-After",
        { script: [{ match: { method: "POST" }, action: "429", times: 3, retryAfterSeconds: 1 }] },
      ],
      ["connections dropped before the effect", { dropBeforeEffectRate: 0.4, seed: 11 }],
      ["connections dropped after the cancel took effect", { dropAfterEffectRate: 0.5, seed: 3 }],
      // The gateway's own "try again" (Toss 400 PROVIDER_ERROR, PortOne 502 PG_PROVIDER), on
      // lookups and cancels alike.
      ...OWN_TRANSIENT_FAULTS[dialect].map((action): [string, FaultOptions] => [
        `${action} answers`,
        {
          script: [
            { match: { method: "POST" }, action, times: 3 },
            { match: { method: "GET", pathPrefix: LOOKUP_PREFIX[dialect] }, action, times: 2 },
          ],
        },
      ]),
    ];

    for (const [name, faults] of cases) {
      it(`${name}: each orphan cancelled exactly once`, async () => {
        fault = await startFaultCase(store.url, faults, dialect);
        const reports = await runUntilSucceeded(fault);
        expect(reports.at(-1)?.status).toBe("SUCCEEDED");
        expect(fault.effective()).toEqual(SEED_ORPHANS);
        // A cancel whose every answer was lost is confirmed by a later listing, not a report.
        expect(confirmed(reports).every((uid) => uid in SEED_ORPHANS)).toBe(true);
        expect(closedAsCancelled(await fault.cancelStates())).toEqual(SEED_CANCELLED_STATES);
        expect(await fault.openClaims()).toEqual([]);
        // Whatever was re-sent went out under one key per payment.
        expect(keysPerOrphan(fault.simulator)).toEqual(SEED_ORPHANS);
        expect(fault.simulator.remainingScriptedFaults()).toBe(0);
      });
    }

    it("drop-after-effect really re-sent: more cancel requests than effects, one key each", async () => {
      fault = await startFaultCase(
        store.url,
        {
          script: [{ match: { method: "POST", pgUid: "PG14" }, action: "drop-after", times: 2 }],
        },
        dialect,
      );
      const reports = await runUntilSucceeded(fault);
      expect(reports).toHaveLength(1);
      const requests = fault.simulator.cancelRequests("PG14");
      // Toss refuses a re-send within a second of the previous cancel before looking at it
      // (403 FORBIDDEN_CONSECUTIVE_REQUEST); the client waits that out and sends it again.
      const consecutive = requests.filter((r) => r.errorCode === "FORBIDDEN_CONSECUTIVE_REQUEST");
      const seen = requests.filter((r) => !consecutive.includes(r));
      expect(seen.map((r) => r.status)).toEqual([0, 0, 200]);
      if (dialect === "toss") expect(consecutive.length).toBeGreaterThan(0);
      else expect(requests).toHaveLength(3);
      expect(fault.effective()).toEqual(SEED_ORPHANS);
    });

    it("a gateway that always drops after the effect: refunded once, never confirmed, never re-keyed", async () => {
      fault = await startFaultCase(store.url, { dropAfterEffectRate: 1 }, dialect);
      const reports = await runUntilSucceeded(fault, 3);
      // The first run never hears back. The next finds them cancelled, by the listing or by
      // asking the gateway, and closes the claims without a second refund.
      expect(reports.map((r) => r.status)).toEqual(["FAILED", "SUCCEEDED"]);
      expect(reports[0]?.cancelled).toEqual([]);
      expect(fault.effective()).toEqual(SEED_ORPHANS);
      expect(closedAsCancelled(await fault.cancelStates())).toEqual(SEED_CANCELLED_STATES);
      expect(await fault.openClaims()).toEqual([]);
      // Whatever was re-sent went out under one key per payment.
      expect(keysPerOrphan(fault.simulator)).toEqual(SEED_ORPHANS);
    });

    it("page reads that fail: the run fails before any cancel, the next one finishes", async () => {
      fault = await startFaultCase(store.url, { failPageReads: (page) => page === 2 }, dialect);
      const { ports, sync } = await fault.open();
      const failed = await fault.run(ports, sync);
      expect(failed.status).toBe("FAILED");
      expect(failed.errors[0]?.stage).toBe("gateway");
      expect(fault.simulator.cancelRequests()).toEqual([]);

      fault.simulator.setFaults({});
      const next = await fault.run(ports, sync);
      expect(next.status).toBe("SUCCEEDED");
      expect(fault.effective()).toEqual(SEED_ORPHANS);
    });
  });

  describe("crashes", () => {
    const points: CrashPoint[] = ["afterClaim", "afterGatewayAnswer"];
    for (const point of points) {
      it(`a process killed ${point === "afterClaim" ? "between the claim and the gateway call" : "between the gateway's answer and the ledger update"}`, async () => {
        fault = await startFaultCase(store.url, {}, dialect);
        const first = await fault.open();
        const { ports, killed } = killablePorts(first.ports, { point, crashOn: 1 });
        const dying = await fault.run(ports, first.sync);
        expect(killed()).toBe(true);
        expect(dying.status).toBe("FAILED");

        // A new process, while the dead one's leases still hold: it must not touch its claims.
        const second = await fault.open();
        const early = await fault.run(second.ports, second.sync, 60_000);
        expect(early.status).toBe("SKIPPED_LOCKED");

        // After the leases: the next run finishes the job with the same keys.
        const later = await fault.run(second.ports, second.sync, AFTER_LEASES_MS);
        expect(later.status).toBe("SUCCEEDED");
        expect(fault.effective()).toEqual(SEED_ORPHANS);
        // Whatever was re-sent went out under one key per payment.
        expect(keysPerOrphan(fault.simulator)).toEqual(SEED_ORPHANS);
        const quiet = await fault.run(second.ports, second.sync, 2 * AFTER_LEASES_MS);
        expect(quiet.cancelled).toEqual([]);
        expect(fault.effective()).toEqual(SEED_ORPHANS);
        expect(closedAsCancelled(await fault.cancelStates())).toEqual(SEED_CANCELLED_STATES);
        expect(await fault.openClaims()).toEqual([]);
      });
    }
  });

  describe("the store and overlapping runs", () => {
    it("the store down: FAILED and no cancel request at all; the next run with the store back finishes", async () => {
      fault = await startFaultCase(store.url, {}, dialect);
      const down = await fault.open({ STORE_DATABASE_URL: "postgres://paysync@127.0.0.1:1/store" });
      const failed = await fault.run(down.ports, down.sync);
      expect(failed.status).toBe("FAILED");
      expect(failed.errors[0]?.stage).toBe("store");
      expect(fault.simulator.cancelRequests()).toEqual([]);

      const up = await fault.open();
      expect((await fault.run(up.ports, up.sync)).status).toBe("SUCCEEDED");
      expect(fault.effective()).toEqual(SEED_ORPHANS);
    });

    it("two runs started at the same moment: one works, the other skips, nothing twice", async () => {
      fault = await startFaultCase(store.url, { latencyMs: 50 }, dialect);
      const a = await fault.open();
      const b = await fault.open();
      const reports = await Promise.all([fault.run(a.ports, a.sync), fault.run(b.ports, b.sync)]);
      expect(reports.map((r) => r.status).sort()).toEqual(["SKIPPED_LOCKED", "SUCCEEDED"]);
      expect(fault.effective()).toEqual(SEED_ORPHANS);
      expect(closedAsCancelled(await fault.cancelStates())).toEqual(SEED_CANCELLED_STATES);
      expect(fault.simulator.cancelRequests()).toHaveLength(4);
    });
  });
});
