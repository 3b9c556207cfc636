// The seed's approach, as its write-up builds it, over the same HTTP API and the same store:
// pages one after another until a short one, `toArray` of everything, the order lookup in
// chunks of 500 through one `pg` client, the `orders.some` join (O(n·m)), then one cancel
// after another. It is the baseline the bench compares paysync against.
//
// Env: PG_BASE_URL, PG_API_KEY, STORE_DATABASE_URL, BENCH_STATS_FILE. stdout: one JSON line
// with what it found and did; progress lines go to stderr.
import { writeFileSync } from "node:fs";
import { fx, range } from "@fxts/core";
import pg from "pg";
import { ORDER_CHUNK_SIZE, PAGE_SIZE } from "./dataset.ts";

interface Payment {
  pg_uid: string;
  store_order_id: number;
  amount: number;
}

interface Order {
  id: number;
  amount: number;
  is_paid: boolean;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const baseUrl = env("PG_BASE_URL");
const apiKey = env("PG_API_KEY");
const now = Date.now();
// The seed has no window; the API needs one, so it gets paysync's default.
const window = {
  from: new Date(now - 7200_000).toISOString(),
  to: new Date(now - 1800_000).toISOString(),
};
const progress = (fields: Record<string, unknown>) =>
  process.stderr.write(`${JSON.stringify({ progress: fields })}\n`);

// The bench keeps stdin open; when it closes, the bench is gone.
process.stdin.on("end", () => process.exit(70));
process.stdin.resume();

let pagesRead = 0;
async function getPayments(page: number): Promise<Payment[]> {
  const query = new URLSearchParams({ ...window, page: String(page), per_page: String(PAGE_SIZE) });
  const response = await fetch(`${baseUrl}/v1/payments?${query}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (!response.ok) throw new Error(`page ${page} answered ${response.status}`);
  const body = (await response.json()) as { payments: Payment[] };
  pagesRead += 1;
  if (pagesRead % 250 === 0) progress({ phase: "pages", pages: pagesRead });
  return body.payments;
}

async function cancelPayment(pgUid: string): Promise<{ message: string }> {
  const response = await fetch(`${baseUrl}/v1/payments/${encodeURIComponent(pgUid)}/cancel`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      "idempotency-key": `seed-${pgUid}`,
    },
    body: JSON.stringify({ reason: "order never completed" }),
  });
  if (!response.ok) throw new Error(`cancel ${pgUid} answered ${response.status}`);
  return (await response.json()) as { message: string };
}

const client = new pg.Client({ connectionString: env("STORE_DATABASE_URL") });
await client.connect();

async function getOrders(ids: number[]): Promise<Order[]> {
  const result = await client.query<{ id: string; amount: string; is_paid: boolean }>(
    "SELECT id, amount, is_paid FROM orders WHERE id = ANY($1) AND is_paid = true",
    [ids],
  );
  // bigint arrives as text; the seed's orders have numeric ids.
  return result.rows.map((row) => ({
    id: Number(row.id),
    amount: Number(row.amount),
    is_paid: row.is_paid,
  }));
}

const began = performance.now();
const mark = () => Math.round(performance.now() - began);

// 1. Every page, one at a time, merged into one array.
const payments = await fx(range(1, Number.POSITIVE_INFINITY))
  .toAsync()
  .map((page) => getPayments(page))
  .takeUntilInclusive(({ length }) => length < PAGE_SIZE)
  .flat()
  .toArray();
const pagesMs = mark();
progress({ phase: "orders", payments: payments.length, atMs: pagesMs });

// 2. The paid orders, in chunks.
const orders = await fx(payments)
  .map((payment) => payment.store_order_id)
  .chunk(ORDER_CHUNK_SIZE)
  .toAsync()
  .flatMap(getOrders)
  .toArray();
const ordersMs = mark();
progress({ phase: "join and cancel", orders: orders.length, atMs: ordersMs });

// 3. Payments with no paid order, found with orders.some, cancelled one after another.
let cancelled = 0;
await fx(payments)
  .toAsync()
  .reject((payment) => orders.some((order) => order.id === payment.store_order_id))
  .forEach(async (payment) => {
    await cancelPayment(payment.pg_uid);
    cancelled += 1;
  });
const doneMs = mark();
await client.end();

const result = {
  scanned: payments.length,
  pages: pagesRead,
  paidOrders: orders.length,
  cancelled,
  pagesMs,
  ordersMs: ordersMs - pagesMs,
  joinAndCancelMs: doneMs - ordersMs,
  wallMs: doneMs,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
const stats = { maxRssKiB: process.resourceUsage().maxRSS, mainMs: doneMs, exitCode: 0 };
if (process.env.BENCH_STATS_FILE)
  writeFileSync(process.env.BENCH_STATS_FILE, JSON.stringify(stats));
process.exit(0);
