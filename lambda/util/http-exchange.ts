import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

/** One request's answer, body read in full and decoded as UTF-8. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingMessage["headers"];
  readonly text: string;
}

/**
 * Why an exchange failed: before an answer came (`request`: nothing was heard, the request
 * may or may not have had its effect) or while its body was read (`body`). Either way the
 * caller treats it as transient; the stage only names it.
 */
export class ExchangeFailure extends Error {
  override readonly name = "ExchangeFailure";
  constructor(
    readonly stage: "request" | "body",
    readonly timedOut: boolean,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

// node:http rather than fetch: undici's fetch costs several times the CPU per request (a
// WHATWG Request, Headers, an AbortSignal and a web stream each), which a run of 10,000 pages
// pays on every one. Connections are kept alive across calls and runs, as fetch kept them;
// idle sockets are unreferenced by the agent, so they never hold a finished process open.
const agents = {
  "http:": new http.Agent({ keepAlive: true, timeout: 4_000 }),
  "https:": new https.Agent({ keepAlive: true, timeout: 4_000 }),
};

const timeoutError = (ms: number): Error => {
  const error = new Error(`no answer within ${ms} ms`);
  error.name = "TimeoutError";
  return error;
};

/** The body as fetch's `text()` gave it: decompressed, UTF-8, a leading BOM dropped. */
function decode(body: Buffer, encoding: string | undefined): string {
  const inflated =
    encoding === undefined || encoding === "identity"
      ? body
      : encoding === "gzip" || encoding === "x-gzip"
        ? gunzipSync(body)
        : encoding === "deflate"
          ? inflateSync(body)
          : encoding === "br"
            ? brotliDecompressSync(body)
            : body;
  const text = inflated.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export interface ExchangeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * One HTTP exchange over a kept-alive connection, the answer read in full, or an
 * ExchangeFailure. `timeoutMs` bounds the whole exchange, body included, as fetch's
 * `AbortSignal.timeout` did.
 */
export function exchange(request: ExchangeRequest, timeoutMs: number): Promise<RawAnswer> {
  return new Promise<RawAnswer>((resolve, reject) => {
    let stage: "request" | "body" = "request";
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const fail = (cause: unknown, timedOut = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new ExchangeFailure(stage, timedOut, cause));
    };
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (cause) {
      fail(cause);
      return;
    }
    const agent = url.protocol === "http:" || url.protocol === "https:" ? url.protocol : undefined;
    if (agent === undefined) {
      fail(new TypeError(`unsupported protocol ${url.protocol}`));
      return;
    }
    const send = agent === "https:" ? https.request : http.request;
    const req = send(url, {
      method: request.method,
      headers: request.headers,
      agent: agents[agent],
    });
    timer = setTimeout(() => {
      const error = timeoutError(timeoutMs);
      fail(error, true);
      req.destroy(error);
    }, timeoutMs);
    req.on("error", (cause) => fail(cause));
    req.on("response", (res) => {
      stage = "body";
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", (cause) => fail(cause));
      res.on("close", () => {
        if (!res.complete) fail(new Error("the connection closed before the body ended"));
      });
      res.on("end", () => {
        if (settled) return;
        let text: string;
        try {
          const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          text = decode(body, res.headers["content-encoding"]?.trim().toLowerCase());
        } catch (cause) {
          fail(cause);
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
      });
    });
    req.end(request.body);
  });
}
