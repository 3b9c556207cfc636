import { startDynalite } from "../../local/embedded/dynalite.ts";
import { type StoreOrderRow, startEmbeddedPostgres } from "../../local/embedded/postgres.ts";
import { SEED_EXPECTED, SEED_ORDERS } from "../../local/seed-data.ts";
import {
  type DialectName,
  type PgSimulator,
  type PgSimulatorOptions,
  SIMULATOR_API_KEY,
  seedPayments,
  startPgSimulator,
} from "../../local/simulator/pg-simulator.ts";

/** The three real services on loopback, started by the test so it can look inside each. */
export async function startServices(
  options: {
    simulator?: Partial<PgSimulatorOptions>;
    orders?: readonly StoreOrderRow[];
    dialect?: DialectName;
  } = {},
) {
  const dialect = options.dialect ?? "reference";
  const simulator = await startPgSimulator({
    payments: seedPayments(new Date()),
    dialect,
    ...options.simulator,
  });
  const postgres = await startEmbeddedPostgres(options.orders ?? SEED_ORDERS);
  const dynalite = await startDynalite();
  return {
    dialect,
    simulator,
    postgres,
    dynalite,
    /** The environment that points paysync at these services instead of its own twins. */
    env: {
      ...providerEnv(dialect),
      PG_BASE_URL: simulator.url,
      PG_API_KEY: SIMULATOR_API_KEY,
      PG_PAGE_SIZE: "3",
      STORE_DATABASE_URL: postgres.url,
      DYNAMODB_ENDPOINT: dynalite.endpoint,
      LEDGER_TABLE: "paysync-test",
    },
    async close() {
      await simulator.close();
      await postgres.close();
      await dynalite.close();
    },
  };
}

export type Services = Awaited<ReturnType<typeof startServices>>;

/** How many times each pg_uid was really cancelled, by the simulator's own count. */
export function effectiveCancels(services: Services): Record<string, number> {
  return Object.fromEntries([...services.simulator.effectiveCancels()].filter(([, n]) => n > 0));
}

/** The dialects every integration suite runs against. */
export const DIALECTS: readonly DialectName[] = ["reference", "toss", "portone"];

/** How paysync is pointed at a simulator speaking `dialect`. */
export function providerEnv(dialect: DialectName): Record<string, string> {
  // The simulator's PortOne payments carry the store's order id in orderName.
  return dialect === "portone"
    ? { PG_PROVIDER: dialect, PORTONE_ORDER_ID_FIELD: "orderName" }
    : { PG_PROVIDER: dialect };
}

/** The Authorization header each dialect expects for `key`. */
export function expectedAuthorization(dialect: DialectName, key: string): string {
  switch (dialect) {
    case "reference":
      return `Bearer ${key}`;
    case "toss":
      return `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
    case "portone":
      return `PortOne ${key}`;
  }
}

/** How many distinct Idempotency-Keys the simulator saw for each of the seed's orphans. */
export function keysPerOrphan(simulator: PgSimulator): Record<string, number> {
  return Object.fromEntries(
    SEED_EXPECTED.cancelled.map((uid) => [
      uid,
      new Set(simulator.cancelRequests(uid).map((r) => r.headers.idempotencyKey)).size,
    ]),
  );
}
