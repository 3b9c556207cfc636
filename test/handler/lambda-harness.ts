import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context } from "aws-lambda";
import { vi } from "vitest";
import { listenOnLoopback } from "../support/loopback-server.ts";

/** What Lambda hands the handler, with the remaining time under the test's control. */
export function fakeContext(remainingMs = 300_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "paysync-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:ap-northeast-2:123456789012:function:paysync-test",
    memoryLimitInMB: "512",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/paysync-test",
    logStreamName: "2026/11/24/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export function readFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
}

/** Sets variables for one test and puts the previous environment back afterwards. */
export function scopedEnv(): {
  set(vars: Record<string, string | undefined>): void;
  restore(): void;
} {
  const saved = { ...process.env };
  return {
    set(vars) {
      for (const [key, value] of Object.entries(vars)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    },
    restore() {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    },
  };
}

/**
 * Powertools writes logs and EMF metrics straight to stdout (errors and warnings to stderr).
 * This keeps them out of the test output and lets a test read them back, one parsed JSON
 * object per line.
 */
export function captureOutput(): {
  lines(): Record<string, unknown>[];
  text(): string;
  stop(): void;
} {
  const chunks: string[] = [];
  const collect = (chunk: unknown) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, "write").mockImplementation(collect),
    vi.spyOn(process.stderr, "write").mockImplementation(collect),
  ];
  const text = () => chunks.join("");
  return {
    text,
    lines: () =>
      text()
        .split("\n")
        .filter((line) => line.trim().startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

/** EMF records (Powertools metrics) among the captured lines. */
export const emfRecords = (lines: Record<string, unknown>[]) =>
  lines.filter((line) => typeof line._aws === "object" && line._aws !== null);

export interface FakeSecretsManager {
  readonly endpoint: string;
  /** GetSecretValue calls received, by SecretId. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Just enough of the Secrets Manager API (JSON 1.1 protocol, `GetSecretValue`) for the SDK
 * client that Powertools Parameters builds, reached through `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 */
export async function startFakeSecretsManager(
  secrets: Record<string, string>,
): Promise<FakeSecretsManager> {
  const calls = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      const target = request.headers["x-amz-target"];
      const { SecretId } = JSON.parse(body || "{}") as { SecretId?: string };
      const reply = (status: number, payload: unknown) => {
        response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify(payload));
      };
      if (target !== "secretsmanager.GetSecretValue" || SecretId === undefined) {
        reply(400, { __type: "InvalidRequestException", message: `unsupported ${target}` });
        return;
      }
      calls.set(SecretId, (calls.get(SecretId) ?? 0) + 1);
      const value = secrets[SecretId];
      if (value === undefined) {
        reply(400, {
          __type: "ResourceNotFoundException",
          message: "Secrets Manager can't find the specified secret.",
        });
        return;
      }
      reply(200, {
        ARN: SecretId,
        Name: SecretId.split(":").at(-1),
        SecretString: value,
        VersionId: "00000000-0000-0000-0000-000000000001",
        VersionStages: ["AWSCURRENT"],
        CreatedDate: 1_764_000_000,
      });
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { endpoint: `http://127.0.0.1:${port}`, calls, close };
}

/** A loopback port with nothing listening: connections to it are refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
