import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { defaultSyncConfig } from "../../lambda/core/config.ts";
import { runSync } from "../../lambda/core/run-sync.ts";
import { MemoryLedger } from "../support/memory-ports.ts";
import { NOW } from "../support/payments.ts";
import { SyntheticGateway, SyntheticOrderStore } from "../support/synthetic-ports.ts";

// The live heap (after a collection) is what the core holds; without forcing collections,
// sampled heap use mostly measures when the collector last ran.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

async function liveHeapDuring(total: number) {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = 0;
  let samples = 0;
  // Sampled from inside the run: every 20th page request, mid-stream.
  const gateway = new SyntheticGateway(total, NOW - 100 * 60_000, (page) => {
    if (page % 20 !== 0) return;
    gc();
    samples++;
    peak = Math.max(peak, process.memoryUsage().heapUsed - before);
  });
  const report = await runSync(
    {
      ...defaultSyncConfig,
      pageSize: 100,
      concurrency: 16,
      maxCancelsPerRun: total,
      maxOrphanRatio: 1,
    },
    { gateway, orders: new SyntheticOrderStore(1000), ledger: new MemoryLedger() },
  );
  return { report, peak, samples, cancels: gateway.cancels };
}

describe("streaming keeps memory flat", () => {
  it("a 200k window holds about as much live heap as a 2k window", async () => {
    const small = await liveHeapDuring(2_000);
    const large = await liveHeapDuring(200_000);

    expect(small.report.counts).toMatchObject({ scanned: 2_000, orphans: 2, cancelled: 2 });
    expect(large.report.status).toBe("SUCCEEDED");
    expect(large.report.counts).toMatchObject({
      scanned: 200_000,
      matched: 199_800,
      orphans: 200,
      cancelled: 200,
    });
    expect(large.cancels).toBe(200);
    expect(large.samples).toBe(100);

    // 100× the payments; what grows is only the 200 orphans and their ledger records.
    // (Before the core had its own pool, FxTS's concurrentPool kept every page: about 30 MiB here.)
    expect(large.peak - small.peak).toBeLessThan(4 * 1024 * 1024);
    console.info(
      `live heap above baseline: 2k ${(small.peak / 1048576).toFixed(1)} MiB, 200k ${(large.peak / 1048576).toFixed(1)} MiB`,
    );
  }, 120_000);
});
