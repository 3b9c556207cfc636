// The benchmark's dataset, by formula, so that every process (simulator, store, baseline)
// derives the same payments and orders from N alone.
import type { SimPayment } from "../local/simulator/dataset.ts";

/** Every ORPHAN_EVERY-th order exists but was never marked paid: 0.1 % orphans. */
export const ORPHAN_EVERY = 1000;
export const PAGE_SIZE = 100;
export const LATENCY_MS = 50;
export const CONCURRENCY = 16;
export const ORDER_CHUNK_SIZE = 500;
export const API_KEY = "sim_test_key";

const MINUTE_MS = 60_000;
/** paid_at spans [now - 115 min, now - 35 min), well inside [now - 120 min, now - 30 min). */
const OLDEST_MS = 115 * MINUTE_MS;
const SPAN_MS = 80 * MINUTE_MS;

export const pgUidOf = (i: number): string => `PG${String(i).padStart(7, "0")}`;

/** Varied amounts between 1,000 and 10,900 KRW; the SQL twin is in `ORDERS_INSERT_SQL`. */
export const amountOf = (i: number): number => 1000 + ((i * 7919) % 100) * 100;

/** The backfill row's window: a week, cut by the backfill into 28 slices of six hours. */
export const BACKFILL_DAYS = 7;

/**
 * Where paid_at is spread: `[fromMs, toMs)`. Without `spanDays`, the single run's 80 minutes
 * inside its default window. With it, `spanDays` days ending 35 minutes before `nowMs` (on a
 * whole minute, for a readable `--to`): the backfill's `--to` must be no later than now minus
 * GRACE_SECONDS (30 min) when it starts, and the services take a while to load 1M rows.
 */
export function paidAtSpan(nowMs: number, spanDays?: number): { fromMs: number; toMs: number } {
  if (spanDays === undefined)
    return { fromMs: nowMs - OLDEST_MS, toMs: nowMs - OLDEST_MS + SPAN_MS };
  const toMs = Math.floor((nowMs - 35 * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  return { fromMs: toMs - spanDays * 24 * 60 * MINUTE_MS, toMs };
}

/** Payments 1..n, each for order i, paid_at spread evenly and already in (paid_at, pg_uid) order. */
export function* benchPayments(n: number, nowMs: number, spanDays?: number): Generator<SimPayment> {
  const { fromMs, toMs } = paidAtSpan(nowMs, spanDays);
  const span = toMs - fromMs;
  for (let i = 1; i <= n; i += 1) {
    yield {
      pg_uid: pgUidOf(i),
      store_order_id: i,
      amount: amountOf(i),
      currency: "KRW",
      status: "paid",
      paid_at: new Date(fromMs + Math.floor(((i - 1) * span) / n)).toISOString(),
    };
  }
}

/** Orders 1..$1, all paid with the payment's amount except every 1000th: one statement. */
export const ORDERS_INSERT_SQL = `
  INSERT INTO orders (id, amount, is_paid)
  SELECT i, 1000 + ((i * 7919) % 100) * 100, i % ${ORPHAN_EVERY} <> 0
  FROM generate_series(1, $1::bigint) AS i`;

export const expectedOrphans = (n: number): number => Math.floor(n / ORPHAN_EVERY);

/** Pages of the window; the page-count call is left out of the bound. */
export const pagesOf = (n: number): number => Math.ceil(n / PAGE_SIZE);

/** The gateway-bound floor: every call costs one latency, `CONCURRENCY` at a time. */
export const lowerBoundMs = (n: number): number =>
  Math.ceil((pagesOf(n) + expectedOrphans(n)) / CONCURRENCY) * LATENCY_MS;
