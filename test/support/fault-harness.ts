import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoDbLedger } from "../../lambda/adapters/dynamodb-ledger.ts";
import { createDocumentClient } from "../../lambda/adapters/ledger-table.ts";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import type { SyncConfig } from "../../lambda/core/config.ts";
import type { RunReport } from "../../lambda/core/model.ts";
import { runSync, type SyncPorts } from "../../lambda/core/run-sync.ts";
import { type EmbeddedDynalite, startDynalite } from "../../local/embedded/dynalite.ts";
import { openRunEnvironment, type RunEnvironment } from "../../local/run-environment.ts";
import { SEED_EXPECTED, SEED_PAYMENTS } from "../../local/seed-data.ts";
import {
  type DialectName,
  type FaultAction,
  type FaultOptions,
  type PgSimulator,
  SIMULATOR_API_KEY,
  seedPayments,
  startPgSimulator,
} from "../../local/simulator/pg-simulator.ts";
import { providerEnv } from "./embedded.ts";

export const SEED_ORPHANS: Record<string, number> = Object.fromEntries(
  SEED_EXPECTED.cancelled.map((uid) => [uid, 1]),
);

/**
 * Each gateway's own "try again" answers, beyond 429, 5xx and lost connections: Toss's `400
 * PROVIDER_ERROR` and PortOne's `502 PG_PROVIDER`. Neither has an effect; the client must
 * send the same request again under the same key.
 */
export const OWN_TRANSIENT_FAULTS: Readonly<Record<DialectName, readonly FaultAction[]>> = {
  reference: [],
  toss: ["provider-error"],
  portone: ["pg-provider"],
};

/** Every fault a script may use against `dialect`: the shared ones and the gateway's own. */
export function faultActions(dialect: DialectName): FaultAction[] {
  return ["503", "500", "429", "drop-before", "drop-after", ...OWN_TRANSIENT_FAULTS[dialect]];
}

/**
 * No rate limit to wait on, and a day of lookback so runs played minutes or hours later (to
 * let leases pass) still see the seed, which sits 60 to 100 minutes before the start.
 */
const FAST = { PG_PAGE_SIZE: "3", PG_MAX_RPS: "1000", LOOKBACK_SECONDS: "86400" };

/**
 * A gateway and a ledger of its own for one fault case, over real protocols, against a
 * shared store. Each `open()` is like a fresh process: new connections, same services.
 */
export async function startFaultCase(
  storeUrl: string,
  faults: FaultOptions = {},
  dialect: DialectName = "reference",
) {
  // The simulator's own defaults: Toss's one-cancel-per-second rule stays on, as Toss's does.
  const simulator: PgSimulator = await startPgSimulator({
    payments: seedPayments(new Date()),
    faults,
    dialect,
  });
  const dynalite: EmbeddedDynalite = await startDynalite();
  const environments: RunEnvironment[] = [];
  const env = {
    ...FAST,
    ...providerEnv(dialect),
    PG_BASE_URL: simulator.url,
    PG_API_KEY: SIMULATOR_API_KEY,
    STORE_DATABASE_URL: storeUrl,
    DYNAMODB_ENDPOINT: dynalite.endpoint,
    LEDGER_TABLE: "paysync-faults",
  };
  const clients = createDocumentClient({ endpoint: dynalite.endpoint });
  const { client, doc } = clients;
  const ledger = createDynamoDbLedger({ clients, tableName: env.LEDGER_TABLE });
  return {
    simulator,
    env,
    /** The ledger's cancel record state for each seed payment that has one. */
    async cancelStates(): Promise<Record<string, string>> {
      const states: Record<string, string> = {};
      for (const { pg_uid } of SEED_PAYMENTS) {
        const { Item } = await doc.send(
          new GetCommand({
            TableName: env.LEDGER_TABLE,
            Key: { pk: `PAY#${pg_uid}`, sk: "CANCEL" },
          }),
        );
        if (typeof Item?.state === "string") states[pg_uid] = Item.state;
      }
      return states;
    },
    openClaims: () => ledger.openClaims(),
    async open(overrides: Record<string, string> = {}): Promise<RunEnvironment> {
      const environment = await openRunEnvironment(readEnvConfig({ ...env, ...overrides }));
      environments.push(environment);
      return environment;
    },
    /** One run; `clockOffsetMs` plays a run that starts that much later (leases run out). */
    async run(
      ports: Pick<SyncPorts, "gateway" | "orders" | "ledger">,
      config: SyncConfig,
      clockOffsetMs = 0,
    ): Promise<RunReport> {
      return runSync(config, { ...ports, now: () => Date.now() + clockOffsetMs });
    },
    effective(): Record<string, number> {
      return Object.fromEntries([...simulator.effectiveCancels()].filter(([, n]) => n > 0));
    },
    async close() {
      for (const environment of environments) await environment.close();
      client.destroy();
      await simulator.close();
      await dynalite.close();
    },
  };
}

export type FaultCase = Awaited<ReturnType<typeof startFaultCase>>;

/**
 * Every orphan's record closed as cancelled, nothing else touched. A gateway that is asked
 * for the payment before each cancel (Toss, PortOne) may find our own earlier, unanswered
 * cancel and say "already cancelled": both states mean the money went back once.
 */
export function closedAsCancelled(states: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(states).map(([uid, state]) => [
      uid,
      state === "ALREADY_CANCELLED" ? "CANCELLED" : state,
    ]),
  );
}

export const SEED_CANCELLED_STATES = Object.fromEntries(
  SEED_EXPECTED.cancelled.map((uid) => [uid, "CANCELLED"]),
);
