import type {
  AttributeValue,
  BatchWriteItemInput,
  BatchWriteItemOutput,
  DynamoDBClient,
  PutItemInput,
  PutItemOutput,
  UpdateItemInput,
  UpdateItemOutput,
} from "@aws-sdk/client-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import { ExchangeFailure, exchange } from "../util/http-exchange.ts";
import { signRequest } from "./sigv4.ts";

/**
 * The three DynamoDB operations every cancel makes (its claim, its outcome, the batched
 * lines), sent over DynamoDB's low-level JSON protocol rather than through the SDK's
 * middleware stack.
 *
 * Why: in the bench at 1M payments, a run's 1,000 cancels spent about 3 s of CPU in the
 * SDK, about 1.2 ms a call (building and sorting a middleware stack, schema-driven
 * serialising, resolving the endpoint's rule set, signing, the retry strategy, the HTTP
 * handler). A Lambda's fraction of a vCPU pays for that. The protocol itself is small and
 * documented ("DynamoDB low-level API" and "Error handling with DynamoDB" in the DynamoDB
 * Developer Guide): a signed POST of the operation's input as JSON, `X-Amz-Target:
 * DynamoDB_20120810.<Operation>`, and on failure a 4xx/5xx whose body names the exception
 * in `__type`. What must be right is taken from the SDK client it is built on: the
 * credentials and the region (its providers) and the endpoint (its own configuration and
 * rule set). The signature is SigV4 (sigv4.ts), held equal to the SDK's signer by a test.
 *
 * Inputs and outputs are the SDK's own shapes for these operations (AttributeValues with
 * strings, numbers as strings, maps and lists; never binary). Errors are Errors named as
 * the SDK names them (`ConditionalCheckFailedException`...), so callers tell them apart the
 * same way whichever path a call took.
 */
export interface DynamoDbWire {
  send(operation: "PutItem", input: PutItemInput): Promise<PutItemOutput>;
  send(operation: "UpdateItem", input: UpdateItemInput): Promise<UpdateItemOutput>;
  send(operation: "BatchWriteItem", input: BatchWriteItemInput): Promise<BatchWriteItemOutput>;
}

export type WireOperation = "PutItem" | "UpdateItem" | "BatchWriteItem";

/** Plain values as AttributeValues, written as the ledger's document client writes them. */
export const toAttributes = (values: Record<string, unknown>): Record<string, AttributeValue> =>
  marshall(values, { removeUndefinedValues: true });

/** An error DynamoDB answered, or the last transient failure once the attempts ran out. */
export class DynamoDbWireError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly statusCode: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface DynamoDbWireOptions {
  /** Attempts in all, the first included (the SDK client's `maxAttempts`). */
  readonly maxAttempts: number;
  /** The whole exchange, body included. */
  readonly timeoutMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const TARGET_PREFIX = "DynamoDB_20120810.";
const CONTENT_TYPE = "application/x-amz-json-1.0";
const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/**
 * Exceptions the Developer Guide marks "OK to retry?: Yes" ("Error handling with DynamoDB",
 * "Error messages and codes"), besides any 5xx. A conditional write sent again after its
 * first try landed fails its condition, which the ledger already reads as "look again".
 */
const RETRYABLE = new Set([
  "ItemCollectionSizeLimitExceededException",
  "LimitExceededException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "ThrottlingException",
  "TransactionConflictException",
  "InternalServerError",
  "ServiceUnavailable",
]);

type Config = DynamoDBClient["config"] & {
  /** AWS_ENDPOINT_URL_DYNAMODB and its kin, as the SDK resolved them (not in its types). */
  readonly serviceConfiguredEndpoint?: () => Promise<string | undefined>;
};

/** Where the SDK client would send its requests, from its own configuration. */
export async function wireEndpoint(client: DynamoDBClient): Promise<URL> {
  const config = client.config as Config;
  const custom = config.endpoint === undefined ? undefined : await config.endpoint();
  if (custom !== undefined) {
    const port = custom.port === undefined ? "" : `:${custom.port}`;
    return new URL(`${custom.protocol}//${custom.hostname}${port}${custom.path ?? "/"}`);
  }
  const configured = await config.serviceConfiguredEndpoint?.();
  if (configured !== undefined) return new URL(configured);
  const resolved = config.endpointProvider({
    Region: await config.region(),
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
    // The regional endpoint, which always serves; the account-based one is an optimisation.
    AccountIdEndpointMode: "disabled",
  });
  return new URL(resolved.url.href);
}

const errorName = (type: unknown): string | undefined =>
  typeof type === "string" && type !== "" ? type.slice(type.lastIndexOf("#") + 1) : undefined;

function parseBody(text: string): Record<string, unknown> | undefined {
  if (text === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function createDynamoDbWire(
  client: DynamoDBClient,
  options: DynamoDbWireOptions,
): DynamoDbWire {
  const config = client.config as Config;
  const sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  /** Where and for which region requests go: resolved once, and again after a failure. */
  let target: Promise<{ url: URL; region: string }> | undefined;
  const resolveTarget = () => {
    target ??= Promise.all([wireEndpoint(client), config.region()]).then(
      ([url, region]) => ({ url, region }),
      (error: unknown) => {
        target = undefined;
        throw error;
      },
    );
    return target;
  };

  /** One signed exchange: the parsed answer, or a DynamoDbWireError. */
  async function attempt(operation: WireOperation, body: string): Promise<unknown> {
    const { url, region } = await resolveTarget();
    // The SDK's provider chain, memoized and refreshed before expiry by the SDK itself.
    const credentials = await config.credentials();
    const headers = signRequest(
      {
        method: "POST",
        path: url.pathname,
        headers: {
          host: url.host,
          "content-length": String(Buffer.byteLength(body)),
          "content-type": CONTENT_TYPE,
          "x-amz-target": `${TARGET_PREFIX}${operation}`,
        },
        body,
      },
      credentials,
      region,
      "dynamodb",
    );
    let answer: Awaited<ReturnType<typeof exchange>>;
    try {
      answer = await exchange({ method: "POST", url: url.href, headers, body }, options.timeoutMs);
    } catch (cause) {
      const failure = cause instanceof ExchangeFailure ? cause : undefined;
      throw new DynamoDbWireError(
        failure?.timedOut ? "TimeoutError" : "NetworkingError",
        `DynamoDB ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
        undefined,
        true,
      );
    }
    const parsed = parseBody(answer.text);
    if (answer.status === 200 && parsed !== undefined) return parsed;
    const name =
      errorName(parsed?.__type) ?? (answer.status >= 500 ? "InternalServerError" : "UnknownError");
    const message = parsed?.message ?? parsed?.Message;
    throw new DynamoDbWireError(
      name,
      typeof message === "string" ? message : `DynamoDB ${operation} answered ${answer.status}`,
      answer.status,
      answer.status >= 500 || RETRYABLE.has(name),
    );
  }

  return {
    async send(operation: WireOperation, input: object): Promise<never> {
      const body = JSON.stringify(input);
      for (let attemptNo = 1; ; attemptNo++) {
        try {
          return (await attempt(operation, body)) as never;
        } catch (error) {
          const retryable = error instanceof DynamoDbWireError && error.retryable;
          if (!retryable || attemptNo >= options.maxAttempts) throw error;
          // Capped exponential backoff with full jitter, as the SDK's standard retry mode.
          const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attemptNo - 1));
          await sleep(Math.round(random() * ceiling));
        }
      }
    },
  } as DynamoDbWire;
}
