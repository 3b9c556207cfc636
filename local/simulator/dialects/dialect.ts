import type { ApiAnswer } from "../answers.ts";
import type { FaultInjector } from "../faults.ts";
import type { PaymentLedger } from "../payment-ledger.ts";

/** The parts of a request a dialect looks at, once the body is in. */
export interface Incoming {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  /** undefined when the body was too large to read. */
  readonly body: string | undefined;
}

export interface DialectContext {
  readonly ledger: PaymentLedger;
  readonly faults: FaultInjector;
  readonly defaultPerPage: number;
  readonly pageCountEndpoint: boolean;
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
  readonly name: "reference" | "toss" | "portone";
  /** For the `WWW-Authenticate` header of a 401. */
  readonly authScheme: string;
  isAuthorized(authorization: string | undefined, apiKey: string): boolean;
  error(status: number, code: string, message: string, headers?: Record<string, string>): ApiAnswer;
  route(incoming: Incoming, context: DialectContext): Route | undefined;
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
