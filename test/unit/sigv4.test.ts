import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type SigningCredentials, signRequest } from "../../lambda/adapters/sigv4.ts";

/** The hash the SDK's DynamoDB client hands its signer. */
const sdkSha256 = new DynamoDBClient({ region: "us-east-1" }).config.sha256;

/** What the SDK's signer sends for the same request, at the same instant. */
async function sdkHeaders(
  request: { path: string; headers: Record<string, string>; body: string },
  credentials: SigningCredentials,
  region: string,
  at: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    region,
    service: "dynamodb",
    sha256: sdkSha256,
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: "https:",
      hostname: request.headers.host as string,
      path: request.path,
      query: {},
      headers: { ...request.headers },
      body: request.body,
    },
    { signingDate: at },
  );
  return signed.headers as Record<string, string>;
}

const request = (body: string, host = "dynamodb.ap-northeast-2.amazonaws.com") => ({
  method: "POST",
  path: "/",
  headers: {
    host,
    "content-length": String(Buffer.byteLength(body)),
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": "DynamoDB_20120810.PutItem",
  },
  body,
});

describe("the ledger's SigV4 signing", () => {
  const at = new Date("2026-12-01T03:51:31.123Z");
  const keys = {
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  };

  it("signs exactly as the SDK's own signer, with and without a session token", async () => {
    const body = JSON.stringify({ TableName: "paysync-ledger", Item: { pk: { S: "PAY#PG12" } } });
    for (const credentials of [
      keys,
      { ...keys, sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//token=" },
    ]) {
      const ours = signRequest(request(body), credentials, "ap-northeast-2", "dynamodb", at);
      const sdk = await sdkHeaders(request(body), credentials, "ap-northeast-2", at);
      expect(ours).toEqual(sdk);
      expect(ours.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261201\/ap-northeast-2\/dynamodb\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date(;x-amz-security-token)?;x-amz-target, Signature=[0-9a-f]{64}$/,
      );
    }
  });

  it("agrees with the SDK's signer on any body, region, host, path and day", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary", maxLength: 200 }),
        fc.constantFrom("us-east-1", "ap-northeast-2", "cn-north-1"),
        fc.constantFrom("dynamodb.us-east-1.amazonaws.com", "127.0.0.1:8000", "localhost"),
        fc.constantFrom("/", "/a/./b/../c", "/with space/é/"),
        fc.date({ min: new Date("2020-01-01"), max: new Date("2040-01-01"), noInvalidDate: true }),
        // Values the canonical form must trim and fold, and ones it leaves as they are.
        fc.constantFrom(
          "plain",
          " lead",
          "trail ",
          "two  spaces",
          "tab\tin",
          "line\r\nbreak",
          "a \t b",
        ),
        async (body, region, host, path, when, value) => {
          const base = request(body, host);
          const signed = { ...base, path, headers: { ...base.headers, "x-amz-meta": value } };
          const ours = signRequest(signed, keys, region, "dynamodb", when);
          expect(ours).toEqual(await sdkHeaders(signed, keys, region, when));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("derives a new key when the day, the region or the secret changes", () => {
    const body = "{}";
    const a = signRequest(request(body), keys, "us-east-1", "dynamodb", at);
    const b = signRequest(
      request(body),
      keys,
      "us-east-1",
      "dynamodb",
      new Date("2026-12-02T00:00:00Z"),
    );
    const c = signRequest(request(body), keys, "us-west-2", "dynamodb", at);
    const d = signRequest(
      request(body),
      { ...keys, secretAccessKey: "other" },
      "us-east-1",
      "dynamodb",
      at,
    );
    const signatures = [a, b, c, d].map((headers) => headers.authorization?.slice(-64));
    expect(new Set(signatures).size).toBe(4);
    // And back to the first: the cache never answers for another key.
    expect(signRequest(request(body), keys, "us-east-1", "dynamodb", at)).toEqual(a);
  });
});
