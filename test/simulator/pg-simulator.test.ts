import { describe, expect, it } from "vitest";
import type { SimPayment } from "../../local/simulator/pg-simulator.ts";
import {
  type CancelBody,
  cancel,
  collectUids,
  type ErrorBody,
  get,
  listPage,
  NOW,
  type PageBody,
  readJson,
  startSim,
  WINDOW,
} from "./helpers.ts";

const SEED_UIDS = ["PG11", "PG12", "PG13", "PG14", "PG15", "PG16", "PG17", "PG18", "PG19"];

function payment(pgUid: string, paidAt: string, status = "paid"): SimPayment {
  return {
    pg_uid: pgUid,
    store_order_id: pgUid,
    amount: 1000,
    currency: "KRW",
    status,
    paid_at: paidAt,
  };
}

describe("authentication", () => {
  it("answers 401 UNAUTHORIZED without a bearer key", async () => {
    const sim = await startSim();
    const response = await get(sim, "/v1/payments/pages", WINDOW, null);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
    expect(await readJson<ErrorBody>(response)).toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("answers 401 for a wrong key and has no effect on a cancel", async () => {
    const sim = await startSim();
    const wrongKey = await get(sim, "/v1/payments", { ...WINDOW, page: 1 }, "not_the_key");
    expect(wrongKey.status).toBe(401);
    const response = await fetch(`${sim.url}/v1/payments/PG11/cancel`, {
      method: "POST",
      headers: { authorization: "Bearer nope", "idempotency-key": "k1" },
      body: JSON.stringify({ reason: "x" }),
    });
    expect(response.status).toBe(401);
    expect((await readJson<ErrorBody>(response)).code).toBe("UNAUTHORIZED");
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("honours a custom api key", async () => {
    const sim = await startSim({ apiKey: "custom" });
    expect(sim.apiKey).toBe("custom");
    expect((await get(sim, "/v1/payments/pages", WINDOW)).status).toBe(401);
    expect((await get(sim, "/v1/payments/pages", WINDOW, "custom")).status).toBe(200);
  });
});

describe("page count", () => {
  it("counts pages for the window with the default per_page", async () => {
    const sim = await startSim();
    const response = await get(sim, "/v1/payments/pages", WINDOW);
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ total_pages: 3, total_count: 9, per_page: 3 });
  });

  it("rounds partial pages up and honours defaultPerPage", async () => {
    const sim = await startSim({ defaultPerPage: 2 });
    expect(await readJson(await get(sim, "/v1/payments/pages", WINDOW))).toEqual({
      total_pages: 5,
      total_count: 9,
      per_page: 2,
    });
    expect(
      await readJson(await get(sim, "/v1/payments/pages", { ...WINDOW, per_page: 4 })),
    ).toEqual({
      total_pages: 3,
      total_count: 9,
      per_page: 4,
    });
  });

  it("reports zero pages for an empty window", async () => {
    const sim = await startSim();
    const empty = { from: "2026-11-23T00:00:00Z", to: "2026-11-23T01:00:00Z" };
    expect(await readJson(await get(sim, "/v1/payments/pages", empty))).toEqual({
      total_pages: 0,
      total_count: 0,
      per_page: 3,
    });
  });

  it("answers 404 NOT_FOUND when the endpoint is disabled", async () => {
    const sim = await startSim({ pageCountEndpoint: false });
    const response = await get(sim, "/v1/payments/pages", WINDOW);
    expect(response.status).toBe(404);
    expect((await readJson<ErrorBody>(response)).code).toBe("NOT_FOUND");
    // Listing still works: only the count is missing.
    expect((await listPage(sim, 1)).status).toBe(200);
  });
});

describe("listing", () => {
  it("serves pages in (paid_at, pg_uid) order with the payment shape", async () => {
    const sim = await startSim();
    const first = await readJson<PageBody>(await listPage(sim, 1));
    expect(first.page).toBe(1);
    expect(first.payments[0]).toEqual({
      pg_uid: "PG11",
      store_order_id: 1,
      amount: 15000,
      currency: "KRW",
      status: "paid",
      paid_at: "2026-11-24T01:20:00.000Z",
    });
    expect(await collectUids(sim)).toEqual(SEED_UIDS);
  });

  it("answers an empty payments array past the last page", async () => {
    const sim = await startSim();
    const response = await listPage(sim, 4);
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ page: 4, payments: [] });
  });

  it("breaks paid_at ties by pg_uid regardless of dataset order", async () => {
    const same = "2026-11-24T02:00:00Z";
    const sim = await startSim({
      payments: [
        payment("B", same),
        payment("C", "2026-11-24T01:00:00Z"),
        payment("A", same),
        payment("D", "2026-11-24T02:00:00.001Z"),
      ],
    });
    expect(await collectUids(sim)).toEqual(["C", "A", "B", "D"]);
  });

  it("filters on paid_at with from inclusive and to exclusive", async () => {
    const sim = await startSim();
    // PG12 is at 01:25Z exactly, PG14 at 01:35Z exactly.
    const window = { from: "2026-11-24T01:25:00.000Z", to: "2026-11-24T01:35:00.000Z" };
    expect(await collectUids(sim, window)).toEqual(["PG12", "PG13"]);
    const count = await readJson(await get(sim, "/v1/payments/pages", window));
    expect(count).toMatchObject({ total_count: 2, total_pages: 1 });
  });

  it("accepts offsets other than Z when they are URL-encoded", async () => {
    const sim = await startSim();
    // 10:25+09:00 is 01:25Z (PG12), 10:35+09:00 is 01:35Z (PG14, excluded).
    const window = { from: "2026-11-24T10:25:00+09:00", to: "2026-11-24T10:35:00+09:00" };
    expect(await collectUids(sim, window)).toEqual(["PG12", "PG13"]);
  });

  it("accepts per_page 100 but rejects 101 with 400 INVALID_REQUEST", async () => {
    const sim = await startSim();
    const hundred = await readJson<PageBody>(await listPage(sim, 1, { per_page: 100 }));
    expect(hundred.payments).toHaveLength(9);
    for (const path of ["/v1/payments", "/v1/payments/pages"]) {
      const response = await get(sim, path, { ...WINDOW, page: 1, per_page: 101 });
      expect(response.status).toBe(400);
      expect((await readJson<ErrorBody>(response)).code).toBe("INVALID_REQUEST");
    }
  });

  it.each([
    ["missing from", { to: WINDOW.to, page: 1 }],
    ["missing to", { from: WINDOW.from, page: 1 }],
    ["missing page", { ...WINDOW }],
    ["page 0", { ...WINDOW, page: 0 }],
    ["page not a number", { ...WINDOW, page: "two" }],
    ["per_page 0", { ...WINDOW, page: 1, per_page: 0 }],
    ["from not ISO-8601", { ...WINDOW, from: "yesterday", page: 1 }],
    ["impossible date", { ...WINDOW, from: "2026-02-30T00:00:00Z", page: 1 }],
    ["from after to", { from: WINDOW.to, to: WINDOW.from, page: 1 }],
  ])("answers 400 INVALID_REQUEST for %s", async (_label, params) => {
    const sim = await startSim();
    const response = await get(sim, "/v1/payments", params);
    expect(response.status).toBe(400);
    const body = await readJson<ErrorBody>(response);
    expect(body.code).toBe("INVALID_REQUEST");
    expect(body.message).not.toBe("");
  });

  it("serves the contract's fields only, whatever else the dataset holds", async () => {
    const sim = await startSim({
      payments: [
        {
          ...payment("V1", "2026-11-24T01:30:00Z"),
          method: "virtual_account",
          requested_at: "2026-11-24T01:00:00Z",
          discount: 100,
          cancel_flow: "requested",
        },
      ],
    });
    const body = await readJson<PageBody>(await listPage(sim, 1));
    expect(body.payments).toEqual([
      {
        pg_uid: "V1",
        store_order_id: "V1",
        amount: 1000,
        currency: "KRW",
        status: "paid",
        paid_at: "2026-11-24T01:30:00Z",
      },
    ]);
    // The reference API cancels at once, whatever the dataset says PortOne would do.
    expect((await cancel(sim, "V1", { key: "k" })).status).toBe(200);
    expect(sim.effectiveCancels()).toEqual(new Map([["V1", 1]]));
  });

  it("serves dataset statuses other than paid as they are", async () => {
    const sim = await startSim({
      payments: [
        payment("R1", "2026-11-24T01:30:00Z", "refunded"),
        payment("C1", "2026-11-24T01:31:00Z", "cancelled"),
      ],
    });
    const body = await readJson<PageBody>(await listPage(sim, 1));
    expect(body.payments.map((p) => [p.pg_uid, p.status])).toEqual([
      ["R1", "refunded"],
      ["C1", "cancelled"],
    ]);
  });
});

