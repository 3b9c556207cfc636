import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { type Http1Failure, type Http1Origin, Http1Pool } from "./http1-connection.ts";

/** One request's answer, body read in full and decoded as UTF-8. */
export interface RawAnswer {
  readonly status: number;
  /** Lower-cased names; a name given twice has its values joined with ", ". */
  readonly headers: Readonly<Record<string, string | undefined>>;
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

// A small HTTP/1.1 client of our own (http1-connection.ts) rather than node:http or fetch.
// undici's fetch costs several times the CPU per request (a WHATWG Request, Headers, an
// AbortSignal and a web stream each); node:http, a ClientRequest, an IncomingMessage and
// their streams. A run of 10,000 pages pays that on every one. Connections are kept alive
// across calls and runs; idle ones never hold a finished process open.
const pool = new Http1Pool();

/** Origins already parsed, by the text of their URLs up to and including the path's slash. */
const known: { prefix: string; origin: Http1Origin }[] = [];

/**
 * A path and query the WHATWG parser would send exactly as written: no character it would
 * percent-encode, no dot segment (`.`, `..`, or their `%2e` spellings) it would resolve, and
 * no fragment. Anything else takes the full parse.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@%/?]+)?$/;
const DOT_SEGMENT = /\/(?:\.|%2e){1,2}(?:\/|$)/i;

/**
 * The origin of an http(s) URL and its request target. A URL to an origin already seen, with
 * a plain path, skips the WHATWG parser: a run sends thousands of requests to two origins.
 */
export function target(href: string): { origin: Http1Origin; path: string } {
  for (const { prefix, origin } of known) {
    if (!href.startsWith(prefix)) continue;
    const path = href.slice(prefix.length - 1);
    const query = path.indexOf("?");
    if (PLAIN_TARGET.test(path) && !DOT_SEGMENT.test(query < 0 ? path : path.slice(0, query))) {
      return { origin, path };
    }
    break;
  }
  return parsedTarget(href);
}

function parsedTarget(href: string): { origin: Http1Origin; path: string } {
  const url = new URL(href);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(`unsupported protocol ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError("credentials in a URL are not sent; use a header");
  }
  // The pool keys connections by scheme, host and port, so a new object per parse is fine.
  const secure = url.protocol === "https:";
  const origin: Http1Origin = {
    secure,
    host: url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
    authority: url.host,
  };
  // Only an href that is already its own serialization up to the path teaches a prefix.
  const prefix = `${url.origin}/`;
  if (href.startsWith(prefix) && !known.some((k) => k.prefix === prefix)) {
    // A handful: a run talks to its gateway and DynamoDB; the oldest makes way.
    if (known.length >= 4) known.shift();
    known.push({ prefix, origin });
  }
  return { origin, path: `${url.pathname}${url.search}` };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The request's head and body as bytes for the wire; names and values checked first. */
function serialize(request: ExchangeRequest, origin: Http1Origin, path: string): Buffer | string {
  if (!TOKEN.test(request.method)) throw new TypeError(`invalid method ${request.method}`);
  // A Host the caller gives is kept as given: a signed request (SigV4) signs its value.
  let host = origin.authority;
  let fields = "";
  for (const name in request.headers) {
    const value = request.headers[name] as string;
    const lower = name.toLowerCase();
    if (!TOKEN.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    if (!FIELD_VALUE.test(value)) throw new TypeError(`invalid value in header ${name}`);
    if (lower === "host") host = value;
    // Framing headers are ours to write; one from a caller could split the request.
    else if (lower !== "content-length" && lower !== "transfer-encoding") {
      fields += `${name}: ${value}\r\n`;
    }
  }
  let head = `${request.method} ${path} HTTP/1.1\r\nhost: ${host}\r\n${fields}`;
  const body = request.body;
  if (body === undefined && (request.method === "GET" || request.method === "HEAD")) {
    return `${head}\r\n`;
  }
  const bodyBytes = body === undefined ? 0 : Buffer.byteLength(body);
  head += `content-length: ${bodyBytes}\r\n\r\n`;
  const bytes = Buffer.allocUnsafe(head.length + bodyBytes);
  bytes.write(head, 0, "latin1");
  if (body !== undefined) bytes.write(body, head.length, "utf8");
  return bytes;
}

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
    let settled = false;
    let bytes: Buffer | string;
    let origin: Http1Origin;
    try {
      const parsed = target(request.url);
      origin = parsed.origin;
      bytes = serialize(request, origin, parsed.path);
    } catch (cause) {
      reject(new ExchangeFailure("request", false, cause));
      return;
    }
    const connection = pool.connection(origin);
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      const error = timeoutError(timeoutMs);
      const stage = connection.answering ? "body" : "request";
      connection.destroy(error);
      reject(new ExchangeFailure(stage, true, error));
    }, timeoutMs);
    connection.send(bytes, request.method === "HEAD").then(
      (answer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        let text: string;
        try {
          text = decode(answer.body, answer.headers["content-encoding"]?.trim().toLowerCase());
        } catch (cause) {
          reject(new ExchangeFailure("body", false, cause));
          return;
        }
        resolve({ status: answer.status, headers: answer.headers, text });
      },
      (failure: Http1Failure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new ExchangeFailure(failure.answering ? "body" : "request", false, failure));
      },
    );
  });
}
