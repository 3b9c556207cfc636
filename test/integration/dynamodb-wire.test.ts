import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { createDynamoDbWire, wireEndpoint } from "../../lambda/adapters/dynamodb-wire.ts";
import { useDynaliteTables } from "../support/dynalite-tables.ts";
import { listenOnLoopback } from "../support/loopback-server.ts";

const dynalite = useDynaliteTables("wire-test");

const local = (endpoint: string) =>
  new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A stand-in DynamoDB that answers from a script, one answer per request, and keeps them. */
async function scriptedDynamo(
  answers: ((res: ServerResponse) => void)[],
): Promise<{ endpoint: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const answer = answers[seen.length - 1];
      if (answer === undefined) throw new Error(`no answer scripted for request ${seen.length}`);
      answer(res);
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, seen, close };
}

const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
  res.end(JSON.stringify(body));
};
const error = (status: number, name: string, message = `${name} happened`) =>
  json(status, { __type: `com.amazonaws.dynamodb.v20120810#${name}`, message });
const hangUp = (res: ServerResponse) => res.socket?.destroy();

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function scripted(answers: ((res: ServerResponse) => void)[], maxAttempts = 4) {
  const dynamo = await scriptedDynamo(answers);
  closers.push(dynamo.close);
  const client = local(dynamo.endpoint);
  closers.push(async () => client.destroy());
  const pauses: number[] = [];
  const wire = createDynamoDbWire(client, {
    maxAttempts,
    timeoutMs: 2_000,
    sleep: async (ms) => {
      pauses.push(ms);
    },
    random: () => 1,
  });
  return { wire, seen: dynamo.seen, pauses };
}

const put = { TableName: "t", Item: { pk: { S: "P" }, sk: { S: "S" } } };