describe("routing", () => {
  it.each([
    ["GET", "/v1/unknown"],
    ["POST", "/v1/payments"],
    ["GET", "/v1/payments/PG11/cancel"],
    ["DELETE", "/v1/payments/PG11"],
  ])("answers 404 NOT_FOUND for %s %s", async (method, path) => {
    const sim = await startSim();
    const response = await fetch(`${sim.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${sim.apiKey}` },
    });
    expect(response.status).toBe(404);
    expect((await readJson<ErrorBody>(response)).code).toBe("NOT_FOUND");
  });
});

describe("cancel", () => {
  it("cancels a paid payment once and replays the stored answer for the same key", async () => {
    const sim = await startSim();
    const first = await cancel(sim, "PG12", { key: "key-1" });
    expect(first.status).toBe(200);
    const firstBody = await readJson<CancelBody>(first);
    expect(firstBody).toMatchObject({ code: 200, message: "PG12 취소 완료", pg_uid: "PG12" });
    expect(Number.isNaN(Date.parse(firstBody.cancelled_at))).toBe(false);

    const replay = await cancel(sim, "PG12", { key: "key-1" });
    expect(replay.status).toBe(200);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await readJson(replay)).toEqual(firstBody);

    expect(sim.effectiveCancels()).toEqual(new Map([["PG12", 1]]));
    const listed = await readJson<PageBody>(await listPage(sim, 1));
    expect(listed.payments.map((p) => p.status)).toEqual(["paid", "cancelled", "paid"]);
    expect(sim.payments().find((p) => p.pg_uid === "PG12")?.status).toBe("cancelled");
  });

  it("answers 409 ALREADY_CANCELLED under another key and stores that answer too", async () => {
    const sim = await startSim();
    expect((await cancel(sim, "PG13", { key: "a" })).status).toBe(200);
    const second = await cancel(sim, "PG13", { key: "b" });
    expect(second.status).toBe(409);
    const secondBody = await readJson<ErrorBody>(second);
    expect(secondBody.code).toBe("ALREADY_CANCELLED");
    const replay = await cancel(sim, "PG13", { key: "b" });
    expect(replay.status).toBe(409);
    expect(await readJson(replay)).toEqual(secondBody);
    expect(sim.effectiveCancels().get("PG13")).toBe(1);
  });

  it("answers 409 ALREADY_CANCELLED for a payment cancelled in the dataset", async () => {
    const sim = await startSim({ payments: [payment("X1", "2026-11-24T01:30:00Z", "cancelled")] });
    const response = await cancel(sim, "X1", { key: "k" });
    expect(response.status).toBe(409);
    expect((await readJson<ErrorBody>(response)).code).toBe("ALREADY_CANCELLED");
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("answers 409 NOT_CANCELLABLE for other statuses", async () => {
    const sim = await startSim({ payments: [payment("R1", "2026-11-24T01:30:00Z", "refunded")] });
    const response = await cancel(sim, "R1", { key: "k" });
    expect(response.status).toBe(409);
    expect((await readJson<ErrorBody>(response)).code).toBe("NOT_CANCELLABLE");
    expect(sim.payments()[0]?.status).toBe("refunded");
  });

  it("answers 422 IDEMPOTENCY_KEY_REUSED when a key is reused for another payment", async () => {
    const sim = await startSim();
    expect((await cancel(sim, "PG14", { key: "shared" })).status).toBe(200);
    const reused = await cancel(sim, "PG15", { key: "shared" });
    expect(reused.status).toBe(422);
    expect((await readJson<ErrorBody>(reused)).code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(sim.payments().find((p) => p.pg_uid === "PG15")?.status).toBe("paid");
    expect(sim.effectiveCancels()).toEqual(new Map([["PG14", 1]]));
  });

  it("answers 404 NOT_FOUND for an unknown pg_uid", async () => {
    const sim = await startSim();
    const response = await cancel(sim, "PG99", { key: "k" });
    expect(response.status).toBe(404);
    expect((await readJson<ErrorBody>(response)).code).toBe("NOT_FOUND");
  });

  it.each([
    ["a missing Idempotency-Key", {}],
    ["an Idempotency-Key over 255 characters", { key: "k".repeat(256) }],
    ["a missing reason", { key: "k", body: "{}" }],
    ["an empty reason", { key: "k", reason: "  " }],
    ["a body that is not JSON", { key: "k", body: "reason=x" }],
    ["a JSON body that is not an object", { key: "k", body: "[]" }],
  ])("answers 400 INVALID_REQUEST for %s without effect", async (_label, call) => {
    const sim = await startSim();
    const response = await cancel(sim, "PG11", call);
    expect(response.status).toBe(400);
    expect((await readJson<ErrorBody>(response)).code).toBe("INVALID_REQUEST");
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("does not store a 400 against the key, so a corrected retry succeeds", async () => {
    const sim = await startSim();
    expect((await cancel(sim, "PG11", { key: "k", body: "{}" })).status).toBe(400);
    expect((await cancel(sim, "PG11", { key: "k" })).status).toBe(200);
  });

  it("accepts a 255-character Idempotency-Key", async () => {
    const sim = await startSim();
    expect((await cancel(sim, "PG11", { key: "k".repeat(255) })).status).toBe(200);
  });

  it("cancels exactly once when the same key races itself", async () => {
    const sim = await startSim({ latencyMs: 20 });
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => cancel(sim, "PG16", { key: "race" })),
    );
    const bodies = await Promise.all(responses.map((r) => readJson<CancelBody>(r)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(bodies.map((b) => b.cancelled_at)).size).toBe(1);
    expect(sim.effectiveCancels()).toEqual(new Map([["PG16", 1]]));
  });

  it("cancels exactly once when different keys race for one payment", async () => {
    const sim = await startSim({ latencyMs: 20 });
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_unused, index) => cancel(sim, "PG17", { key: `race-${index}` })),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    expect(sim.effectiveCancels()).toEqual(new Map([["PG17", 1]]));
  });
});

describe("request log", () => {
  it("records method, path, query, headers and status of each request", async () => {
    const sim = await startSim();
    const before = Date.now();
    await listPage(sim, 2);
    await cancel(sim, "PG11", { key: "log-key" });
    await cancel(sim, "PG99", { key: "other" });
    expect(sim.requests).toHaveLength(3);
    expect(sim.requests[0]).toMatchObject({
      method: "GET",
      path: "/v1/payments",
      query: { ...WINDOW, page: "2" },
      headers: { authorization: "Bearer sim_test_key" },
      status: 200,
    });
    expect(sim.requests[0]?.at).toBeGreaterThanOrEqual(before);
    expect(sim.cancelRequests().map((r) => r.status)).toEqual([200, 404]);
    expect(sim.cancelRequests().map((r) => r.errorCode)).toEqual([undefined, "NOT_FOUND"]);
    expect(sim.cancelRequests("PG11")).toEqual([
      expect.objectContaining({
        path: "/v1/payments/PG11/cancel",
        headers: expect.objectContaining({ idempotencyKey: "log-key" }),
      }),
    ]);
  });
});

describe("faults", () => {
  it("answers a scripted 429 with Retry-After, stores nothing, and lets the same key succeed", async () => {
    const sim = await startSim({
      faults: {
        script: [{ match: { pgUid: "PG12" }, action: "429", times: 1, retryAfterSeconds: 7 }],
      },
    });
    const limited = await cancel(sim, "PG12", { key: "k" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect((await readJson<ErrorBody>(limited)).code).toBe("RATE_LIMITED");
    expect(sim.effectiveCancels().size).toBe(0);

    const retry = await cancel(sim, "PG12", { key: "k" });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
    expect(sim.effectiveCancels()).toEqual(new Map([["PG12", 1]]));
    expect(sim.cancelRequests("PG12").map((r) => r.status)).toEqual([429, 200]);
  });

  it("rate-limits by probability with the configured Retry-After", async () => {
    const sim = await startSim({ faults: { rateLimit: { rate: 1, retryAfterSeconds: 3 } } });
    const response = await get(sim, "/v1/payments/pages", WINDOW);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("3");
    sim.setFaults({});
    expect((await get(sim, "/v1/payments/pages", WINDOW)).status).toBe(200);
  });

  it("drops after the effect: the client sees no answer, the cancel happened once, and the key replays", async () => {
    const sim = await startSim({
      faults: { script: [{ match: { method: "POST" }, action: "drop-after", times: 1 }] },
    });
    await expect(cancel(sim, "PG15", { key: "k" })).rejects.toThrow();
    expect(sim.effectiveCancels()).toEqual(new Map([["PG15", 1]]));
    expect(sim.payments().find((p) => p.pg_uid === "PG15")?.status).toBe("cancelled");

    const retry = await cancel(sim, "PG15", { key: "k" });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await readJson<CancelBody>(retry)).pg_uid).toBe("PG15");
    expect(sim.effectiveCancels()).toEqual(new Map([["PG15", 1]]));
    expect(sim.cancelRequests("PG15").map((r) => r.status)).toEqual([0, 200]);
  });

  it("drops after the effect by probability on cancels only", async () => {
    const sim = await startSim({ faults: { dropAfterEffectRate: 1 } });
    expect((await listPage(sim, 1)).status).toBe(200);
    await expect(cancel(sim, "PG11", { key: "k" })).rejects.toThrow();
    expect(sim.effectiveCancels().get("PG11")).toBe(1);
  });

  it("drops before the effect: no answer and nothing cancelled", async () => {
    const sim = await startSim({
      faults: { script: [{ match: { pgUid: "PG16" }, action: "drop-before", times: 1 }] },
    });
    await expect(cancel(sim, "PG16", { key: "k" })).rejects.toThrow();
    expect(sim.effectiveCancels().size).toBe(0);
    expect(sim.payments().find((p) => p.pg_uid === "PG16")?.status).toBe("paid");
    const retry = await cancel(sim, "PG16", { key: "k" });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 503 UNAVAILABLE without effect when errorRate is 1", async () => {
    const sim = await startSim({ faults: { errorRate: 1 } });
    const response = await cancel(sim, "PG11", { key: "k" });
    expect(response.status).toBe(503);
    expect((await readJson<ErrorBody>(response)).code).toBe("UNAVAILABLE");
    expect(sim.effectiveCancels().size).toBe(0);
  });

  it("consumes scripted faults in order, only for matching requests", async () => {
    const sim = await startSim({
      faults: {
        script: [
          { match: { method: "GET", pathPrefix: "/v1/payments/pages" }, action: "503", times: 1 },
          { match: { pgUid: "PG13" }, action: "500", times: 2 },
        ],
      },
    });
    expect(sim.remainingScriptedFaults()).toBe(3);
    expect((await listPage(sim, 1)).status).toBe(200);
    expect((await get(sim, "/v1/payments/pages", WINDOW)).status).toBe(503);
    expect((await get(sim, "/v1/payments/pages", WINDOW)).status).toBe(200);
    expect((await cancel(sim, "PG14", { key: "a" })).status).toBe(200);
    const internal = await cancel(sim, "PG13", { key: "b" });
    expect(internal.status).toBe(500);
    expect((await readJson<ErrorBody>(internal)).code).toBe("INTERNAL");
    expect((await cancel(sim, "PG13", { key: "b" })).status).toBe(500);
    expect((await cancel(sim, "PG13", { key: "b" })).status).toBe(200);
    expect(sim.remainingScriptedFaults()).toBe(0);
    expect(sim.effectiveCancels()).toEqual(
      new Map([
        ["PG13", 1],
        ["PG14", 1],
      ]),
    );
  });

  it("fails the first N page reads with 500 INTERNAL", async () => {
    const sim = await startSim({ faults: { failPageReads: 2 } });
    // Malformed reads are rejected before the fault and do not use it up.
    expect((await get(sim, "/v1/payments", { ...WINDOW })).status).toBe(400);
    const failed = await listPage(sim, 1);
    expect(failed.status).toBe(500);
    expect((await readJson<ErrorBody>(failed)).code).toBe("INTERNAL");
    expect((await listPage(sim, 1)).status).toBe(500);
    expect((await listPage(sim, 1)).status).toBe(200);
    // The page count is not a page read.
    expect((await get(sim, "/v1/payments/pages", WINDOW)).status).toBe(200);
  });

  it("fails page reads chosen by a predicate", async () => {
    const sim = await startSim({ faults: { failPageReads: (page) => page === 2 } });
    expect((await listPage(sim, 1)).status).toBe(200);
    expect((await listPage(sim, 2)).status).toBe(500);
    expect((await listPage(sim, 2)).status).toBe(500);
    expect((await listPage(sim, 3)).status).toBe(200);
  });

  it("is reproducible for a given seed", async () => {
    const statusesFor = async (seed: number) => {
      const sim = await startSim({ faults: { seed, errorRate: 0.5 } });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i += 1)
        statuses.push((await get(sim, "/v1/payments/pages", WINDOW)).status);
      return statuses;
    };
    const first = await statusesFor(42);
    expect(await statusesFor(42)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 503]));
    expect(await statusesFor(7)).not.toEqual(first);
  });

  it("refuses another gateway's own transient answers in a script", async () => {
    const sim = await startSim();
    for (const action of ["provider-error", "pg-provider"] as const) {
      expect(() => sim.setFaults({ script: [{ match: {}, action, times: 1 }] })).toThrow(
        new RegExp(`${action}.*reference`),
      );
    }
  });

  it("rejects out-of-range rates", async () => {
    const sim = await startSim();
    expect(() => sim.setFaults({ errorRate: 50 })).toThrow(/errorRate/);
  });
});

