import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiAnswer } from "./answers.ts";
import type { SimPayment } from "./dataset.ts";
import type { Dialect, DialectName, DialectSetup, Incoming } from "./dialects/dialect.ts";
import { createPortOneDialect } from "./dialects/portone.ts";
import { createReferenceDialect } from "./dialects/reference.ts";
import { createTossDialect } from "./dialects/toss.ts";
import { FaultInjector, type FaultOptions } from "./faults.ts";
import { dropConnection, headerValue, pause, readBody, sendAnswer } from "./http-io.ts";
import { PaymentLedger } from "./payment-ledger.ts";
import { MAX_PER_PAGE } from "./query.ts";

export type { SimPayment } from "./dataset.ts";
export { seedPayments } from "./dataset.ts";
export type { DialectName } from "./dialects/dialect.ts";
export type { FaultAction, FaultOptions, ScriptedFault } from "./faults.ts";

export const SIMULATOR_API_KEY = "sim_test_key";
export const DEFAULT_PER_PAGE = 3;
/** Toss refuses a second cancel of one payment within about a second. */
export const DEFAULT_CONSECUTIVE_CANCEL_MS = 1_000;
export const DEFAULT_STORE_ID = "store-sim";

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
  /**
   * Toss: a cancel POST for a payment that arrives sooner than this after the previous one
   * for that payment is answered `403 FORBIDDEN_CONSECUTIVE_REQUEST`, without effect and
   * without being stored against its key. Every cancel the gateway got counts as "the
   * previous one", whatever its key or answer (a refused one too); one that a fault answered
   * or dropped before it reached the gateway (all but `drop-after`) does not. Measured
   * between arrivals. Default 1000; 0 turns the rule off.
   */
  consecutiveCancelMs?: number;
  /**
   * PortOne: a cancel of a payment with `cancel_flow` is answered `REQUESTED`; the first
   * request reading that payment at least this long after that answer finishes it
   * (`finishRequestedCancellations()` finishes it at once). Default 0: the next read.
   */
  requestedFinishMs?: number;
  /** PortOne: the store every payment belongs to; another `storeId` finds none. */
  storeId?: string;
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
  /** The answer's error `code` (reference, Toss) or `type` (PortOne), when it has one. */
  errorCode?: string;
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
  /**
   * PortOne: finishes every `REQUESTED` cancellation now, as its `cancel_flow` says
   * (succeeded: the payment is cancelled and counted; failed: it stays paid). Returns how
   * many finished.
   */
  finishRequestedCancellations(): number;
  /** Stops listening and destroys open (including keep-alive) connections. */
  close(): Promise<void>;
}

interface SimulatorConfig {
  dialect: DialectName;
  apiKey: string;
  defaultPerPage: number;
  pageCountEndpoint: boolean;
  latencyMs: number;
  port: number;
  consecutiveCancelMs: number;
  requestedFinishMs: number;
  storeId: string;
}

interface ServerContext {
  config: SimulatorConfig;
  dialect: Dialect;
  faults: FaultInjector;
  requests: SimRequest[];
  /** Idempotency scopes of requests that have arrived and are not answered yet. */
  inFlight: Set<string>;
  closing: AbortSignal;
}

type Outcome = { kind: "answer"; answer: ApiAnswer } | { kind: "drop" };

const MAX_BODY_BYTES = 64 * 1024;

const DIALECTS: Readonly<Record<DialectName, (setup: DialectSetup) => Dialect>> = {
  reference: createReferenceDialect,
  toss: createTossDialect,
  portone: createPortOneDialect,
};

export async function startPgSimulator(options: PgSimulatorOptions): Promise<PgSimulator> {
  const config = resolveConfig(options);
  const shutdown = new AbortController();
  // Every request parked in latency listens on this signal; hundreds at once are normal.
  setMaxListeners(0, shutdown.signal);
  const ledger = new PaymentLedger(options.payments);
  const faults = new FaultInjector();
  const dialect = DIALECTS[config.dialect]({ ...config, ledger, faults });
  const setFaults = (next: FaultOptions) => {
    requireFaultsSpoken(dialect, next);
    faults.set(next);
  };
  setFaults(options.faults ?? {});
  const context: ServerContext = {
    config,
    dialect,
    faults,
    requests: [],
    inFlight: new Set(),
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
    effectiveCancels: () => ledger.effectiveCancels(),
    cancelRequests: (pgUid) => cancelRequestsOf(context.requests, dialect, pgUid),
    payments: () => ledger.snapshot(),
    setFaults,
    remainingScriptedFaults: () => faults.remainingScripted(),
    finishRequestedCancellations: () => ledger.finishRequested(),
    close: () => closeServer(server, shutdown),
  };
}

