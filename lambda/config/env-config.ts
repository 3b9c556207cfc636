import { defaultSyncConfig, type SyncConfig } from "../core/config.ts";
import { GATEWAY_DESCRIPTORS, PROVIDERS, type ProviderName } from "../gateways/descriptors.ts";
import type { PortOneSettings } from "../gateways/portone/portone-gateway.ts";

/** A setting that is present but unusable. The message always names the variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

/** Everything paysync reads from the environment (contracts §4), validated. */
export interface EnvConfig {
  readonly provider: ProviderName;
  readonly portOne: PortOneSettings;
  readonly pgBaseUrl?: string;
  readonly pgApiKey?: string;
  readonly pageSizeSet: boolean;
  readonly maxRps: number;
  readonly storeDatabaseUrl?: string;
  readonly storeOrdersSql?: string;
  readonly ledgerTable: string;
  readonly dynamodbEndpoint?: string;
  /** Contracts §8: the bus for paysync's events; unset, nothing is published. */
  readonly eventBusName?: string;
  readonly syncIntervalSeconds: number;
  readonly runDeadlineSeconds?: number;
  readonly sync: SyncConfig;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `undefined` for unset or blank, so `FOO=` behaves like no `FOO` at all. */
function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

export function readInt(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) {
    throw new ConfigError(name, `expected a whole number, got ${JSON.stringify(value)}`);
  }
  const n = Number(value);
  if (n < min || n > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function readRatio(env: Env, name: string, fallback: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(n > 0 && n <= 1)) {
    throw new ConfigError(name, `expected a number in (0, 1], got ${JSON.stringify(value)}`);
  }
  return n;
}

export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (["true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(value)}`);
}

function readUrl(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, "is not a valid URL");
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must start with ${protocols.map((p) => `${p}//`).join(" or ")}`);
  }
  return value;
}

function readProvider(env: Env): ProviderName {
  const value = raw(env, "PG_PROVIDER") ?? "reference";
  const found = PROVIDERS.find((p) => p === value);
  if (!found) {
    throw new ConfigError(
      "PG_PROVIDER",
      `unknown provider ${JSON.stringify(value)}; known: ${PROVIDERS.join(", ")}`,
    );
  }
  return found;
}

function readTableName(env: Env): string {
  const value = raw(env, "LEDGER_TABLE") ?? "paysync-ledger";
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(value)) {
    throw new ConfigError(
      "LEDGER_TABLE",
      "must be 3–255 characters of letters, digits, '_', '-' or '.'",
    );
  }
  return value;
}

function readEventBusName(env: Env): string | undefined {
  const value = raw(env, "EVENT_BUS_NAME");
  // A bus name, or its ARN (PutEvents takes either).
  if (value !== undefined && !/^[A-Za-z0-9._\-/:]{1,1600}$/.test(value)) {
    throw new ConfigError("EVENT_BUS_NAME", "must be an EventBridge bus name or ARN");
  }
  return value;
}

function readOrdersSql(env: Env): string | undefined {
  const value = raw(env, "STORE_ORDERS_SQL");
  if (value !== undefined && !/\$1\b/.test(value)) {
    throw new ConfigError("STORE_ORDERS_SQL", "must take the id list as $1");
  }
  if (value !== undefined && /\$(?!1\b)\d+/.test(value)) {
    throw new ConfigError("STORE_ORDERS_SQL", "may use only one parameter, $1 (the id list)");
  }
  return value;
}

function readPortOne(env: Env): PortOneSettings {
  const storeId = raw(env, "PORTONE_STORE_ID");
  // A store id goes into a URL query and a JSON body: one token, nothing to escape badly.
  if (storeId !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(storeId)) {
    throw new ConfigError(
      "PORTONE_STORE_ID",
      "must be one id such as store-4b3c…, letters, digits, - and _",
    );
  }
  const field = raw(env, "PORTONE_ORDER_ID_FIELD");
  if (field !== undefined && field !== "id" && field !== "orderName") {
    throw new ConfigError(
      "PORTONE_ORDER_ID_FIELD",
      `must be id or orderName, got ${JSON.stringify(field)}`,
    );
  }
  return {
    ...(storeId === undefined ? {} : { storeId }),
    ...(field === undefined ? {} : { orderIdField: field }),
  };
}

const DAY_SECONDS = 86_400;

/**
 * Reads and checks every variable before anything touches the network, so a typo costs
 * an exit 64 and a message, never a half-configured run.
 */
export function readEnvConfig(env: Env): EnvConfig {
  const provider = readProvider(env);
  const graceSeconds = readInt(
    env,
    "GRACE_SECONDS",
    defaultSyncConfig.graceSeconds,
    0,
    31 * DAY_SECONDS,
  );
  const lookbackSeconds = readInt(
    env,
    "LOOKBACK_SECONDS",
    defaultSyncConfig.lookbackSeconds,
    1,
    31 * DAY_SECONDS,
  );
  if (lookbackSeconds <= graceSeconds) {
    throw new ConfigError(
      "LOOKBACK_SECONDS",
      `must be greater than GRACE_SECONDS (${graceSeconds}), or the window is empty`,
    );
  }
  const runDeadlineSeconds =
    raw(env, "RUN_DEADLINE_SECONDS") === undefined
      ? undefined
      : readInt(env, "RUN_DEADLINE_SECONDS", 0, 1, DAY_SECONDS);
  const pgApiKey = raw(env, "PG_API_KEY");
  return {
    provider,
    portOne: readPortOne(env),
    pgBaseUrl: readUrl(env, "PG_BASE_URL", ["http:", "https:"]),
    ...(pgApiKey === undefined ? {} : { pgApiKey }),
    pageSizeSet: raw(env, "PG_PAGE_SIZE") !== undefined,
    maxRps: readInt(env, "PG_MAX_RPS", 20, 1, 1_000_000),
    storeDatabaseUrl: readUrl(env, "STORE_DATABASE_URL", ["postgres:", "postgresql:"]),
    storeOrdersSql: readOrdersSql(env),
    ledgerTable: readTableName(env),
    dynamodbEndpoint: readUrl(env, "DYNAMODB_ENDPOINT", ["http:", "https:"]),
    eventBusName: readEventBusName(env),
    syncIntervalSeconds: readInt(env, "SYNC_INTERVAL_SECONDS", 10, 1, DAY_SECONDS),
    runDeadlineSeconds,
    sync: {
      ...defaultSyncConfig,
      pageSize: readInt(
        env,
        "PG_PAGE_SIZE",
        defaultSyncConfig.pageSize,
        1,
        GATEWAY_DESCRIPTORS[provider].maxPageSize,
      ),
      concurrency: readInt(env, "PG_CONCURRENCY", defaultSyncConfig.concurrency, 1, 256),
      orderChunkSize: readInt(
        env,
        "ORDER_CHUNK_SIZE",
        defaultSyncConfig.orderChunkSize,
        1,
        100_000,
      ),
      graceSeconds,
      lookbackSeconds,
      maxCancelsPerRun: readInt(
        env,
        "MAX_CANCELS_PER_RUN",
        defaultSyncConfig.maxCancelsPerRun,
        0,
        1_000_000,
      ),
      maxOrphanRatio: readRatio(env, "MAX_ORPHAN_RATIO", defaultSyncConfig.maxOrphanRatio),
      dryRun: readBool(env, "DRY_RUN", false),
    },
  };
}