describe("latency", () => {
  it("adds latencyMs to every response", async () => {
    const sim = await startSim({ latencyMs: 150 });
    const started = performance.now();
    const response = await get(sim, "/v1/payments/pages", WINDOW, null);
    expect(response.status).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("adds faults.latencyMs on top, changeable at runtime", async () => {
    const sim = await startSim();
    const timed = async () => {
      const started = performance.now();
      expect((await get(sim, "/v1/payments/pages", WINDOW)).status).toBe(200);
      return performance.now() - started;
    };
    expect(await timed()).toBeLessThan(100);
    sim.setFaults({ latencyMs: 150 });
    expect(await timed()).toBeGreaterThanOrEqual(140);
  });
});

describe("lifecycle", () => {
  it("closes promptly despite keep-alive sockets and parked requests", async () => {
    const sim = await startSim({ latencyMs: 10_000 });
    const parked = get(sim, "/v1/payments/pages", WINDOW);
    // Let the request arrive before closing.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(parked).rejects.toThrow();
    await expect(fetch(`${sim.url}/v1/payments/pages`)).rejects.toThrow();
  });

  it("does not mutate the caller's dataset", async () => {
    const payments = [payment("P1", "2026-11-24T01:30:00Z")];
    const sim = await startSim({ payments });
    expect((await cancel(sim, "P1", { key: "k" })).status).toBe(200);
    expect(payments[0]?.status).toBe("paid");
  });

  it("rejects invalid options at start", async () => {
    await expect(startSim({ defaultPerPage: 101 })).rejects.toThrow(/defaultPerPage/);
    await expect(startSim({ consecutiveCancelMs: -1 })).rejects.toThrow(/consecutiveCancelMs/);
    await expect(startSim({ requestedFinishMs: Number.NaN })).rejects.toThrow(/requestedFinishMs/);
    await expect(startSim({ storeId: "" })).rejects.toThrow(/storeId/);
    await expect(
      startSim({ payments: [{ ...payment("D", NOW.toISOString()), discount: 5000 }] }),
    ).rejects.toThrow(/payment D: discount must not exceed amount/);
    await expect(
      startSim({ payments: [payment("D", NOW.toISOString()), payment("D", NOW.toISOString())] }),
    ).rejects.toThrow(/duplicate/);
  });
});
