import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ApiAnswer, errorAnswer, invalidRequest, notFound, okAnswer } from "./answers.ts";
import type { SimPayment } from "./dataset.ts";
import { type FaultDecision, FaultInjector, type FaultOptions } from "./faults.ts";
import { dropConnection, headerValue, pause, readBody, sendAnswer } from "./http-io.ts";
import { PaymentLedger } from "./payment-ledger.ts";
import { MAX_PER_PAGE, parsePage, parsePerPage, parseWindow } from "./query.ts";

export type { SimPayment } from "./dataset.ts";
export { loadDataset, parseDataset, seedPayments } from "./dataset.ts";
export type {
  FaultAction,
  FaultMatch,
  FaultOptions,
  RateLimitFault,
  ScriptedFault,
} from "./faults.ts";

export const SIMULATOR_API_KEY = "sim_test_key";
export const DEFAULT_PER_PAGE = 3;

export interface PgSimulatorOptions {
  /** Copied in; any iterable, so a large dataset can be generated without a second array. */
  payments: Iterable<SimPayment>;
  apiKey?: string;
  /** per_page when the query omits it; 1..100. */
  defaultPerPage?: number;
  /** false makes /v1/payments/pages answer 404, like a gateway without page counts. */
  pageCountEndpoint?: boolean;
  /** Added to every response (on top of faults.latencyMs). */
  latencyMs?: number;
  faults?: FaultOptions;
  /** 0 (default) picks an ephemeral port. */
  port?: number;
}

export interface SimRequest {
  /** Date.now() when the request arrived. */
  at: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: { authorization?: string; idempotencyKey?: string };
  /** Answered status; 0 while in flight or when the connection was dropped. */
  status: number;
}

export interface PgSimulator {
  /** e.g. http://127.0.0.1:12345 (no trailing slash). */
  readonly url: string;
  readonly apiKey: string;
  /** Every request received, in arrival order (live view). */
  readonly requests: readonly SimRequest[];
  /** pg_uid → number of paid→cancelled transitions; the test referee. */
  effectiveCancels(): Map<string, number>;
  /** POST …/cancel requests, optionally only those for one pg_uid. */
  cancelRequests(pgUid?: string): SimRequest[];
  /** Copy of the current payments, ordered by (paid_at, pg_uid). */
  payments(): SimPayment[];
  /** Replaces the fault configuration for subsequent requests. */
  setFaults(faults: FaultOptions): void;
  /** Scripted faults not yet consumed. */
  remainingScriptedFaults(): number;
  /** Stops listening and destroys open (including keep-alive) connections. */
  close(): Promise<void>;
}

interface SimulatorConfig {
  apiKey: string;
  defaultPerPage: number;
  pageCountEndpoint: boolean;
  latencyMs: number;
  port: number;
}

interface ServerContext {
  config: SimulatorConfig;
  ledger: PaymentLedger;
  faults: FaultInjector;
  requests: SimRequest[];
  closing: AbortSignal;
}

/** The parts of a request the gateway logic looks at, once the body is in. */
interface Incoming {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  /** undefined when the body was too large to read. */
  body: string | undefined;
}

type Route =
  | { kind: "pageCount" }
  | { kind: "list" }
  | { kind: "cancel"; pgUid: string }
  | { kind: "unknown" };

type Outcome = { kind: "answer"; answer: ApiAnswer } | { kind: "drop" };

const MAX_BODY_BYTES = 64 * 1024;
const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const CANCEL_PATH = /^\/v1\/payments\/([^/]+)\/cancel$/;

export async function startPgSimulator(options: PgSimulatorOptions): Promise<PgSimulator> {
  const config = resolveConfig(options);
  const shutdown = new AbortController();
  // Every request parked in latency listens on this signal; hundreds at once are normal.
  setMaxListeners(0, shutdown.signal);
  const context: ServerContext = {
    config,
    ledger: new PaymentLedger(options.payments),
    faults: new FaultInjector(options.faults),
    requests: [],
    closing: shutdown.signal,
  };
  const server = createServer((req, res) => {
    void serveRequest(req, res, context);
  });
  const port = await listen(server, config.port);
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: config.apiKey,
    requests: context.requests,
    effectiveCancels: () => context.ledger.effectiveCancels(),
    cancelRequests: (pgUid) => cancelRequestsOf(context.requests, pgUid),
    payments: () => context.ledger.snapshot(),
    setFaults: (faults) => context.faults.set(faults),
    remainingScriptedFaults: () => context.faults.remainingScripted(),
    close: () => closeServer(server, shutdown),
  };
}

