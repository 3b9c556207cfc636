// One benchmark service in its own process, so that the sync's CPU and memory are its own:
//   tsx bench/services.ts --role gateway|store|ledger --n N [--now EPOCH_MS] [--span-days D]
// (--span-days spreads the gateway's payments over D days for the backfill row.)
// Prints one JSON line when ready ({"ready": true, "url": ...}), then answers commands
// read from stdin, one per line: "stats" (one JSON line back) and "stop". It exits when
// stdin closes, so a parent that dies, however it dies, leaves no service behind.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import dynalite from "dynalite";
import { startEmbeddedPostgres } from "../local/embedded/postgres.ts";
import { type SimRequest, startPgSimulator } from "../local/simulator/pg-simulator.ts";
import { API_KEY, benchPayments, LATENCY_MS, ORDERS_INSERT_SQL, PAGE_SIZE } from "./dataset.ts";
import { BusyMeter } from "./meter.ts";

export type Role = "gateway" | "store" | "ledger";

interface Service {
  readonly url: string;
  stats(): Record<string, unknown>;
  close(): Promise<void>;
}

async function startGateway(n: number, nowMs: number, spanDays?: number): Promise<Service> {
  const sim = await startPgSimulator({
    payments: benchPayments(n, nowMs, spanDays),
    apiKey: API_KEY,
    defaultPerPage: PAGE_SIZE,
    latencyMs: LATENCY_MS,
  });
  return {
    url: sim.url,
    stats() {
      const pages = sim.requests.filter((r) => r.method === "GET" && r.path === "/v1/payments");
      const cancels = sim.requests.filter((r) => r.method === "POST");
      const cancelled = [...sim.effectiveCancels().values()];
      const passes = readPasses(pages);
      return {
        requests: sim.requests.length,
        pageRequests: pages.length,
        cancelRequests: cancels.length,
        failedAnswers: sim.requests.filter((r) => r.status !== 200).length,
        firstRequestAt: sim.requests[0]?.at ?? null,
        lastPageAt: pages.at(-1)?.at ?? null,
        firstCancelAt: cancels[0]?.at ?? null,
        lastCancelAt: cancels.at(-1)?.at ?? null,
        ...passes,
        maxPerSecond: maxInAnySecond(sim.requests.map((r) => r.at)),
        // Each call is held LATENCY_MS, so arrivals within one latency were in flight together.
        maxPagesInFlight: maxWithin(
          pages.map((r) => r.at),
          LATENCY_MS,
        ),
        maxCancelsInFlight: maxWithin(
          cancels.map((r) => r.at),
          LATENCY_MS,
        ),
        effectiveCancels: cancelled.length,
        doubleCancels: cancelled.filter((count) => count > 1).length,
      };
    },
    close: () => sim.close(),
  };
}

/**
 * A backfill reads each page twice, judge pass then apply pass, and the guard runs between:
 * the first reading of a (from, to, page) is the judge pass's, a second one the apply pass's.
 * Null for a single run, which reads each page once.
 */
function readPasses(pages: readonly SimRequest[]): {
  lastFirstReadAt: number | null;
  firstRereadAt: number | null;
  rereads: number;
} {
  const seen = new Set<string>();
  let lastFirstReadAt: number | null = null;
  let firstRereadAt: number | null = null;
  let rereads = 0;
  for (const { query, at } of pages) {
    const key = `${query.from} ${query.to} ${query.page}`;
    if (seen.has(key)) {
      rereads += 1;
      firstRereadAt ??= at;
    } else {
      seen.add(key);
      lastFirstReadAt = at;
    }
  }
  return { lastFirstReadAt: rereads > 0 ? lastFirstReadAt : null, firstRereadAt, rereads };
}

/** Most request arrivals inside any 1-second span (the log is in arrival order). */
function maxInAnySecond(arrivals: readonly number[]): number {
  return maxWithin(arrivals, 1000);
}

/** Most arrivals inside any span shorter than `spanMs`. */
function maxWithin(arrivals: readonly number[], spanMs: number): number {
  let best = 0;
  let first = 0;
  for (let last = 0; last < arrivals.length; last += 1) {
    while ((arrivals[last] as number) - (arrivals[first] as number) >= spanMs) first += 1;
    best = Math.max(best, last - first + 1);
  }
  return best;
}

