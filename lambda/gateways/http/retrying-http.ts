import {
  GatewayCredentialError,
  type GatewayDescriptor,
  GatewayError,
} from "../../ports/gateway.ts";
import { ExchangeFailure, exchange, type RawAnswer } from "../../util/http-exchange.ts";
import type { RequestBudget } from "../../util/request-budget.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the call fails as retryable. */
  readonly maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 60_000,
};

export interface HttpRequest {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** An answer the caller must judge: anything but a transient 429/5xx or a network failure. */
export interface HttpAnswer {
  readonly status: number;
  /** Parsed JSON, or `undefined` when the body was empty or not JSON. */
  readonly json: unknown;
}

export interface RetryingHttpOptions {
  readonly budget: RequestBudget;
  /** The gateway's timeout, and which of its answers are transient or refuse the credential. */
  readonly gateway: Pick<GatewayDescriptor, "timeoutMs" | "transient" | "badCredential">;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export type RetryingHttp = (request: HttpRequest) => Promise<HttpAnswer>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isTransientStatus = (status: number): boolean => status === 429 || status >= 500;

/** Seconds per RFC 9110, or an HTTP date. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Capped exponential backoff with full jitter: retries from many runs do not march in step. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(random() * ceiling);
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

type Attempt =
  | { readonly kind: "answer"; readonly answer: HttpAnswer }
  | { readonly kind: "transient"; readonly error: GatewayError; readonly waitMs?: number };

/**
 * An HTTP client that answers only with something to judge. Timeouts, dropped connections,
 * 429 and 5xx are retried here, with the request re-sent byte for byte — for a cancel that
 * means the same Idempotency-Key, so a retry can only replay the first effect.
 */
export function createRetryingHttp(options: RetryingHttpOptions): RetryingHttp {
  const policy = options.retry ?? defaultRetryPolicy;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  async function attemptOnce(request: HttpRequest): Promise<Attempt> {
    return options.budget.run(async (): Promise<Attempt> => {
      let response: RawAnswer;
      try {
        response = await exchange(request, options.gateway.timeoutMs);
      } catch (cause) {
        const failure =
          cause instanceof ExchangeFailure ? cause : new ExchangeFailure("request", false, cause);
        const what =
          failure.stage === "body" ? ": body lost" : failure.timedOut ? " timed out" : " failed";
        return {
          kind: "transient",
          error: new GatewayError(
            `${request.method} ${pathOf(request.url)}${what}: ${describe(failure.cause)}`,
            true,
          ),
        };
      }
      const json = parseJson(response.text);
      if (options.gateway.badCredential(response.status, json)) {
        // Every later call would be refused the same way: no payment is to blame for it.
        throw new GatewayCredentialError(
          `the gateway refused PG_API_KEY (${response.status}${describeError(json)}); check the key and its environment`,
          false,
          response.status,
          errorCode(json) ?? stringField(json, "type"),
        );
      }
      const gatewayWait = options.gateway.transient(response.status, json);
      if (!isTransientStatus(response.status) && gatewayWait === undefined)
        return { kind: "answer", answer: { status: response.status, json } };
      const retryAfterMs = parseRetryAfter(response.headers["retry-after"] ?? null);
      const waitMs =
        retryAfterMs === undefined && gatewayWait === undefined
          ? undefined
          : Math.max(retryAfterMs ?? 0, gatewayWait ?? 0);
      return {
        kind: "transient",
        error: new GatewayError(
          `${request.method} ${pathOf(request.url)} answered ${response.status}${describeError(json)}`,
          true,
          response.status,
          errorCode(json) ?? stringField(json, "type"),
        ),
        ...(waitMs === undefined ? {} : { waitMs }),
      };
    });
  }

  return async (request) => {
    for (let attempt = 1; ; attempt++) {
      const result = await attemptOnce(request);
      if (result.kind === "answer") return result.answer;
      if (attempt >= policy.maxAttempts) throw result.error;
      if (result.waitMs !== undefined && result.waitMs > policy.maxRetryAfterMs) throw result.error;
      await sleep(Math.max(result.waitMs ?? 0, backoffDelay(attempt, policy, random)));
    }
  };
}

/** A string field of a JSON error body, when there is one: `code`, `message`, `type`... */
export function stringField(json: unknown, field: string): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const value: unknown = (json as Record<string, unknown>)[field];
  return typeof value === "string" ? value : undefined;
}

/**
 * A deliberate answer the caller cannot use (a 4xx on a listing or a lookup): not retried,
 * and named with the gateway's own code and message, whatever its field names.
 */
export function refusal(answer: HttpAnswer, what: string): GatewayError {
  return new GatewayError(
    `${what} answered ${answer.status}${describeError(answer.json)}`,
    false,
    answer.status,
    errorCode(answer.json) ?? stringField(answer.json, "type"),
  );
}

/** ` CODE: message` of an error body, in any gateway's field names, for logs and reasons. */
function describeError(json: unknown): string {
  const code = errorCode(json) ?? stringField(json, "type");
  const message = errorMessage(json);
  // PortOne's 502 PG_PROVIDER names the PG's own code and message: a person needs both.
  const pgCode = stringField(json, "pgCode");
  const pgMessage = stringField(json, "pgMessage");
  const pg =
    pgCode === undefined && pgMessage === undefined
      ? ""
      : ` (pgCode ${pgCode ?? "-"}, pgMessage ${pgMessage ?? "-"})`;
  return `${code === undefined ? "" : ` ${code}`}${message === undefined ? "" : `: ${message}`}${pg}`;
}

/** The `code` of the contract's error body, when there is one. */
export const errorCode = (json: unknown): string | undefined => stringField(json, "code");

export const errorMessage = (json: unknown): string | undefined => stringField(json, "message");

// Logs and errors carry the path only: a query string is harmless here, but a URL with
// credentials in it must never reach a log.
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "(bad url)";
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : "";
  return `${cause.message}${inner}`;
}