function resolveConfig(options: PgSimulatorOptions): SimulatorConfig {
  const config: SimulatorConfig = {
    dialect: options.dialect ?? "reference",
    apiKey: options.apiKey ?? SIMULATOR_API_KEY,
    defaultPerPage: options.defaultPerPage ?? DEFAULT_PER_PAGE,
    pageCountEndpoint: options.pageCountEndpoint ?? true,
    latencyMs: options.latencyMs ?? 0,
    port: options.port ?? 0,
    consecutiveCancelMs: options.consecutiveCancelMs ?? DEFAULT_CONSECUTIVE_CANCEL_MS,
    requestedFinishMs: options.requestedFinishMs ?? 0,
    storeId: options.storeId ?? DEFAULT_STORE_ID,
  };
  if (!(config.dialect in DIALECTS)) {
    throw new RangeError(`dialect must be one of ${Object.keys(DIALECTS).join(", ")}`);
  }
  // Misconfigured simulators should fail at start, not as odd answers later.
  if (config.apiKey === "") throw new RangeError("apiKey must not be empty");
  if (!isIntegerWithin(config.defaultPerPage, 1, MAX_PER_PAGE)) {
    throw new RangeError(`defaultPerPage must be an integer in 1..${MAX_PER_PAGE}`);
  }
  for (const name of ["latencyMs", "consecutiveCancelMs", "requestedFinishMs"] as const) {
    if (!(Number.isFinite(config[name]) && config[name] >= 0)) {
      throw new RangeError(`${name} must be a non-negative number`);
    }
  }
  if (config.storeId === "") throw new RangeError("storeId must not be empty");
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
  let release = () => {};
  try {
    const body = await readBody(req, MAX_BODY_BYTES);
    const { dialect } = context;
    // Taken on arrival: a request is in flight from the moment the gateway has it until its
    // answer leaves, latency included. A refused credential never holds a key.
    const scope =
      dialect.authorize(record.headers.authorization) === undefined
        ? dialect.idempotencyScope({
            method: record.method,
            path: record.path,
            idempotencyKey: record.headers.idempotencyKey,
          })
        : undefined;
    const keyInFlight = scope !== undefined && context.inFlight.has(scope);
    if (scope !== undefined && !keyInFlight) {
      context.inFlight.add(scope);
      release = () => context.inFlight.delete(scope);
    }
    await pause(context.config.latencyMs + context.faults.extraLatencyMs(), context.closing);
    deliver(respond(toIncoming(record, body, keyInFlight), context), req, res, record);
  } catch {
    // Aborted read, or the simulator closed while this request was waiting.
    dropConnection(req);
  } finally {
    release();
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

function toIncoming(record: SimRequest, body: string | undefined, keyInFlight: boolean): Incoming {
  return {
    method: record.method,
    path: record.path,
    query: record.query,
    authorization: record.headers.authorization,
    idempotencyKey: record.headers.idempotencyKey,
    body,
    receivedAt: record.at,
    keyInFlight,
  };
}

function deliver(outcome: Outcome, req: IncomingMessage, res: ServerResponse, record: SimRequest) {
  if (outcome.kind === "drop") {
    dropConnection(req);
    return;
  }
  record.status = outcome.answer.status;
  const code = outcome.answer.status >= 400 ? errorCodeOf(outcome.answer.body) : undefined;
  if (code !== undefined) record.errorCode = code;
  sendAnswer(res, outcome.answer);
}

/** Auth, routing and faults come before any handler, so faults never have an effect. */
function respond(incoming: Incoming, context: ServerContext): Outcome {
  const { dialect } = context;
  const refused = dialect.authorize(incoming.authorization);
  if (refused) return answered(refused);
  const route = dialect.route(incoming);
  if (route === undefined) return answered(dialect.unrouted(incoming));
  const fault = context.faults.decide({
    method: incoming.method,
    path: incoming.path,
    ...(route.cancelOf === undefined ? {} : { pgUid: route.cancelOf }),
  });
  if (fault.kind === "answer") {
    const answer = dialect.faultAnswer(fault.action, fault.retryAfterSeconds);
    // Checked when the faults were set; reaching this is a simulator bug.
    if (answer === undefined) throw new Error(`no ${fault.action} answer in ${dialect.name}`);
    return answered(answer);
  }
  if (fault.kind === "drop-before") return { kind: "drop" };
  const answer = route.handle();
  return fault.kind === "drop-after" ? { kind: "drop" } : answered(answer);
}

function answered(answer: ApiAnswer): Outcome {
  return { kind: "answer", answer };
}

/** A script naming another gateway's own answer is a test bug: said at once, not mid-run. */
function requireFaultsSpoken(dialect: Dialect, faults: FaultOptions): void {
  for (const [index, entry] of (faults.script ?? []).entries()) {
    const { action } = entry;
    if (action === "drop-before" || action === "drop-after") continue;
    if (dialect.faultAnswer(action, 1) === undefined) {
      throw new RangeError(
        `faults.script[${index}].action "${action}" is not an answer the ${dialect.name} gateway sends`,
      );
    }
  }
}

function errorCodeOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { code, type } = body as { code?: unknown; type?: unknown };
  if (typeof code === "string") return code;
  return typeof type === "string" ? type : undefined;
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
