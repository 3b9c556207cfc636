import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import { createRetryingHttp, type RetryPolicy } from "../../lambda/gateways/http/retrying-http.ts";
import { referenceDescriptor } from "../../lambda/gateways/reference/descriptor.ts";
import { createReferenceGateway } from "../../lambda/gateways/reference/reference-gateway.ts";
import type { Gateway, PageQuery } from "../../lambda/ports/gateway.ts";
import { GatewayError } from "../../lambda/ports/gateway.ts";
import { createRequestBudget } from "../../lambda/util/request-budget.ts";
import {
  type PgSimulator,
  type PgSimulatorOptions,
  SIMULATOR_API_KEY,
  type SimPayment,
  seedPayments,
  startPgSimulator,
} from "../../local/simulator/pg-simulator.ts";
import { cancelOf, firstPage, listAll, listPages } from "../support/gateway-calls.ts";
import { listenOnLoopback } from "../support/loopback-server.ts";
import { rejectionOf } from "../support/rejection.ts";

// A fixed clock keeps the seed's paid_at values (01:20Z .. 02:00Z) and the window predictable.
const NOW = new Date("2026-11-24T03:00:00.000Z");
const WINDOW = { from: Date.parse("2026-11-24T01:00:00.000Z"), to: NOW.getTime() };
const QUERY: PageQuery = { window: WINDOW, perPage: 3 };

const RETRY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 5,
  maxDelayMs: 20,
  maxRetryAfterMs: 5_000,
};

function gatewayAt(baseUrl: string, apiKey = SIMULATOR_API_KEY, retry = RETRY): Gateway {
  const budget = createRequestBudget({ concurrency: 4, maxRps: 1_000 });
  const http = createRetryingHttp({
    budget,
    gateway: { ...referenceDescriptor, timeoutMs: 5_000 },
    retry,
  });
  return createReferenceGateway({ baseUrl, apiKey, http });
}

async function startSim(overrides: Partial<PgSimulatorOptions> = {}): Promise<PgSimulator> {
  const sim = await startPgSimulator({ payments: seedPayments(NOW), ...overrides });
  onTestFinished(() => sim.close());
  return sim;
}

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A tiny server that answers every request with `answer`; records what it saw. */
async function startAdHoc(
  answer: (seen: Seen, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
      };
      seen.push(request);
      answer(request, res);
    });
  });
  const { port, close } = await listenOnLoopback(server);
  onTestFinished(close);
  return { url: `http://127.0.0.1:${port}`, seen };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const wirePayment = (overrides: Partial<Record<keyof SimPayment, unknown>> = {}) => ({
  pg_uid: "PG1",
  store_order_id: 1,
  amount: 15000,
  currency: "KRW",
  status: "paid",
  paid_at: "2026-11-24T01:20:00.000Z",
  ...overrides,
});

const gatewayRejection = (promise: Promise<unknown>) => rejectionOf(promise, GatewayError);

describe("reference gateway against the simulator: reading", () => {
  it("sends the bearer key and reads the page count first", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect(await listPages(gateway, QUERY)).toHaveLength(3);
    expect(sim.requests).toHaveLength(4);
    const [request] = sim.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
    expect(request?.path).toBe("/v1/payments/pages");
    expect(request?.query).toEqual({
      from: "2026-11-24T01:00:00.000Z",
      to: "2026-11-24T03:00:00.000Z",
      per_page: "3",
    });
  });

  it("tolerates a trailing slash on the base URL", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(`${sim.url}/`, sim.apiKey);
    expect(await listAll(gateway, QUERY)).toHaveLength(9);
    expect(sim.requests[0]?.path).toBe("/v1/payments/pages");
  });

  it("reads pages in (paid_at, pg_uid) order and normalises each payment", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const pages = await listPages(gateway, QUERY);
    expect(pages.map((p) => p.map((payment) => payment.pgUid))).toEqual([
      ["PG11", "PG12", "PG13"],
      ["PG14", "PG15", "PG16"],
      ["PG17", "PG18", "PG19"],
    ]);
    expect(pages[0]?.[0]).toEqual({
      pgUid: "PG11",
      storeOrderId: "1",
      amount: 15000,
      currency: "KRW",
      status: "paid",
      paidAt: Date.parse("2026-11-24T01:20:00.000Z"),
    });
    const pageRequests = sim.requests.filter((r) => r.path === "/v1/payments");
    // The count says 3 pages: no request past the end.
    expect(pageRequests.map((r) => r.query.page).sort()).toEqual(["1", "2", "3"]);
    for (const r of pageRequests) {
      expect(r.query.per_page).toBe("3");
      expect(r.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
    }
  });

  it("reads pages one by one until a short one when the gateway has no page-count endpoint", async () => {
    const sim = await startSim({ pageCountEndpoint: false });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect(await listAll(gateway, QUERY)).toHaveLength(9);
    // 404 for the count, three full pages, and the empty fourth that ends the window.
    expect(sim.requests.map((r) => r.status)).toEqual([404, 200, 200, 200, 200]);
    expect(sim.requests.slice(1).map((r) => r.query.page)).toEqual(["1", "2", "3", "4"]);
  });

  it("fails for good, without retrying, on a wrong key", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(sim.url, "wrong-key");
    const error = await gatewayRejection(listAll(gateway, QUERY));
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.message).toContain("PG_API_KEY");
    expect(sim.requests).toHaveLength(1);
  });

  it('turns store_order_id 1 and "1" into the same string', async () => {
    const at = "2026-11-24T01:30:00.000Z";
    const base = { amount: 15000, currency: "KRW", status: "paid", paid_at: at };
    const payments: SimPayment[] = [
      { ...base, pg_uid: "PGA", store_order_id: 1 },
      { ...base, pg_uid: "PGB", store_order_id: "1" },
    ];
    const sim = await startSim({ payments });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const page = await firstPage(gateway, QUERY);
    expect(page.map((p) => [p.pgUid, p.storeOrderId])).toEqual([
      ["PGA", "1"],
      ["PGB", "1"],
    ]);
  });
});

