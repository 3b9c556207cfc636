import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { describe, expect, it, onTestFinished } from "vitest";
import { createRetryingHttp, type RetryPolicy } from "../../lambda/gateways/http/retrying-http.ts";
import { referenceDescriptor } from "../../lambda/gateways/reference/descriptor.ts";
import { GatewayError } from "../../lambda/ports/gateway.ts";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";
import { listenOnLoopback } from "../support/loopback-server.ts";
import { rejectionOf } from "../support/rejection.ts";

const RETRY: RetryPolicy = {
  maxAttempts: 2,
  baseDelayMs: 1,
  maxDelayMs: 2,
  maxRetryAfterMs: 1_000,
};

/** A server whose every request is answered by `handle`, once its body is in; counts them. */
async function serve(
  handle: (req: IncomingMessage, res: ServerResponse, n: number, body: string) => void,
) {
  let requests = 0;
  const server = createServer((req, res) => {
    const n = ++requests;
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => handle(req, res, n, body));
  });
  const { port, close } = await listenOnLoopback(server);
  onTestFinished(close);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
  };
}

const httpWith = (timeoutMs: number) =>
  createRetryingHttp({
    budget: createRequestBudget({ concurrency: 4, maxRps: 1_000 }),
    gateway: { ...referenceDescriptor, timeoutMs },
    retry: RETRY,
  });

const get = (url: string) => ({ method: "GET" as const, url: `${url}/v1/x?q=1`, headers: {} });

const failureOf = (promise: Promise<unknown>) => rejectionOf(promise, GatewayError);

describe("retrying HTTP client: the wire", () => {
  it("gives up on a gateway that never answers within the timeout, and retries it", async () => {
    const server = await serve(() => {
      // never answers
    });
    const error = await failureOf(httpWith(200)(get(server.url)));
    expect(error.message).toMatch(/^GET \/v1\/x timed out: /);
    expect(error.retryable).toBe(true);
    expect(server.requests()).toBe(2);
  });

  it("gives up on a body that stops half-way, as a lost body", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"payments": [');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await failureOf(httpWith(2_000)(get(server.url)));
    expect(error.message).toMatch(/^GET \/v1\/x: body lost: /);
    expect(error.retryable).toBe(true);
    expect(server.requests()).toBe(2);
  });

  it("bounds the whole exchange, a body that trickles included", async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("[");
      const drip = setInterval(() => res.write(" "), 20);
      res.on("close", () => clearInterval(drip));
    });
    const error = await failureOf(httpWith(200)(get(server.url)));
    expect(error.message).toMatch(/^GET \/v1\/x: body lost: /);
  });

  it("a refused connection is transient", async () => {
    const server = await serve(() => {});
    const url = server.url;
    const closed = url.replace(/:\d+$/, ":1");
    const error = await failureOf(httpWith(1_000)(get(closed)));
    expect(error.message).toMatch(/^GET \/v1\/x failed: /);
    expect(error.retryable).toBe(true);
  });

  it("reads a gzip body, and JSON behind a byte-order mark", async () => {
    const server = await serve((_req, res, n) => {
      if (n === 1) {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
        res.end(gzipSync(JSON.stringify({ ok: "zipped" })));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`\uFEFF${JSON.stringify({ ok: "bom" })}`);
    });
    const http = httpWith(1_000);
    expect(await http(get(server.url))).toEqual({ status: 200, json: { ok: "zipped" } });
    expect(await http(get(server.url))).toEqual({ status: 200, json: { ok: "bom" } });
  });

  it("sends a POST body with its length, and reads Retry-After from the headers", async () => {
    const bodies: string[] = [];
    const server = await serve((req, res, n, body) => {
      bodies.push(`${req.headers["content-length"]}:${body}`);
      if (n === 1) {
        res.writeHead(429, { "retry-after": "0" });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
    const url = `${server.url}/v1/c`;
    const answer = await httpWith(1_000)({
      method: "POST",
      url,
      headers: { "content-type": "application/json" },
      body: '{"reason":"환불"}',
    });
    expect(answer).toEqual({ status: 200, json: {} });
    const sent = `${Buffer.byteLength('{"reason":"환불"}')}:{"reason":"환불"}`;
    expect(bodies).toEqual([sent, sent]);
  });
});
