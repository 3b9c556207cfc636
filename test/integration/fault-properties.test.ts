import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../local/embedded/postgres.ts";
import { SEED_ORDERS } from "../../local/seed-data.ts";
import type {
  DialectName,
  FaultAction,
  ScriptedFault,
} from "../../local/simulator/pg-simulator.ts";
import { DIALECTS } from "../support/embedded.ts";
import {
  closedAsCancelled,
  faultActions,
  SEED_CANCELLED_STATES,
  SEED_ORPHANS,
  startFaultCase,
} from "../support/fault-harness.ts";
import { type CrashPoint, killablePorts } from "../support/killable-ports.ts";

/**
 * Random fault schedules and crash points over several consecutive runs, against the real
 * simulator, PGlite and dynalite. Whatever happens, at every step no payment is cancelled
 * twice and nothing but an orphan is ever cancelled; once the faults stop and the leases
 * have passed, every orphan is cancelled exactly once and no claim is left open.
 */

const MINUTE = 60_000;
/** Past every lease: claims (5 min) and the run lock (16 min). */
const LEASES_PASSED = 17 * MINUTE;

/** Scripted faults a gateway can send: the shared ones and its own "try again" answer. */
const faultArb = (dialect: DialectName): fc.Arbitrary<ScriptedFault> =>
  fc.record({
    match: fc.oneof(
      fc.constant({ method: "POST" }),
      fc.constant({ method: "GET" }),
      fc.constantFrom("PG12", "PG14", "PG16", "PG19").map((pgUid) => ({ method: "POST", pgUid })),
    ),
    action: fc.constantFrom<FaultAction>(...faultActions(dialect)),
    times: fc.integer({ min: 1, max: 6 }),
    retryAfterSeconds: fc.constant(0),
  });

const runArb = (dialect: DialectName) =>
  fc.record({
    faults: fc.array(faultArb(dialect), { maxLength: 3 }),
    crash: fc.option(
      fc.record({
        point: fc.constantFrom<CrashPoint>("afterClaim", "afterGatewayAnswer"),
        crashOn: fc.integer({ min: 0, max: 3 }),
      }),
      { nil: undefined },
    ),
    /** Minutes since the previous run: sometimes inside the leases, sometimes past them. */
    gapMinutes: fc.constantFrom(1, 6, 17),
  });

/** A gateway, and a schedule of runs in its words. */
const scheduleArb = fc
  .constantFrom(...DIALECTS)
  .chain((dialect) =>
    fc.tuple(fc.constant(dialect), fc.array(runArb(dialect), { minLength: 1, maxLength: 4 })),
  );

let store: EmbeddedPostgres;
beforeAll(async () => {
  store = await startEmbeddedPostgres(SEED_ORDERS);
});
afterAll(async () => {
  await store.close();
});

describe("fault schedules (fast-check)", () => {
  it("cancel every orphan exactly once and nothing else, leaving no claim stuck", async () => {
    await fc.assert(
      fc.asyncProperty(scheduleArb, async ([dialect, schedule]) => {
        const fault = await startFaultCase(store.url, {}, dialect);
        try {
          let offset = 0;
          for (const step of schedule) {
            offset += step.gapMinutes * MINUTE;
            fault.simulator.setFaults({ script: step.faults });
            // A new process each run: fresh connections to the same services.
            const { ports, sync } = await fault.open();
            const used = step.crash ? killablePorts(ports, step.crash).ports : ports;
            await fault.run(used, sync, offset);
            for (const [uid, n] of Object.entries(fault.effective())) {
              expect(SEED_ORPHANS[uid], `${uid} is not an orphan`).toBe(1);
              expect(n, `${uid} cancelled ${n} times`).toBe(1);
            }
          }
          // The faults stop; runs after the leases finish whatever was started.
          fault.simulator.setFaults({});
          const { ports, sync } = await fault.open();
          for (let i = 1; i <= 2; i++) await fault.run(ports, sync, offset + i * LEASES_PASSED);
          expect(fault.effective()).toEqual(SEED_ORPHANS);
          expect(closedAsCancelled(await fault.cancelStates())).toEqual(SEED_CANCELLED_STATES);
          expect(await fault.openClaims()).toEqual([]);
        } finally {
          await fault.close();
        }
      }),
      { numRuns: 24, seed: 20261124, endOnFailure: true },
    );
  }, 300_000);
});
