import { afterEach, describe, expect, it } from "vitest";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { startDynalite } from "../../local/embedded/dynalite.ts";
import { startEmbeddedPostgres } from "../../local/embedded/postgres.ts";
import { openRunEnvironment } from "../../local/run-environment.ts";
import {
  SIMULATOR_API_KEY,
  type SimPayment,
  startPgSimulator,
} from "../../local/simulator/pg-simulator.ts";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** Most requests the simulator saw arrive inside any span of `spanMs`. */
function busiest(arrivals: readonly number[], spanMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= spanMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Payments one second apart, 90 minutes ago; every 15th order unpaid (an orphan). */
async function startStack(count: number, latencyMs: number, env: Record<string, string>) {
  const now = Date.now();
  const payments: SimPayment[] = Array.from({ length: count }, (_, i) => ({
    pg_uid: `R${String(i).padStart(3, "0")}`,
    store_order_id: i + 1,
    amount: 1000,
    currency: "KRW",
    status: "paid",
    paid_at: new Date(now - 90 * 60_000 + i * 1000).toISOString(),
  }));
  const simulator = await startPgSimulator({ payments, latencyMs });
  closers.push(() => simulator.close());
  const orders = payments.map((_, i) => ({ id: i + 1, amount: 1000, is_paid: i % 15 !== 0 }));
  const postgres = await startEmbeddedPostgres(orders);
  closers.push(() => postgres.close());
  const dynalite = await startDynalite();
  closers.push(() => dynalite.close());
  const environment = await openRunEnvironment(
    readEnvConfig({
      PG_BASE_URL: simulator.url,
      PG_API_KEY: SIMULATOR_API_KEY,
      PG_PAGE_SIZE: "1",
      STORE_DATABASE_URL: postgres.url,
      DYNAMODB_ENDPOINT: dynalite.endpoint,
      ...env,
    }),
  );
  closers.push(() => environment.close());
  return { simulator, environment };
}

describe("one request budget for every gateway call", () => {
  it("never lets the simulator see more than PG_MAX_RPS requests in any second, pages and cancels together", async () => {
    // 60 payments on pages of one, 4 of them orphans: 61 reads and 4 cancels at 20 per second.
    const { simulator, environment } = await startStack(60, 5, {
      PG_CONCURRENCY: "8",
      PG_MAX_RPS: "20",
    });
    const report = await runSync(environment.sync, environment.ports);
    expect(report.status).toBe("SUCCEEDED");
    expect(report.counts).toMatchObject({ scanned: 60, orphans: 4, cancelled: 4 });
    const arrivals = simulator.requests.map((r) => r.at);
    expect(arrivals).toHaveLength(1 + 60 + 4);
    expect(busiest(arrivals, 1000)).toBeLessThanOrEqual(20);
    // The budget binds: 65 requests cannot fit in much under three seconds.
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(3000);
  });

  it("never has more than PG_CONCURRENCY requests at the gateway at once", async () => {
    // Each request takes 200 ms at the simulator; four at a time means four arrivals at
    // most in any 190 ms, and a run of 41 reads that cannot take much under two seconds.
    const { simulator, environment } = await startStack(40, 200, {
      PG_CONCURRENCY: "4",
      PG_MAX_RPS: "1000",
    });
    const report = await runSync({ ...environment.sync, maxOrphanRatio: 1 }, environment.ports);
    expect(report.counts.scanned).toBe(40);
    const reads = simulator.requests.filter((r) => r.method === "GET").map((r) => r.at);
    expect(reads).toHaveLength(41);
    expect(busiest(reads, 190)).toBeLessThanOrEqual(4);
    expect(Math.max(...reads) - Math.min(...reads)).toBeGreaterThan(1800);
  });
});
