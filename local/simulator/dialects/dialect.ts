import type { ApiAnswer } from "../answers.ts";
import type { AnswerAction, FaultInjector } from "../faults.ts";
import type { PaymentLedger } from "../payment-ledger.ts";

export type DialectName = "reference" | "toss" | "portone";

/** The parts of a request a dialect looks at, once the body is in. */
export interface Incoming {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  /** undefined when the body was too large to read. */
  readonly body: string | undefined;
  /** Date.now() when the request arrived (before any latency). */
  readonly receivedAt: number;
  /**
   * Another request under the same idempotency scope had arrived and was not yet answered
   * when this one arrived.
   */
  readonly keyInFlight: boolean;
}

/** What one simulator's dialect is built with; the state behind it is that simulator's. */
export interface DialectSetup {
  readonly ledger: PaymentLedger;
  readonly faults: FaultInjector;
  readonly apiKey: string;
  readonly defaultPerPage: number;
  readonly pageCountEndpoint: boolean;
  /** Toss: a second cancel of one payment sooner than this after the previous one is refused. */
  readonly consecutiveCancelMs: number;
  /** PortOne: how long a `REQUESTED` cancellation stays open before a read finishes it. */
  readonly requestedFinishMs: number;
  /** PortOne: the store every payment belongs to. */
  readonly storeId: string;
}

/** A matched request: which payment it cancels, if any, and how to answer it. */
export interface Route {
  readonly cancelOf?: string;
  readonly handle: () => ApiAnswer;
}

/**
 * One gateway's way of speaking: its auth, its routes and its error bodies. The dataset,
 * the faults and the effective-cancel referee are the simulator's, shared by every dialect.
 */
export interface Dialect {
  readonly name: DialectName;
  /** `undefined` accepts the credential; an answer refuses it. */
  authorize(authorization: string | undefined): ApiAnswer | undefined;
  route(incoming: Incoming): Route | undefined;
  /** The answer to a request that no route matches. */
  unrouted(incoming: Incoming): ApiAnswer;
  /** A fault's answer in this gateway's words; `undefined` if it has no such answer. */
  faultAnswer(action: AnswerAction, retryAfterSeconds: number): ApiAnswer | undefined;
  /**
   * What a request's Idempotency-Key is stored and serialized under, or `undefined` when it
   * has none that counts: no key, not a cancel, or a key the gateway will refuse anyway.
   */
  idempotencyScope(
    request: Pick<Incoming, "method" | "path" | "idempotencyKey">,
  ): string | undefined;
  /** The pg_uid a request cancels, from its method and path alone. */
  cancelTarget(method: string, path: string): string | undefined;
}

/**
 * The routes Toss and PortOne share: a listing, a lookup by id, and a cancel by id. A
 * request that matches none is not routed (404).
 */
export function listLookupCancel(
  incoming: Incoming,
  paths: { readonly list: string; readonly payment: RegExp; readonly cancel: RegExp },
  handle: {
    readonly list: () => ApiAnswer;
    readonly lookup: (id: string) => ApiAnswer;
    readonly cancel: (id: string) => ApiAnswer;
  },
): Route | undefined {
  const { method, path } = incoming;
  if (method === "GET" && path === paths.list) return { handle: handle.list };
  const id = pathId(paths.payment, "GET", method, path);
  if (id !== undefined) return { handle: () => handle.lookup(id) };
  const pgUid = pathId(paths.cancel, "POST", method, path);
  return pgUid === undefined ? undefined : { cancelOf: pgUid, handle: () => handle.cancel(pgUid) };
}

/** The decoded id a `method` request to a path like `pattern` names, e.g. `/payments/{id}`. */
export function pathId(
  pattern: RegExp,
  wanted: string,
  method: string,
  path: string,
): string | undefined {
  const match = method === wanted ? pattern.exec(path) : null;
  return match?.[1] === undefined ? undefined : decodePathSegment(match[1]);
}

export function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function parseJsonObject(body: string | undefined): Record<string, unknown> | string {
  if (body === undefined) return "request body is too large";
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return "request body must be JSON";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "request body must be a JSON object";
  }
  return parsed as Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What the payment's cancellations took back so far, in `amount`'s terms. */
export function cancelledSoFar(cancellations: readonly { status: string; amount: number }[]) {
  return cancellations.reduce((sum, c) => (c.status === "SUCCEEDED" ? sum + c.amount : sum), 0);
}

/** A stable 14-digit account number per payment, for the virtual accounts both gateways show. */
export function virtualAccountNumber(pgUid: string): string {
  let hash = 7;
  for (let i = 0; i < pgUid.length; i++) hash = (hash * 31 + pgUid.charCodeAt(i)) % 1e14;
  return String(hash).padStart(14, "0");
}
