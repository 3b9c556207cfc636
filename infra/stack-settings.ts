import type { Node } from "constructs";
import { ConfigError, readEnvConfig } from "../lambda/config/env-config.ts";
import { PROVIDERS, type ProviderName } from "../lambda/gateways/descriptors.ts";

/** A context value that is missing or unusable. The message always names the key. */
export class ContextError extends Error {
  override readonly name = "ContextError";
  constructor(
    readonly key: string,
    problem: string,
  ) {
    const topKey = key.split(".")[0];
    super(
      `cdk context "${key}": ${problem} (set "${topKey}" in cdk.json or with -c ${topKey}=...)`,
    );
  }
}

export interface VpcPlacement {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** Empty: the stack makes a security group that only allows outbound traffic. */
  readonly securityGroupIds: readonly string[];
}

/** Everything the stack reads from cdk.json context, checked. */
export interface StackSettings {
  readonly pgBaseUrl: string;
  readonly pgProvider: ProviderName;
  /** Absent: the stack creates a placeholder secret to be filled in after the first deploy. */
  readonly pgApiKeySecretArn?: string;
  readonly storeDatabaseSecretArn?: string;
  readonly syncRateMinutes: number;
  readonly deepRunCron: string;
  readonly alarmEmail?: string;
  readonly vpc?: VpcPlacement;
  /** Contracts §4 variables passed to the function unchanged. */
  readonly syncEnvironment: Readonly<Record<string, string>>;
  /**
   * Backfill slices in flight at once. It multiplies the gateway's requests (each slice has
   * `PG_CONCURRENCY` of its own, within the gateway's rate limit) and the store's connections,
   * so it is chosen for those, not for what Step Functions allows.
   */
  readonly backfillConcurrency: number;
}

/** Four slices at once, each with `PG_CONCURRENCY` requests: within a typical rate limit. */
export const DEFAULT_BACKFILL_CONCURRENCY = 4;
/** Far below Step Functions' own limits: each slice is a full run against the gateway. */
const MAX_BACKFILL_CONCURRENCY = 40;

/** The nightly deep run's constant input: 48 hours back. */
export const DEEP_RUN_LOOKBACK_SECONDS = 172_800;

/**
 * The alarm on "no successful run within 3 periods" evaluates 3 periods of the schedule's
 * rate, and CloudWatch caps periods × evaluations at one day.
 */
const MAX_SYNC_RATE_MINUTES = 480;

/**
 * Contracts §4 variables that tune a run and may be set through `syncEnvironment`. The rest
 * are the stack's own (`PG_BASE_URL`, `LEDGER_TABLE`, ...), secrets, or local-only.
 */
export const TUNABLE_VARIABLES = [
  "PG_PAGE_SIZE",
  "PG_CONCURRENCY",
  "PG_MAX_RPS",
  "STORE_ORDERS_SQL",
  "ORDER_CHUNK_SIZE",
  "GRACE_SECONDS",
  "LOOKBACK_SECONDS",
  "MAX_CANCELS_PER_RUN",
  "MAX_ORPHAN_RATIO",
  "DRY_RUN",
  "RUN_DEADLINE_SECONDS",
  "LOG_LEVEL",
  "PORTONE_STORE_ID",
  "PORTONE_ORDER_ID_FIELD",
] as const;

const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** EventBridge cron: six fields, minutes to years. */
const CRON = /^cron\(\s*(\S+\s+){5}\S+\s*\)$/;

type Context = (key: string) => unknown;

