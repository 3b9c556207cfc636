import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type TableStatus,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDynamoDbWire, type DynamoDbWire } from "./dynamodb-wire.ts";

export interface EnsureTableOptions {
  /** How long to wait for a new table to become ACTIVE. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_POLL_MS = 250;
/**
 * SDK retries cover throttling and dropped connections. Safe to repeat because every ledger
 * write is conditional: a replayed write that already landed just fails its condition.
 */
const SDK_MAX_ATTEMPTS = 4;

const hasName = (error: unknown, name: string): boolean =>
  error instanceof Error && error.name === name;

/** The table's status, or `undefined` when it does not exist (yet). */
const describeStatus = async (
  client: DynamoDBClient,
  tableName: string,
): Promise<TableStatus | string | undefined> => {
  try {
    const output = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return output.Table?.TableStatus ?? "UNKNOWN";
  } catch (error) {
    if (hasName(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
};

const createTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    // Another process created it first; we only need it to exist.
    if (!hasName(error, "ResourceInUseException")) throw error;
  }
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates the ledger table if it is missing and waits until it can take writes. */
export const ensureLedgerTable = async (
  client: DynamoDBClient,
  tableName: string,
  options: EnsureTableOptions = {},
): Promise<void> => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let status = await describeStatus(client, tableName);
  if (status === "ACTIVE") return;
  if (status === undefined) await createTable(client, tableName);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Right after CreateTable, DescribeTable may briefly still say "not found".
    status = await describeStatus(client, tableName);
    if (status === "ACTIVE") return;
    if (Date.now() >= deadline) {
      throw new Error(
        `DynamoDB table ${tableName} is not ACTIVE after ${timeoutMs} ms (status: ${status ?? "not found"})`,
      );
    }
    await sleep(pollMs);
  }
};

export interface DocumentClientOptions {
  /** A local DynamoDB (dynalite, DynamoDB Local); omit for AWS. */
  readonly endpoint?: string;
  readonly region?: string;
}

/** The ledger's ways to one table. */
export interface LedgerClients {
  /** The SDK client: the table itself (create, describe). */
  readonly client: DynamoDBClient;
  /** The document client, for the ledger's reads and rarer writes: plain values in and out. */
  readonly doc: DynamoDBDocumentClient;
  /** A cancel's own writes (claim, outcome, batched lines), lighter on CPU (dynamodb-wire.ts). */
  readonly wire: DynamoDbWire;
}

/** The SDK client's own timeout, and the wire's: a hung socket fails the call, not the run. */
const REQUEST_TIMEOUT_MS = 10_000;

export const createDocumentClient = (options: DocumentClientOptions): LedgerClients => {
  // A local endpoint ignores signatures, but the SDK still insists on having credentials.
  const local = options.endpoint !== undefined && !process.env.AWS_ACCESS_KEY_ID;
  const region = options.region ?? process.env.AWS_REGION ?? (local ? "us-east-1" : undefined);
  const client = new DynamoDBClient({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(region === undefined ? {} : { region }),
    ...(local ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
    maxAttempts: SDK_MAX_ATTEMPTS,
    // A hung socket should fail the call (the core then fails closed), not eat the whole run.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: REQUEST_TIMEOUT_MS },
  });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const wire = createDynamoDbWire(client, {
    maxAttempts: SDK_MAX_ATTEMPTS,
    timeoutMs: REQUEST_TIMEOUT_MS,
  });
  return { client, doc, wire };
};