function resolveConfig(options: PgSimulatorOptions): SimulatorConfig {
  const config = {
    apiKey: options.apiKey ?? SIMULATOR_API_KEY,
    defaultPerPage: options.defaultPerPage ?? DEFAULT_PER_PAGE,
    pageCountEndpoint: options.pageCountEndpoint ?? true,
    latencyMs: options.latencyMs ?? 0,
    port: options.port ?? 0,
  };
  // Misconfigured simulators should fail at start, not as odd answers later.
  if (config.apiKey === "") throw new RangeError("apiKey must not be empty");
  if (!isIntegerWithin(config.defaultPerPage, 1, MAX_PER_PAGE)) {
    throw new RangeError(`defaultPerPage must be an integer in 1..${MAX_PER_PAGE}`);
  }
  if (!(Number.isFinite(config.latencyMs) && config.latencyMs >= 0)) {
    throw new RangeError("latencyMs must be a non-negative number");
  }
  if (!isIntegerWithin(config.port, 0, 65535)) throw new RangeError("port must be in 0..65535");
  return config;
}

function isIntegerWithin(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

async function serveRequest(req: IncomingMessage, res: ServerResponse, context: ServerContext) {
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const record = recordRequest(req, url);
  context.requests.push(record);
  // A client that hangs up mid-answer must not crash the simulator.
  res.on("error", () => {});
  try {
    const body = await readBody(req, MAX_BODY_BYTES);
    await pause(context.config.latencyMs + context.faults.extraLatencyMs(), context.closing);
    const incoming = toIncoming(record, body);
    deliver(respond(incoming, context), req, res, record);
  } catch {
    // Aborted read, or the simulator closed while this request was waiting.
    dropConnection(req);
  }
}

function recordRequest(req: IncomingMessage, url: URL): SimRequest {
  const headers: SimRequest["headers"] = {};
  const authorization = headerValue(req, "authorization");
  const idempotencyKey = headerValue(req, "idempotency-key");
  if (authorization !== undefined) headers.authorization = authorization;
  if (idempotencyKey !== undefined) headers.idempotencyKey = idempotencyKey;
  return {
    at: Date.now(),
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    status: 0,
  };
}

function toIncoming(record: SimRequest, body: string | undefined): Incoming {
  return {
    method: record.method,
    path: record.path,
    query: record.query,
    authorization: record.headers.authorization,
    idempotencyKey: record.headers.idempotencyKey,
    body,
  };
}

function deliver(outcome: Outcome, req: IncomingMessage, res: ServerResponse, record: SimRequest) {
  if (outcome.kind === "drop") {
    dropConnection(req);
    return;
  }
  record.status = outcome.answer.status;
  sendAnswer(res, outcome.answer);
}

/** Auth, routing and faults come before any handler, so faults never have an effect. */
function respond(incoming: Incoming, context: ServerContext): Outcome {
  if (!isAuthorized(incoming.authorization, context.config.apiKey)) {
    return answered(
      errorAnswer(401, "UNAUTHORIZED", "missing or invalid API key", {
        "www-authenticate": "Bearer",
      }),
    );
  }
  const route = resolveRoute(incoming, context.config);
  if (route.kind === "unknown")
    return answered(notFound(`no route for ${incoming.method} ${incoming.path}`));
  const pgUid = route.kind === "cancel" ? route.pgUid : undefined;
  const fault = context.faults.decide({
    method: incoming.method,
    path: incoming.path,
    ...(pgUid === undefined ? {} : { pgUid }),
  });
  if (fault.kind === "answer") return answered(faultAnswer(fault));
  if (fault.kind === "drop-before") return { kind: "drop" };
  const answer = handleRoute(route, incoming, context);
  return fault.kind === "drop-after" ? { kind: "drop" } : answered(answer);
}

function answered(answer: ApiAnswer): Outcome {
  return { kind: "answer", answer };
}

function isAuthorized(authorization: string | undefined, apiKey: string): boolean {
  const match = /^Bearer +(.+)$/i.exec(authorization ?? "");
  return match?.[1] === apiKey;
}

function resolveRoute(incoming: Incoming, config: SimulatorConfig): Route {
  const { method, path } = incoming;
  if (method === "GET" && path === "/v1/payments") return { kind: "list" };
  if (method === "GET" && path === "/v1/payments/pages") {
    return config.pageCountEndpoint ? { kind: "pageCount" } : { kind: "unknown" };
  }
  const cancel = CANCEL_PATH.exec(path);
  if (method === "POST" && cancel?.[1] !== undefined) {
    const pgUid = decodePathSegment(cancel[1]);
    return pgUid === undefined ? { kind: "unknown" } : { kind: "cancel", pgUid };
  }
  return { kind: "unknown" };
}

function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function faultAnswer(fault: Extract<FaultDecision, { kind: "answer" }>): ApiAnswer {
  switch (fault.action) {
    case "429":
      return errorAnswer(429, "RATE_LIMITED", "too many requests", {
        "retry-after": String(fault.retryAfterSeconds),
      });
    case "503":
      return errorAnswer(503, "UNAVAILABLE", "service temporarily unavailable");
    case "500":
      return errorAnswer(500, "INTERNAL", "internal error");
  }
}

function handleRoute(
  route: Exclude<Route, { kind: "unknown" }>,
  incoming: Incoming,
  context: ServerContext,
): ApiAnswer {
  switch (route.kind) {
    case "pageCount":
      return handlePageCount(incoming, context);
    case "list":
      return handleList(incoming, context);
    case "cancel":
      return handleCancel(route.pgUid, incoming, context);
  }
}

function handlePageCount(incoming: Incoming, context: ServerContext): ApiAnswer {
  const window = parseWindow(incoming.query);
  if (!window.ok) return invalidRequest(window.message);
  const perPage = parsePerPage(incoming.query, context.config.defaultPerPage);
  if (!perPage.ok) return invalidRequest(perPage.message);
  const totalCount = context.ledger.count(window.value);
  return okAnswer({
    total_pages: Math.ceil(totalCount / perPage.value),
    total_count: totalCount,
    per_page: perPage.value,
  });
}

function handleList(incoming: Incoming, context: ServerContext): ApiAnswer {
  const window = parseWindow(incoming.query);
  if (!window.ok) return invalidRequest(window.message);
  const page = parsePage(incoming.query);
  if (!page.ok) return invalidRequest(page.message);
  const perPage = parsePerPage(incoming.query, context.config.defaultPerPage);
  if (!perPage.ok) return invalidRequest(perPage.message);
  // Checked after validation so a malformed read never uses up a scripted failure.
  if (context.faults.shouldFailPageRead(page.value)) {
    return errorAnswer(500, "INTERNAL", `page ${page.value} could not be read`);
  }
  return okAnswer({
    page: page.value,
    payments: context.ledger.page(window.value, page.value, perPage.value),
  });
}

function handleCancel(pgUid: string, incoming: Incoming, context: ServerContext): ApiAnswer {
  const key = incoming.idempotencyKey;
  if (key === undefined || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return invalidRequest(
      `Idempotency-Key header of 1..${MAX_IDEMPOTENCY_KEY_LENGTH} characters is required`,
    );
  }
  // Validated before the key lookup: a malformed request is rejected, never
  // stored, so fixing the body and retrying with the same key still works.
  const reasonProblem = reasonProblemOf(incoming.body);
  if (reasonProblem !== undefined) return invalidRequest(reasonProblem);
  const { answer, replayed } = context.ledger.cancel(pgUid, key, new Date());
  if (!replayed) return answer;
  return { ...answer, headers: { ...answer.headers, "idempotent-replayed": "true" } };
}

function reasonProblemOf(body: string | undefined): string | undefined {
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
  const reason = "reason" in parsed ? parsed.reason : undefined;
  if (typeof reason !== "string" || reason.trim() === "")
    return "reason must be a non-empty string";
  return undefined;
}

function cancelRequestsOf(
  requests: readonly SimRequest[],
  pgUid: string | undefined,
): SimRequest[] {
  return requests.filter((request) => {
    if (request.method !== "POST") return false;
    const match = CANCEL_PATH.exec(request.path);
    if (match?.[1] === undefined) return false;
    return pgUid === undefined || decodePathSegment(match[1]) === pgUid;
  });
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server, shutdown: AbortController): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Requests parked in latency would otherwise hold the process open.
    shutdown.abort();
    server.closeAllConnections();
  });
}
