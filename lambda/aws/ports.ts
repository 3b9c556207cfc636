import { createDynamoDbLedger } from "../adapters/dynamodb-ledger.ts";
import { eventsForBus } from "../adapters/eventbridge-events.ts";
import { createDocumentClient, ensureLedgerTable } from "../adapters/ledger-table.ts";
import { createPostgresOrderStore } from "../adapters/postgres-order-store.ts";
import { ConfigError, type EnvConfig } from "../config/env-config.ts";
import type { SyncPorts } from "../core/run-sync.ts";
import { createGateway } from "../gateways/create-gateway.ts";
import { type LoadSecretsOptions, loadSecrets } from "./secrets.ts";

export interface ContainerPorts
  extends Pick<SyncPorts, "gateway" | "orders" | "ledger" | "events"> {
  close(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The real adapters, as the CLI builds them (`local/run-environment.ts`), minus the embedded
 * twins: in Lambda every service must be configured.
 */
export async function openPorts(
  env: Env,
  config: EnvConfig,
  secretOptions: LoadSecretsOptions = {},
): Promise<ContainerPorts> {
  if (config.pgBaseUrl === undefined) {
    throw new ConfigError("PG_BASE_URL", "must be set: the Lambda has no embedded simulator");
  }
  const secrets = await loadSecrets(env, config, secretOptions);
  const orders = createPostgresOrderStore({
    connectionString: secrets.storeDatabaseUrl,
    ...(config.storeOrdersSql === undefined ? {} : { sql: config.storeOrdersSql }),
  });
  const clients = createDocumentClient(
    config.dynamodbEndpoint === undefined ? {} : { endpoint: config.dynamodbEndpoint },
  );
  const { client } = clients;
  const events = eventsForBus(config.eventBusName);
  const close = async () => {
    client.destroy();
    events?.close();
    await orders.close().catch(() => {});
  };
  try {
    // Only a local DynamoDB gets its table made here; in AWS the stack owns the table.
    if (config.dynamodbEndpoint !== undefined) await ensureLedgerTable(client, config.ledgerTable);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    gateway: createGateway({
      provider: config.provider,
      baseUrl: config.pgBaseUrl,
      apiKey: secrets.pgApiKey,
      concurrency: config.sync.concurrency,
      maxRps: config.maxRps,
      portOne: config.portOne,
    }),
    orders,
    ledger: createDynamoDbLedger({ clients, tableName: config.ledgerTable }),
    ...(events === undefined ? {} : { events }),
    close,
  };
}

/**
 * Built on the first invocation and kept for the container's life, so warm invocations reuse
 * the connections, the request budget and the secrets. Lambda runs one invocation at a time
 * per container, so a single slot is enough.
 */
let containerPorts: Promise<ContainerPorts> | undefined;
/** Set after a discard: the next build fetches the secrets again, skipping the cache. */
let refetchSecrets = false;

export function portsForContainer(env: Env, config: EnvConfig): Promise<ContainerPorts> {
  if (containerPorts === undefined) {
    const building = openPorts(env, config, { forceFetch: refetchSecrets });
    refetchSecrets = false;
    containerPorts = building;
    // A failed build is not kept: the next invocation tries again.
    building.catch(() => {
      if (containerPorts === building) containerPorts = undefined;
    });
  }
  return containerPorts;
}

/**
 * Drops the container's ports. After a failed run a connection may be broken or a secret
 * rotated, so the next invocation reconnects with freshly fetched secrets. Tests use it to give
 * each case its own services.
 */
export async function discardContainerPorts(): Promise<void> {
  const current = containerPorts;
  containerPorts = undefined;
  refetchSecrets = true;
  const ports = await current?.catch(() => undefined);
  await ports?.close();
}
