import { expect, onTestFinished } from "vitest";
import {
  type PgSimulator,
  type PgSimulatorOptions,
  SIMULATOR_API_KEY,
  type SimPayment,
  seedPayments,
  startPgSimulator,
} from "../../local/simulator/pg-simulator.ts";

// A fixed clock keeps every paid_at (and thus every window) predictable:
// the seed puts PG11 at 01:20Z and PG19 at 02:00Z, five minutes apart.
export const NOW = new Date("2026-11-24T03:00:00.000Z");
export const WINDOW = { from: "2026-11-24T01:00:00.000Z", to: "2026-11-24T03:00:00.000Z" };

export interface ErrorBody {
  code: string;
  message: string;
}

export interface CancelBody {
  code: number;
  message: string;
  pg_uid: string;
  cancelled_at: string;
}

export interface PageBody {
  page: number;
  payments: SimPayment[];
}

export async function startSim(overrides: Partial<PgSimulatorOptions> = {}): Promise<PgSimulator> {
  const sim = await startPgSimulator({ payments: seedPayments(NOW), ...overrides });
  onTestFinished(() => sim.close());
  return sim;
}

export function get(
  sim: PgSimulator,
  path: string,
  params: Record<string, string | number> = {},
  /** null sends no Authorization header at all. */
  apiKey: string | null = SIMULATOR_API_KEY,
): Promise<Response> {
  const url = new URL(path, sim.url);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, String(value));
  const headers: Record<string, string> =
    apiKey === null ? {} : { authorization: `Bearer ${apiKey}` };
  return fetch(url, { headers });
}

export function listPage(
  sim: PgSimulator,
  page: number,
  extra: Record<string, string | number> = {},
): Promise<Response> {
  return get(sim, "/v1/payments", { ...WINDOW, page, ...extra });
}

export interface CancelCall {
  key?: string;
  reason?: string;
  /** Raw body, overriding `reason`. */
  body?: string;
}

export function cancel(sim: PgSimulator, pgUid: string, call: CancelCall = {}): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${SIMULATOR_API_KEY}`,
    "content-type": "application/json",
  };
  if (call.key !== undefined) headers["idempotency-key"] = call.key;
  const body = call.body ?? JSON.stringify({ reason: call.reason ?? "order never completed" });
  return fetch(`${sim.url}/v1/payments/${encodeURIComponent(pgUid)}/cancel`, {
    method: "POST",
    headers,
    body,
  });
}

/** Parses a JSON answer; the shape is asserted by the caller's expectations. */
export async function readJson<T>(response: Response): Promise<T> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as T;
}

/** All pg_uids of a window, walking pages until an empty one. */
export async function collectUids(sim: PgSimulator, extra: Record<string, string | number> = {}) {
  const uids: string[] = [];
  for (let page = 1; page < 50; page += 1) {
    const body = await readJson<PageBody>(await listPage(sim, page, extra));
    if (body.payments.length === 0) return uids;
    uids.push(...body.payments.map((payment) => payment.pg_uid));
  }
  throw new Error("paging never reached an empty page");
}

/** What a dialect test needs of an answer: its status, headers and JSON (or raw) body. */
export interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON; undefined for an empty body. */
  json: T;
  text: string;
}

export interface Call {
  method?: "GET" | "POST";
  /** Header name → value; `authorization` defaults to the dialect's own for the sim's key. */
  headers?: Record<string, string>;
  query?: Record<string, string | number>;
  /** An object is sent as JSON. */
  body?: unknown;
}

/** One request in any dialect, answered as status, headers and body. */
export async function call<T = unknown>(
  sim: PgSimulator,
  path: string,
  { method = "GET", headers = {}, query = {}, body }: Call = {},
): Promise<Answer<T>> {
  const url = new URL(path, sim.url);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: (text === "" ? undefined : JSON.parse(text)) as T,
    text,
  };
}

export const tossAuthorization = (key: string = SIMULATOR_API_KEY) =>
  `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

export const portOneAuthorization = (key: string = SIMULATOR_API_KEY) => `PortOne ${key}`;

/** Resolves after `ms`, for the gateway rules that are about time. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A paid KRW card payment at `paidAt`, with whatever else a test needs. */
export function simPayment(
  pgUid: string,
  paidAt: string,
  extra: Partial<SimPayment> = {},
): SimPayment {
  return {
    pg_uid: pgUid,
    store_order_id: pgUid,
    amount: 10_000,
    currency: "KRW",
    status: "paid",
    paid_at: paidAt,
    ...extra,
  };
}