async function startStore(n: number): Promise<Service> {
  const postgres = await startEmbeddedPostgres([]);
  await postgres.db.query(ORDERS_INSERT_SQL, [n]);
  await postgres.db.exec("ANALYZE orders");
  // Every wire message goes through execProtocolRawStream one at a time: timing it gives the
  // store's busy time, and counting Parse/Query messages gives the statements.
  const meter = new BusyMeter();
  let statements = 0;
  const db = postgres.db as unknown as {
    execProtocolRawStream: (message: Uint8Array, ...rest: unknown[]) => Promise<unknown>;
  };
  const original = db.execProtocolRawStream.bind(db);
  db.execProtocolRawStream = async (message, ...rest) => {
    // Terminate ("X"), sent when the client closes, is not work.
    if (message[0] === 0x58) return original(message, ...rest);
    if (message[0] === 0x50 || message[0] === 0x51) statements += 1;
    const done = meter.start();
    try {
      return await original(message, ...rest);
    } finally {
      done();
    }
  };
  return {
    url: postgres.url,
    stats: () => ({ statements, ...meter.stats() }),
    close: () => postgres.close(),
  };
}

async function startLedger(): Promise<Service> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const meter = new BusyMeter();
  // Per operation (PutItem, UpdateItem, …): how many and how long dynalite took on them.
  const byOperation = new Map<string, { count: number; ms: number }>();
  server.on("request", (req, res) => {
    const done = meter.start();
    const began = performance.now();
    const target = String(req.headers["x-amz-target"] ?? "?").replace(/^DynamoDB_\d+\./, "");
    res.once("close", () => {
      done();
      const entry = byOperation.get(target) ?? { count: 0, ms: 0 };
      entry.count += 1;
      entry.ms += performance.now() - began;
      byOperation.set(target, entry);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("dynalite has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    stats: () => ({
      ...meter.stats(),
      byOperation: Object.fromEntries(
        [...byOperation].map(([name, { count, ms }]) => [
          name,
          { count, meanMs: Math.round((ms / count) * 10) / 10 },
        ]),
      ),
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function start(role: Role, n: number, nowMs: number, spanDays?: number): Promise<Service> {
  switch (role) {
    case "gateway":
      return startGateway(n, nowMs, spanDays);
    case "store":
      return startStore(n);
    case "ledger":
      return startLedger();
  }
}

function parseRole(raw: string | undefined): Role {
  if (raw === "gateway" || raw === "store" || raw === "ledger") return raw;
  throw new Error(`--role must be gateway, store or ledger, got ${String(raw)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: "string" },
      n: { type: "string", default: "0" },
      now: { type: "string" },
      "span-days": { type: "string" },
    },
  });
  const role = parseRole(values.role);
  const n = Number(values.n);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--n must be a count, got ${values.n}`);
  const nowMs = values.now === undefined ? Date.now() : Number(values.now);
  const rawSpan = values["span-days"];
  const spanDays = rawSpan === undefined ? undefined : Number(rawSpan);
  if (spanDays !== undefined && !(Number.isSafeInteger(spanDays) && spanDays > 0)) {
    throw new Error(`--span-days must be a whole number of days, got ${rawSpan}`);
  }
  const began = performance.now();
  const service = await start(role, n, nowMs, spanDays);
  // CPU is counted from here: building the dataset is not the service's work during a run.
  const readyCpu = process.cpuUsage();
  const reply = (line: Record<string, unknown>) =>
    process.stdout.write(`${JSON.stringify(line)}\n`);
  reply({
    ready: true,
    role,
    url: service.url,
    startMs: Math.round(performance.now() - began),
    pid: process.pid,
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    // Bounded: a service that cannot close cleanly still goes.
    setTimeout(() => process.exit(code), 5000).unref();
    await service.close().catch(() => {});
    process.exit(code);
  };
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const command = line.trim();
    if (command === "stats") {
      const memory = process.memoryUsage();
      const usage = process.cpuUsage(readyCpu);
      reply({
        stats: {
          ...service.stats(),
          rssMiB: Math.round(memory.rss / 2 ** 20),
          cpuMsSinceReady: Math.round((usage.user + usage.system) / 1000),
        },
        maxRssKiB: process.resourceUsage().maxRSS,
      });
    } else if (command === "stop") {
      void stop(0);
    }
  });
  lines.on("close", () => void stop(0));
  process.once("SIGTERM", () => void stop(0));
  process.once("SIGINT", () => void stop(0));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `services: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