describe("reference gateway against the simulator: cancelling", () => {
  it("sends the Idempotency-Key header and the reason, and reads the cancel", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const outcome = await gateway.cancel(cancelOf("PG12", "run-1:PG12"));
    expect(outcome.kind).toBe("cancelled");
    expect(outcome.kind === "cancelled" && outcome.cancelledAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const requests = sim.cancelRequests("PG12");
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.idempotencyKey).toBe("run-1:PG12");
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
    expect(requests[0]?.status).toBe(200);
    expect(sim.effectiveCancels()).toEqual(new Map([["PG12", 1]]));
  });

  it("answers already_cancelled for a payment cancelled under another key", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect((await gateway.cancel(cancelOf("PG14", "first"))).kind).toBe("cancelled");
    expect(await gateway.cancel(cancelOf("PG14", "second"))).toEqual({
      kind: "already_cancelled",
    });
    expect(sim.cancelRequests("PG14").map((r) => r.status)).toEqual([200, 409]);
    expect(sim.effectiveCancels().get("PG14")).toBe(1);
  });

  it("answers rejected NOT_FOUND for an unknown payment", async () => {
    const sim = await startSim();
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const outcome = await gateway.cancel(cancelOf("PG404"));
    expect(outcome).toMatchObject({ kind: "rejected", code: "NOT_FOUND" });
    expect(outcome.kind === "rejected" && outcome.message).toContain("PG404");
    expect(sim.cancelRequests("PG404")).toHaveLength(1);
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("retries 503 twice and re-sends the same Idempotency-Key", async () => {
    const sim = await startSim({
      faults: { script: [{ match: { method: "POST", pgUid: "PG12" }, action: "503", times: 2 }] },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect((await gateway.cancel(cancelOf("PG12", "key-503"))).kind).toBe("cancelled");
    const requests = sim.cancelRequests("PG12");
    expect(requests.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(requests.map((r) => r.headers.idempotencyKey)).toEqual([
      "key-503",
      "key-503",
      "key-503",
    ]);
    expect(sim.remainingScriptedFaults()).toBe(0);
    expect(sim.effectiveCancels()).toEqual(new Map([["PG12", 1]]));
  });

  it("gets the replayed answer after a connection dropped after the effect", async () => {
    const sim = await startSim({
      faults: {
        script: [{ match: { method: "POST", pgUid: "PG16" }, action: "drop-after", times: 1 }],
      },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect((await gateway.cancel(cancelOf("PG16", "key-drop"))).kind).toBe("cancelled");
    const requests = sim.cancelRequests("PG16");
    // The first attempt had its effect but no answer (status 0); the retry got the replay.
    expect(requests.map((r) => r.status)).toEqual([0, 200]);
    expect(requests.map((r) => r.headers.idempotencyKey)).toEqual(["key-drop", "key-drop"]);
    expect(sim.effectiveCancels()).toEqual(new Map([["PG16", 1]]));
  });

  it("retries a page read after a dropped connection before the effect", async () => {
    const sim = await startSim({
      faults: {
        script: [
          { match: { method: "GET", pathPrefix: "/v1/payments" }, action: "drop-before", times: 1 },
        ],
      },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect((await listPages(gateway, QUERY))[1]?.map((p) => p.pgUid)).toEqual([
      "PG14",
      "PG15",
      "PG16",
    ]);
    // The count was dropped once and asked again; then the three pages.
    expect(sim.requests.map((r) => r.status)).toEqual([0, 200, 200, 200, 200]);
  });
});

describe("reference gateway against the simulator: transient answers", () => {
  it("honours Retry-After on a 429", async () => {
    const sim = await startSim({
      faults: {
        script: [
          {
            match: { method: "GET", pathPrefix: "/v1/payments/pages" },
            action: "429",
            retryAfterSeconds: 1,
            times: 1,
          },
        ],
      },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    expect(await listAll(gateway, QUERY)).toHaveLength(9);
    expect(sim.requests.map((r) => r.status)).toEqual([429, 200, 200, 200, 200]);
    const [first, second] = sim.requests;
    // Backoff alone would be at most 20 ms; only Retry-After explains a second's wait.
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it("throws a retryable GatewayError once the attempts are used up", async () => {
    const sim = await startSim({
      faults: { script: [{ match: { pathPrefix: "/v1/payments" }, action: "503", times: 100 }] },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const error = await gatewayRejection(firstPage(gateway, QUERY));
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(503);
    expect(error.code).toBe("UNAVAILABLE");
    expect(sim.requests).toHaveLength(RETRY.maxAttempts);
  });

  it("throws a retryable GatewayError for a cancel whose attempts are used up, having cancelled nothing", async () => {
    const sim = await startSim({
      faults: { script: [{ match: { pgUid: "PG19" }, action: "500", times: 100 }] },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const error = await gatewayRejection(gateway.cancel(cancelOf("PG19", "key-500")));
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(500);
    const requests = sim.cancelRequests("PG19");
    expect(requests).toHaveLength(RETRY.maxAttempts);
    expect(new Set(requests.map((r) => r.headers.idempotencyKey))).toEqual(new Set(["key-500"]));
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("does not wait for a Retry-After longer than the policy allows", async () => {
    const sim = await startSim({
      faults: {
        script: [
          {
            match: { pathPrefix: "/v1/payments/pages" },
            action: "429",
            retryAfterSeconds: 3600,
            times: 1,
          },
        ],
      },
    });
    const gateway = gatewayAt(sim.url, sim.apiKey);
    const error = await gatewayRejection(listAll(gateway, QUERY));
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(429);
    expect(sim.requests).toHaveLength(1);
  });
});

describe("reference gateway against malformed answers", () => {
  /** The first page: the count endpoint answers 404, so page 1 is the first thing read. */
  const page1 = (g: Gateway) => firstPage(g, QUERY);
  /** The page count: the whole listing starts with it. */
  const count = (g: Gateway) => listAll(g, QUERY);

  async function expectMalformed(body: unknown, call: (gateway: Gateway) => Promise<unknown>) {
    const countless = call === page1;
    const server = await startAdHoc((seen, res) =>
      countless && seen.url.startsWith("/v1/payments/pages")
        ? sendJson(res, 404, { code: "NOT_FOUND", message: "no page count here" })
        : sendJson(res, 200, body),
    );
    const error = await gatewayRejection(call(gatewayAt(server.url)));
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/malformed/);
    // Not retried: a malformed answer will not improve.
    expect(server.seen).toHaveLength(countless ? 2 : 1);
    return error;
  }

  it("rejects a page without a payments list", async () => {
    await expectMalformed({ page: 1 }, page1);
    await expectMalformed({ page: 1, payments: { 0: wirePayment() } }, page1);
    await expectMalformed([wirePayment()], page1);
  });

  it("rejects a payment with a float amount", async () => {
    const error = await expectMalformed(
      { page: 1, payments: [wirePayment({ amount: 150.5 })] },
      page1,
    );
    expect(error.message).toContain("amount");
  });

  it("rejects a negative or string amount", async () => {
    await expectMalformed({ payments: [wirePayment({ amount: -1 })] }, page1);
    await expectMalformed({ payments: [wirePayment({ amount: "15000" })] }, page1);
  });

  it("rejects a payment without a pg_uid", async () => {
    const { pg_uid: _omit, ...noUid } = wirePayment();
    const error = await expectMalformed({ payments: [noUid] }, page1);
    expect(error.message).toContain("pg_uid");
    await expectMalformed({ payments: [wirePayment({ pg_uid: "" })] }, page1);
  });

  it("rejects a bad paid_at", async () => {
    const error = await expectMalformed(
      { payments: [wirePayment({ paid_at: "not-a-date" })] },
      page1,
    );
    expect(error.message).toContain("paid_at");
    await expectMalformed({ payments: [wirePayment({ paid_at: 1795478400000 })] }, page1);
  });

  it("rejects a missing store_order_id, currency or status", async () => {
    await expectMalformed({ payments: [wirePayment({ store_order_id: null })] }, page1);
    await expectMalformed({ payments: [wirePayment({ store_order_id: 1.5 })] }, page1);
    await expectMalformed({ payments: [wirePayment({ currency: undefined })] }, page1);
    await expectMalformed({ payments: [wirePayment({ status: "" })] }, page1);
  });

  it("rejects a page with more payments than per_page", async () => {
    const payments = ["A", "B", "C", "D"].map((uid) => wirePayment({ pg_uid: uid }));
    const error = await expectMalformed({ page: 1, payments }, page1);
    expect(error.message).toContain("per_page");
  });

  it("rejects a page count for a different per_page", async () => {
    await expectMalformed({ total_pages: 1, total_count: 9, per_page: 50 }, count);
  });

  it("rejects a page count without a usable total_pages", async () => {
    await expectMalformed({ total_count: 9 }, count);
    await expectMalformed({ total_pages: -1 }, count);
    await expectMalformed({ total_pages: "3" }, count);
  });

  it("rejects a non-JSON body on a page and on a page count", async () => {
    await expectMalformed("<html>oops</html>", page1);
    await expectMalformed('{"payments": [', count);
    await expectMalformed("", page1);
  });

  it("rejects a cancel answered for another payment", async () => {
    const error = await expectMalformed({ code: 200, pg_uid: "PG99" }, (g) =>
      g.cancel(cancelOf("PG12")),
    );
    expect(error.message).toContain("PG99");
  });

  it("reads a page count without total_count", async () => {
    const server = await startAdHoc((seen, res) =>
      sendJson(
        res,
        200,
        seen.url.startsWith("/v1/payments/pages")
          ? { total_pages: 2 }
          : { page: 1, payments: [wirePayment({ pg_uid: seen.url })] },
      ),
    );
    // Without a total there is nothing to check the pages against; both pages are read.
    expect(await listPages(gatewayAt(server.url), QUERY)).toHaveLength(2);
  });

  it('turns store_order_id 1 and "1" into "1" on the wire too', async () => {
    const server = await startAdHoc((seen, res) =>
      sendJson(res, seen.url.startsWith("/v1/payments/pages") ? 404 : 200, {
        page: 1,
        payments: [
          wirePayment({ pg_uid: "A", store_order_id: 1 }),
          wirePayment({ pg_uid: "B", store_order_id: "1" }),
        ],
      }),
    );
    const page = await firstPage(gatewayAt(server.url), QUERY);
    expect(page.map((p) => p.storeOrderId)).toEqual(["1", "1"]);
  });

  it("fails for good on an unexpected 4xx for a page", async () => {
    const server = await startAdHoc((_seen, res) =>
      sendJson(res, 400, { code: "INVALID_REQUEST", message: "per_page too large" }),
    );
    const error = await gatewayRejection(listAll(gatewayAt(server.url), QUERY));
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(400);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(server.seen).toHaveLength(1);
  });
});

describe("the cancel request on the wire", () => {
  it("is a POST with a JSON {reason} body, the key and the bearer header", async () => {
    const server = await startAdHoc((_seen, res) =>
      sendJson(res, 200, { code: 200, message: "ok", pg_uid: "PG/12 x", cancelled_at: "t" }),
    );
    const outcome = await gatewayAt(server.url, "k-123").cancel({
      pgUid: "PG/12 x",
      idempotencyKey: "idem-1",
      reason: "no paid order",
      cancellable: 100,
      currency: "KRW",
    });
    expect(outcome).toEqual({ kind: "cancelled", cancelledAt: "t" });
    expect(server.seen).toHaveLength(1);
    const [request] = server.seen;
    expect(request?.method).toBe("POST");
    // The pg_uid is one path segment, whatever it contains.
    expect(request?.url).toBe("/v1/payments/PG%2F12%20x/cancel");
    expect(request?.headers.authorization).toBe("Bearer k-123");
    expect(request?.headers["idempotency-key"]).toBe("idem-1");
    expect(request?.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(request?.body ?? "")).toEqual({ reason: "no paid order" });
  });

  it("treats a 200 without a body as cancelled", async () => {
    const server = await startAdHoc((_seen, res) => {
      res.writeHead(200);
      res.end();
    });
    expect(await gatewayAt(server.url).cancel(cancelOf("PG12"))).toEqual({ kind: "cancelled" });
  });

  it("reports a 4xx without a contract body as rejected with its status", async () => {
    const server = await startAdHoc((_seen, res) => {
      res.writeHead(403);
      res.end("forbidden");
    });
    expect(await gatewayAt(server.url).cancel(cancelOf("PG12"))).toEqual({
      kind: "rejected",
      code: "HTTP_403",
      message: "cancel answered 403",
    });
  });
});
