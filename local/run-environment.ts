import { createDynamoDbLedger } from "../lambda/adapters/dynamodb-ledger.ts";
import { createDocumentClient, ensureLedgerTable } from "../lambda/adapters/ledger-table.ts";
import { createPostgresOrderStore } from "../lambda/adapters/postgres-order-store.ts";
import type { EnvConfig } from "../lambda/config/env-config.ts";
import type { SyncConfig } from "../lambda/core/config.ts";
import type { SyncPorts } from "../lambda/core/run-sync.ts";
import { createGateway } from "../lambda/gateways/create-gateway.ts";
import type { EmbeddedPostgres } from "./embedded/postgres.ts";
import { SEED_ORDERS, SEED_PAGE_SIZE } from "./seed-data.ts";
import {
  type PgSimulator,
  SIMULATOR_API_KEY,
  seedPayments,
  startPgSimulator,
} from "./simulator/pg-simulator.ts";

/** Where each of the three services came from, for the banner and the README's sample. */
export interface ServiceOrigins {
  readonly gateway: string;
  readonly store: string;
  readonly ledger: string;
}

export interface RunEnvironment {
  /** `events` only when `EVENT_BUS_NAME` is set; the CLI logs what it would publish otherwise. */
  readonly ports: Pick<SyncPorts, "gateway" | "orders" | "ledger" | "events">;
  /** The env's sync settings, adjusted for the embedded simulator. */
  readonly sync: SyncConfig;
  readonly origins: ServiceOrigins;
  readonly simulator?: PgSimulator;
  readonly postgres?: EmbeddedPostgres;
  close(): Promise<void>;
}

/**
 * Builds the real adapters over real protocols. Each service that the environment does not
 * point at (`PG_BASE_URL`, `STORE_DATABASE_URL`, `DYNAMODB_ENDPOINT`) is replaced by its
 * embedded twin on loopback, seeded with the seed's data.
 */
export async function openRunEnvironment(
  env: EnvConfig,
  now: number = Date.now(),
): Promise<RunEnvironment> {
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => {});
  };
  try {
    const simulator = env.pgBaseUrl
      ? undefined
      : await startPgSimulator({ payments: seedPayments(new Date(now)), dialect: env.provider });
    if (simulator) closers.push(() => simulator.close());

    // The embedded twins load only when needed: PGlite alone adds about 35 MiB to the
    // process, which a run against real services must not carry.
    const postgres = env.storeDatabaseUrl
      ? undefined
      : await import("./embedded/postgres.ts").then((m) => m.startEmbeddedPostgres(SEED_ORDERS));
    if (postgres) closers.push(() => postgres.close());

    const dynalite = env.dynamodbEndpoint
      ? undefined
      : await import("./embedded/dynalite.ts").then((m) => m.startDynalite());
    if (dynalite) closers.push(() => dynalite.close());

    const gatewayUrl = env.pgBaseUrl ?? simulator?.url ?? "";
    const storeUrl = env.storeDatabaseUrl ?? postgres?.url ?? "";
    const ledgerEndpoint = env.dynamodbEndpoint ?? dynalite?.endpoint ?? "";

    const orders = createPostgresOrderStore({
      connectionString: storeUrl,
      ...(env.storeOrdersSql === undefined ? {} : { sql: env.storeOrdersSql }),
    });
    closers.push(() => orders.close());

    const clients = createDocumentClient({ endpoint: ledgerEndpoint });
    const { client } = clients;
    closers.push(async () => client.destroy());
    await ensureLedgerTable(client, env.ledgerTable);

    // The EventBridge client loads only for a configured bus, like the embedded twins.
    const events = env.eventBusName
      ? await import("../lambda/adapters/eventbridge-events.ts").then((m) =>
          m.eventsForBus(env.eventBusName),
        )
      : undefined;
    if (events) closers.push(async () => events.close());

    const sync =
      simulator && !env.pageSizeSet ? { ...env.sync, pageSize: SEED_PAGE_SIZE } : env.sync;
    return {
      ports: {
        gateway: createGateway({
          provider: env.provider,
          baseUrl: gatewayUrl,
          apiKey: env.pgApiKey ?? SIMULATOR_API_KEY,
          concurrency: sync.concurrency,
          maxRps: env.maxRps,
          // The embedded PortOne simulator carries the store's order id in orderName.
          portOne: simulator ? { orderIdField: "orderName", ...env.portOne } : env.portOne,
        }),
        orders,
        ledger: createDynamoDbLedger({ clients, tableName: env.ledgerTable }),
        ...(events ? { events } : {}),
      },
      sync,
      origins: {
        gateway: simulator
          ? `embedded PG simulator ${simulator.url}`
          : `${env.provider} gateway ${originOf(gatewayUrl)}`,
        store: postgres
          ? `embedded PostgreSQL (PGlite) ${originOf(storeUrl)}`
          : `PostgreSQL ${originOf(storeUrl)}`,
        ledger: dynalite
          ? `embedded DynamoDB (dynalite) ${ledgerEndpoint}`
          : `DynamoDB ${ledgerEndpoint}`,
      },
      ...(simulator ? { simulator } : {}),
      ...(postgres ? { postgres } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Host and port only: a database URL carries a password that must not be printed. */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(unparseable URL)";
  }
}
