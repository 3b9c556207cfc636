import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import { ConfigError, type EnvConfig } from "../config/env-config.ts";

/** The two credentials paysync needs. Never logged, never put in an error message. */
export interface RunSecrets {
  readonly pgApiKey: string;
  readonly storeDatabaseUrl: string;
}

/** Fetches one secret's value by ARN; `forceFetch` skips any cache. */
export type SecretFetcher = (arn: string, forceFetch: boolean) => Promise<unknown>;

/**
 * Ports hold the secrets for the container's life, so this cache mostly spares a rebuild after
 * a failed run from a second call; a failed run fetches afresh (`forceFetch`), which is how a
 * rotated password is picked up.
 */
const SECRET_MAX_AGE_SECONDS = 3600;

const fetchWithPowertools: SecretFetcher = (arn, forceFetch) =>
  getSecret(arn, { maxAge: SECRET_MAX_AGE_SECONDS, forceFetch });

type Env = Readonly<Record<string, string | undefined>>;

const ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

function readArn(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  if (value === undefined || value === "") return undefined;
  if (!ARN.test(value)) throw new ConfigError(name, "is not a Secrets Manager secret ARN");
  return value;
}

const message = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

async function fetchText(
  fetch: SecretFetcher,
  variable: string,
  arn: string,
  forceFetch: boolean,
): Promise<string> {
  let value: unknown;
  try {
    value = await fetch(arn, forceFetch);
  } catch (error) {
    // The SDK's message names the secret and the reason (not found, access denied), never its value.
    throw new ConfigError(variable, `could not read the secret: ${message(error)}`);
  }
  if (typeof value === "string") return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  throw new ConfigError(variable, "the secret has no value");
}

/** JSON when it looks like an object; `undefined` for anything else, plain text included. */
function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.trimStart().startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const nonEmptyString = (value: unknown): value is string =>
  typeof value === "string" && value.trim() !== "";

/**
 * The PG API key secret: the key as plain text, or a console key/value secret
 * `{"apiKey": "..."}`.
 */
export function apiKeyFromSecret(text: string, variable = "PG_API_KEY_SECRET_ARN"): string {
  const object = parseObject(text);
  const key = object === undefined ? text.trim() : object.apiKey;
  if (!nonEmptyString(key)) {
    throw new ConfigError(
      variable,
      object === undefined
        ? "the secret is empty"
        : 'the secret is JSON without a non-empty "apiKey" field',
    );
  }
  return key.trim();
}

const POSTGRES_PROTOCOLS = ["postgres:", "postgresql:"];

function checkedUrl(url: string, variable: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(variable, "the secret's URL is not a valid URL");
  }
  if (!POSTGRES_PROTOCOLS.includes(parsed.protocol)) {
    throw new ConfigError(
      variable,
      "the secret's URL must start with postgres:// or postgresql://",
    );
  }
  return url;
}

/**
 * The store database secret, in one of three shapes:
 * - a plain `postgres://` URL;
 * - JSON with a `url` field holding that URL;
 * - an RDS-style secret `{"username", "password", "host", "port"?, "dbname"?, "sslmode"?}`,
 *   made into `postgres://username:password@host:port/dbname?sslmode=...`. Without `sslmode`
 *   the connection is TLS with the server's certificate verified (`verify-full`); the stack
 *   loads the Lambda runtime's CA bundle, which includes the RDS certificates.
 */
export function storeUrlFromSecret(text: string, variable = "STORE_DATABASE_SECRET_ARN"): string {
  const object = parseObject(text);
  if (object === undefined) {
    if (text.trim() === "") throw new ConfigError(variable, "the secret is empty");
    return checkedUrl(text.trim(), variable);
  }
  if (object.url !== undefined) {
    if (!nonEmptyString(object.url))
      throw new ConfigError(variable, 'the secret\'s "url" must be a non-empty string');
    return checkedUrl(object.url.trim(), variable);
  }
  const { username, password, host, port, dbname, sslmode } = object;
  if (!nonEmptyString(username) || !nonEmptyString(password) || !nonEmptyString(host)) {
    const missing = Object.entries({ username, password, host })
      .filter(([, value]) => !nonEmptyString(value))
      .map(([name]) => name);
    throw new ConfigError(
      variable,
      `the secret must be a postgres:// URL, JSON with "url", or JSON with username, password and host; missing: ${missing.join(", ")}`,
    );
  }
  if (port !== undefined && !/^\d{1,5}$/.test(String(port))) {
    throw new ConfigError(variable, 'the secret\'s "port" must be a port number');
  }
  if (dbname !== undefined && !nonEmptyString(dbname)) {
    throw new ConfigError(variable, 'the secret\'s "dbname" must be a non-empty string');
  }
  if (sslmode !== undefined && !nonEmptyString(sslmode)) {
    throw new ConfigError(variable, 'the secret\'s "sslmode" must be a non-empty string');
  }
  const credentials = `${encodeURIComponent(username)}:${encodeURIComponent(password)}`;
  const address = `${host.trim()}${port === undefined ? "" : `:${String(port)}`}`;
  const database = encodeURIComponent(dbname ?? "postgres");
  const query = `sslmode=${encodeURIComponent(sslmode ?? "verify-full")}`;
  return checkedUrl(`postgres://${credentials}@${address}/${database}?${query}`, variable);
}

export interface LoadSecretsOptions {
  /** Skip the cache: after a failed run, the password may have been rotated. */
  readonly forceFetch?: boolean;
  readonly fetch?: SecretFetcher;
}

/**
 * In AWS the credentials come from Secrets Manager (`PG_API_KEY_SECRET_ARN`,
 * `STORE_DATABASE_SECRET_ARN`). Without those variables, the plain `PG_API_KEY` and
 * `STORE_DATABASE_URL` are used, which is how the tests run the handler on the embedded stack.
 */
export async function loadSecrets(
  env: Env,
  config: EnvConfig,
  options: LoadSecretsOptions = {},
): Promise<RunSecrets> {
  const fetch = options.fetch ?? fetchWithPowertools;
  const forceFetch = options.forceFetch ?? false;
  const apiKeyArn = readArn(env, "PG_API_KEY_SECRET_ARN");
  const storeArn = readArn(env, "STORE_DATABASE_SECRET_ARN");

  const [pgApiKey, storeDatabaseUrl] = await Promise.all([
    apiKeyArn === undefined
      ? config.pgApiKey
      : fetchText(fetch, "PG_API_KEY_SECRET_ARN", apiKeyArn, forceFetch).then((text) =>
          apiKeyFromSecret(text),
        ),
    storeArn === undefined
      ? config.storeDatabaseUrl
      : fetchText(fetch, "STORE_DATABASE_SECRET_ARN", storeArn, forceFetch).then((text) =>
          storeUrlFromSecret(text),
        ),
  ]);
  if (pgApiKey === undefined) {
    throw new ConfigError("PG_API_KEY_SECRET_ARN", "is not set, and neither is PG_API_KEY");
  }
  if (storeDatabaseUrl === undefined) {
    throw new ConfigError(
      "STORE_DATABASE_SECRET_ARN",
      "is not set, and neither is STORE_DATABASE_URL",
    );
  }
  return { pgApiKey, storeDatabaseUrl };
}