/** `-c key=value` always gives a string; cdk.json may give the real type. Blank is unset. */
function present(context: Context, key: string): unknown {
  const value = context(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" && value.trim() === "") return undefined;
  return typeof value === "string" ? value.trim() : value;
}

function text(context: Context, key: string): string | undefined {
  const value = present(context, key);
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new ContextError(key, "must be a string");
  return value;
}

function required(context: Context, key: string, what: string): string {
  const value = text(context, key);
  if (value === undefined) throw new ContextError(key, `is required: ${what}`);
  return value;
}

function matching(context: Context, key: string, pattern: RegExp, what: string) {
  const value = text(context, key);
  if (value !== undefined && !pattern.test(value)) {
    throw new ContextError(key, `must be ${what}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function wholeNumber(context: Context, key: string, fallback: number, min: number, max: number) {
  const value = present(context, key);
  if (value === undefined) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw new ContextError(
      key,
      `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** A list from cdk.json, or a comma-separated string from `-c`. */
function list(context: Context, key: string, pattern: RegExp, what: string): string[] {
  const value = present(context, key);
  if (value === undefined) return [];
  const items =
    typeof value === "string" ? value.split(",").map((item) => item.trim()) : (value as unknown);
  if (!Array.isArray(items) || items.some((item) => typeof item !== "string")) {
    throw new ContextError(key, "must be a list of strings, or one comma-separated string");
  }
  const bad = items.filter((item: string) => !pattern.test(item));
  if (bad.length > 0) throw new ContextError(key, `must hold only ${what}, got ${bad.join(", ")}`);
  return items as string[];
}

function httpUrl(context: Context, key: string): string {
  const value = required(context, key, "the payment gateway's base URL");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ContextError(key, `is not a valid URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ContextError(key, "must start with https:// (or http://)");
  }
  return value;
}

function provider(context: Context): ProviderName {
  const value = text(context, "pgProvider") ?? "reference";
  const found = PROVIDERS.find((p) => p === value);
  if (!found) {
    throw new ContextError("pgProvider", `must be one of ${PROVIDERS.join(", ")}, got ${value}`);
  }
  return found;
}

function vpcPlacement(context: Context): VpcPlacement | undefined {
  const vpcId = matching(context, "vpcId", VPC_ID, "a VPC id like vpc-0123456789abcdef0");
  const subnetIds = list(context, "subnetIds", SUBNET_ID, "subnet ids like subnet-0123abcd");
  const securityGroupIds = list(
    context,
    "securityGroupIds",
    SECURITY_GROUP_ID,
    "security group ids like sg-0123abcd",
  );
  if (vpcId === undefined) {
    if (subnetIds.length > 0) throw new ContextError("vpcId", "is required with subnetIds");
    if (securityGroupIds.length > 0)
      throw new ContextError("vpcId", "is required with securityGroupIds");
    return undefined;
  }
  if (subnetIds.length === 0) {
    throw new ContextError("subnetIds", "is required with vpcId: the private subnets to run in");
  }
  return { vpcId, subnetIds, securityGroupIds };
}

/**
 * Contracts §4 variables for the function, checked the way the function will check them, so a
 * bad value fails the synth instead of every run.
 */
function syncEnvironment(
  context: Context,
  pgBaseUrl: string,
  pgProvider: ProviderName,
): Record<string, string> {
  const key = "syncEnvironment";
  let value = present(context, key);
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ContextError(key, "must be an object (JSON from -c)");
    }
  }
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ContextError(key, "must be an object of contracts §4 variables");
  }
  const variables: Record<string, string> = {};
  for (const [name, setting] of Object.entries(value)) {
    if (!(TUNABLE_VARIABLES as readonly string[]).includes(name)) {
      throw new ContextError(
        `${key}.${name}`,
        `is not one of ${TUNABLE_VARIABLES.join(", ")}; the stack sets the gateway, table and secrets itself`,
      );
    }
    if (!["string", "number", "boolean"].includes(typeof setting)) {
      throw new ContextError(`${key}.${name}`, "must be a string, number or boolean");
    }
    variables[name] = String(setting);
  }
  try {
    // With the provider, as the function reads them: PG_PAGE_SIZE's ceiling is the gateway's.
    const config = readEnvConfig({ ...variables, PG_BASE_URL: pgBaseUrl, PG_PROVIDER: pgProvider });
    if (config.sync.graceSeconds >= DEEP_RUN_LOOKBACK_SECONDS) {
      throw new ConfigError(
        "GRACE_SECONDS",
        `must be below the nightly run's lookback (${DEEP_RUN_LOOKBACK_SECONDS})`,
      );
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      const problem = error.message.slice(`${error.variable}: `.length);
      throw new ContextError(`${key}.${error.variable}`, problem);
    }
    throw error;
  }
  return variables;
}

/** Reads and checks the stack's context before a single construct is made. */
export function readStackSettings(node: Pick<Node, "tryGetContext">): StackSettings {
  const context: Context = (key) => node.tryGetContext(key);
  const pgBaseUrl = httpUrl(context, "pgBaseUrl");
  const pgProvider = provider(context);
  const secretArn = "a complete Secrets Manager secret ARN (ending in the 6-character suffix)";
  const pgApiKeySecretArn = matching(context, "pgApiKeySecretArn", SECRET_ARN, secretArn);
  const storeDatabaseSecretArn = matching(context, "storeDatabaseSecretArn", SECRET_ARN, secretArn);
  const deepRunCron =
    matching(context, "deepRunCron", CRON, "an EventBridge cron(...) expression with 6 fields") ??
    "cron(0 18 * * ? *)";
  const alarmEmail = matching(context, "alarmEmail", EMAIL, "an e-mail address");
  const vpc = vpcPlacement(context);
  return {
    pgBaseUrl,
    pgProvider,
    ...(pgApiKeySecretArn === undefined ? {} : { pgApiKeySecretArn }),
    ...(storeDatabaseSecretArn === undefined ? {} : { storeDatabaseSecretArn }),
    syncRateMinutes: wholeNumber(context, "syncRateMinutes", 5, 1, MAX_SYNC_RATE_MINUTES),
    deepRunCron,
    ...(alarmEmail === undefined ? {} : { alarmEmail }),
    ...(vpc === undefined ? {} : { vpc }),
    syncEnvironment: syncEnvironment(context, pgBaseUrl, pgProvider),
    backfillConcurrency: wholeNumber(
      context,
      "backfillConcurrency",
      DEFAULT_BACKFILL_CONCURRENCY,
      1,
      MAX_BACKFILL_CONCURRENCY,
    ),
  };
}
