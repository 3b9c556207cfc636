import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiAnswer } from "./answers.ts";
import type { SimPayment } from "./dataset.ts";
import type { Dialect, Incoming } from "./dialects/dialect.ts";
import { portOneDialect } from "./dialects/portone.ts";
import { referenceDialect } from "./dialects/reference.ts";
import { tossDialect } from "./dialects/toss.ts";
import { type FaultDecision, FaultInjector, type FaultOptions } from "./faults.ts";
import { dropConnection, headerValue, pause, readBody, sendAnswer } from "./http-io.ts";
import { PaymentLedger } from "./payment-ledger.ts";
import { MAX_PER_PAGE } from "./query.ts";

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
  /** Which gateway's API to speak; the dataset, faults and referee are the same. */
  dialect?: DialectName;
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
  dialect: Dialect;
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

type Outcome = { kind: "answer"; answer: ApiAnswer } | { kind: "drop" };

const MAX_BODY_BYTES = 64 * 1024;

export type DialectName = Dialect["name"];

const DIALECTS: Readonly<Record<DialectName, Dialect>> = {
  reference: referenceDialect,
  toss: tossDialect,
  portone: portOneDialect,
};

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
    cancelRequests: (pgUid) => cancelRequestsOf(context.requests, config.dialect, pgUid),
    payments: () => context.ledger.snapshot(),
    setFaults: (faults) => context.faults.set(faults),
    remainingScriptedFaults: () => context.faults.remainingScripted(),
    close: () => closeServer(server, shutdown),
  };
}

function resolveConfig(options: PgSimulatorOptions): SimulatorConfig {
  const config = {
    dialect: DIALECTS[options.dialect ?? "reference"],
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
  const { dialect } = context.config;
  if (!dialect.isAuthorized(incoming.authorization, context.config.apiKey)) {
    return answered(
      dialect.error(401, "UNAUTHORIZED", "missing or invalid API key", {
        "www-authenticate": dialect.authScheme,
      }),
    );
  }
  const route = dialect.route(incoming, {
    ledger: context.ledger,
    faults: context.faults,
    defaultPerPage: context.config.defaultPerPage,
    pageCountEndpoint: context.config.pageCountEndpoint,
  });
  if (route === undefined) {
    return answered(
      dialect.error(404, "NOT_FOUND", `no route for ${incoming.method} ${incoming.path}`),
    );
  }
  const fault = context.faults.decide({
    method: incoming.method,
    path: incoming.path,
    ...(route.cancelOf === undefined ? {} : { pgUid: route.cancelOf }),
  });
  if (fault.kind === "answer") return answered(faultAnswer(dialect, fault));
  if (fault.kind === "drop-before") return { kind: "drop" };
  const answer = route.handle();
  return fault.kind === "drop-after" ? { kind: "drop" } : answered(answer);
}

function answered(answer: ApiAnswer): Outcome {
  return { kind: "answer", answer };
}

function faultAnswer(
  dialect: Dialect,
  fault: Extract<FaultDecision, { kind: "answer" }>,
): ApiAnswer {
  switch (fault.action) {
    case "429":
      return dialect.error(429, "RATE_LIMITED", "too many requests", {
        "retry-after": String(fault.retryAfterSeconds),
      });
    case "503":
      return dialect.error(503, "UNAVAILABLE", "service temporarily unavailable");
    case "500":
      return dialect.error(500, "INTERNAL", "internal error");
  }
}

function cancelRequestsOf(
  requests: readonly SimRequest[],
  dialect: Dialect,
  pgUid: string | undefined,
): SimRequest[] {
  return requests.filter((request) => {
    const target = dialect.cancelTarget(request.method, request.path);
    return target !== undefined && (pgUid === undefined || target === pgUid);
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