describe("the ledger's wire to DynamoDB", () => {
  it("writes, updates and batches against a real DynamoDB API (dynalite)", async () => {
    const tableName = await dynalite.freshTable();
    const { wire } = dynalite;
    await wire.send("PutItem", {
      TableName: tableName,
      Item: { pk: { S: "PAY#1" }, sk: { S: "CANCEL" }, state: { S: "CLAIMED" }, n: { N: "7" } },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    await wire.send("UpdateItem", {
      TableName: tableName,
      Key: { pk: { S: "PAY#1" }, sk: { S: "CANCEL" } },
      UpdateExpression: "SET #state = :done",
      ConditionExpression: "#state = :claimed",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: { ":done": { S: "CANCELLED" }, ":claimed": { S: "CLAIMED" } },
    });
    const batch = await wire.send("BatchWriteItem", {
      RequestItems: {
        [tableName]: [
          { PutRequest: { Item: { pk: { S: "PAY#2" }, sk: { S: "HIST#1" }, what: { S: "é ✓" } } } },
        ],
      },
    });
    expect(batch.UnprocessedItems).toEqual({});
    const read = async (pk: string, sk: string) =>
      (
        await dynalite.doc.send(
          new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
        )
      ).Item;
    expect(await read("PAY#1", "CANCEL")).toEqual({
      pk: "PAY#1",
      sk: "CANCEL",
      state: "CANCELLED",
      n: 7,
    });
    expect(await read("PAY#2", "HIST#1")).toMatchObject({ what: "é ✓" });
  });

  it("names DynamoDB's refusals as the SDK does, and does not retry them", async () => {
    const tableName = await dynalite.freshTable();
    const item = { TableName: tableName, Item: { pk: { S: "A" }, sk: { S: "B" } } };
    await dynalite.wire.send("PutItem", item);
    await expect(
      dynalite.wire.send("PutItem", { ...item, ConditionExpression: "attribute_not_exists(pk)" }),
    ).rejects.toMatchObject({
      name: "ConditionalCheckFailedException",
      statusCode: 400,
      retryable: false,
    });
    await expect(
      dynalite.wire.send("PutItem", { ...item, TableName: "no-such-table" }),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });

    const { wire, seen } = await scripted([error(400, "ValidationException", "bad expression")]);
    await expect(wire.send("PutItem", put)).rejects.toMatchObject({
      name: "ValidationException",
      message: "bad expression",
    });
    expect(seen).toHaveLength(1);
  });

  it("sends the documented request: a signed POST of the input, its target named", async () => {
    const { wire, seen } = await scripted([json(200, {})]);
    await expect(wire.send("UpdateItem", { ...put, Key: put.Item })).resolves.toEqual({});
    const [request] = seen;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/");
    expect(request?.headers["x-amz-target"]).toBe("DynamoDB_20120810.UpdateItem");
    expect(request?.headers["content-type"]).toBe("application/x-amz-json-1.0");
    expect(request?.headers["content-length"]).toBe(String(Buffer.byteLength(request?.body ?? "")));
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/us-east-1\/dynamodb\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
    expect(JSON.parse(request?.body ?? "")).toEqual({ ...put, Key: put.Item });
  });

  it("retries throttling, 5xx and dropped connections with backoff, byte for byte", async () => {
    const { wire, seen, pauses } = await scripted([
      error(400, "ProvisionedThroughputExceededException"),
      error(500, "InternalServerError"),
      hangUp,
      json(200, {}),
    ]);
    await expect(wire.send("PutItem", put)).resolves.toEqual({});
    expect(seen).toHaveLength(4);
    expect(new Set(seen.map((request) => request.body)).size).toBe(1);
    // Full jitter at its ceiling (random = 1): 100, 200, 400 ms.
    expect(pauses).toEqual([100, 200, 400]);
  });

  it("gives up after its attempts with the last failure, retryable and named", async () => {
    const { wire, seen } = await scripted(
      [error(400, "ThrottlingException"), error(503, "ServiceUnavailable", "busy")],
      2,
    );
    await expect(wire.send("BatchWriteItem", { RequestItems: {} })).rejects.toMatchObject({
      name: "ServiceUnavailable",
      message: "busy",
      statusCode: 503,
      retryable: true,
    });
    expect(seen).toHaveLength(2);
  });

  it("treats an answer it cannot read as an error, never as a success", async () => {
    const { wire } = await scripted([
      (res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>proxy</html>");
      },
    ]);
    await expect(wire.send("PutItem", put)).rejects.toMatchObject({ name: "UnknownError" });
  });
});

describe("where the wire sends its requests", () => {
  it("resolves its endpoint again after a failure rather than keeping the failure", async () => {
    const client = local((await wireEndpoint(dynalite.client)).href);
    closers.push(async () => client.destroy());
    const region = client.config.region;
    let calls = 0;
    client.config.region = async () => {
      calls += 1;
      if (calls === 1) throw new Error("region provider failed once");
      return region();
    };
    const wire = createDynamoDbWire(client, { maxAttempts: 1, timeoutMs: 2_000 });
    const tableName = await dynalite.freshTable();
    const item = { TableName: tableName, Item: { pk: { S: "R" }, sk: { S: "S" } } };
    await expect(wire.send("PutItem", item)).rejects.toThrow(/region provider failed once/);
    await expect(wire.send("PutItem", item)).resolves.toEqual({});
  });

  it("follows the SDK client's own endpoint: set, configured by environment, or regional", async () => {
    expect((await wireEndpoint(local("http://127.0.0.1:4567"))).href).toBe(
      "http://127.0.0.1:4567/",
    );
    const regional = new DynamoDBClient({ region: "ap-northeast-2" });
    expect((await wireEndpoint(regional)).href).toBe(
      "https://dynamodb.ap-northeast-2.amazonaws.com/",
    );
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9999";
    try {
      const configured = new DynamoDBClient({ region: "ap-northeast-2" });
      expect((await wireEndpoint(configured)).href).toBe("http://127.0.0.1:9999/");
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
    }
  });
});
