import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDataset, parseDataset, seedPayments } from "../../local/simulator/dataset.ts";

const VALID = {
  pg_uid: "PG1",
  store_order_id: "order-1",
  amount: 1000,
  currency: "KRW",
  status: "paid",
  paid_at: "2026-11-24T01:00:00+09:00",
};

function writeDataset(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "pg-sim-dataset-"));
  const path = join(dir, "dataset.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("seedPayments", () => {
  const now = new Date("2026-11-24T03:00:00.000Z");
  const seed = seedPayments(now);

  it("has PG11..PG19 with order ids 1..9, the seed amounts, KRW and paid", () => {
    expect(seed.map((p) => p.pg_uid)).toEqual([
      "PG11",
      "PG12",
      "PG13",
      "PG14",
      "PG15",
      "PG16",
      "PG17",
      "PG18",
      "PG19",
    ]);
    expect(seed.map((p) => p.store_order_id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seed.map((p) => p.amount)).toEqual([
      15000, 15000, 15000, 20000, 20000, 20000, 25000, 25000, 25000,
    ]);
    expect(new Set(seed.map((p) => `${p.currency}/${p.status}`))).toEqual(new Set(["KRW/paid"]));
  });

  it("spreads paid_at five minutes apart, strictly inside (now-2h, now-30min)", () => {
    const times = seed.map((p) => Date.parse(p.paid_at));
    expect(seed[0]?.paid_at).toBe("2026-11-24T01:20:00.000Z");
    for (const [index, time] of times.entries()) {
      expect(time).toBeGreaterThan(now.getTime() - 7_200_000);
      expect(time).toBeLessThan(now.getTime() - 1_800_000);
      if (index > 0) expect(time - (times[index - 1] ?? 0)).toBe(300_000);
    }
  });
});

describe("loadDataset", () => {
  it("reads a bare array", () => {
    expect(loadDataset(writeDataset([VALID]))).toEqual([VALID]);
  });

  it("reads a { payments } wrapper and keeps unusual statuses", () => {
    const refunded = { ...VALID, pg_uid: "PG2", store_order_id: 2, status: "refunded" };
    expect(loadDataset(writeDataset({ payments: [VALID, refunded] }))).toEqual([VALID, refunded]);
  });

  it.each([
    ["amount", { amount: "1000" }],
    ["paid_at", { paid_at: "2026-11-24 01:00" }],
    ["paid_at", { paid_at: "2026-02-30T00:00:00Z" }],
    ["pg_uid", { pg_uid: "" }],
    ["store_order_id", { store_order_id: null }],
    ["currency", { currency: 410 }],
    ["status", { status: undefined }],
  ])("names the entry index and the bad field %s", (field, patch) => {
    const path = writeDataset([VALID, { ...VALID, pg_uid: "PG2", ...patch }]);
    expect(() => loadDataset(path)).toThrow(`payments[1].${field}`);
  });

  it("rejects duplicate pg_uids", () => {
    expect(() => loadDataset(writeDataset([VALID, VALID]))).toThrow(
      /payments\[1\]\.pg_uid duplicates "PG1"/,
    );
  });

  it("rejects entries that are not objects", () => {
    expect(() => loadDataset(writeDataset([VALID, 3]))).toThrow(/payments\[1\] must be an object/);
  });

  it("rejects a document that is neither an array nor { payments }", () => {
    expect(() => loadDataset(writeDataset({ items: [] }))).toThrow(/expected an array/);
  });

  it("reports unreadable or malformed files with their path", () => {
    const path = writeDataset("{ not json");
    expect(() => loadDataset(path)).toThrow(path);
    expect(() => loadDataset(join(tmpdir(), "definitely-missing-pg-sim.json"))).toThrow(
      /cannot read JSON/,
    );
  });
});

describe("parseDataset: the optional fields", () => {
  const VA = {
    ...VALID,
    method: "virtual_account",
    requested_at: "2026-11-23T01:00:00+09:00",
  };

  it("keeps method, requested_at, discount, cancel_flow, cancelled_amount and cancelled_at", () => {
    const full = [
      { ...VA, discount: 100, cancel_flow: "requested" },
      {
        ...VALID,
        pg_uid: "PG2",
        status: "partial_cancelled",
        cancelled_amount: 400,
        cancelled_at: "2026-11-24T02:00:00+09:00",
      },
      { ...VA, pg_uid: "PG3", status: "cancelled", cancelled_amount: 0 },
      { ...VA, pg_uid: "PG4", status: "waiting_for_deposit", cancel_flow: "requested_then_failed" },
    ];
    expect(parseDataset(full)).toEqual(full);
  });

  it("leaves absent optional fields absent, so old datasets read as before", () => {
    expect(Object.keys(parseDataset([VALID])[0] ?? {}).sort()).toEqual(Object.keys(VALID).sort());
  });

  it.each([
    ["method", { method: "cash" }, /must be one of "card", "virtual_account"/],
    ["requested_at", { requested_at: "yesterday" }, /ISO-8601/],
    ["requested_at", { requested_at: "2026-11-24T02:00:00+09:00" }, /must not be after paid_at/],
    ["discount", { discount: -1 }, /non-negative integer/],
    ["discount", { discount: 1001 }, /must not exceed amount 1000/],
    ["cancel_flow", { cancel_flow: "later" }, /"requested", "requested_then_failed"/],
    ["status", { status: "waiting_for_deposit" }, /needs method virtual_account/],
    ["cancelled_amount", { status: "partial_cancelled" }, /required for partial_cancelled/],
    ["cancelled_amount", { status: "partial_cancelled", cancelled_amount: 1000 }, /1\.\.999/],
    ["cancelled_amount", { cancelled_amount: 10 }, /not allowed for status paid/],
    ["cancelled_amount", { status: "cancelled", cancelled_amount: 0 }, /must be 1000/],
    ["cancelled_at", { cancelled_at: "2026-11-24T02:00:00+09:00" }, /not allowed for status paid/],
    [
      "cancelled_at",
      { status: "cancelled", cancelled_at: "2026-11-23T00:00:00+09:00" },
      /must not be before paid_at/,
    ],
    ["amount", { amount: 10.5 }, /non-negative integer \(minor units\)/],
  ])("names the bad field %s and says why", (field, patch, why) => {
    const attempt = () => parseDataset([VALID, { ...VALID, pg_uid: "PG2", ...patch }]);
    expect(attempt).toThrow(`payments[1].${field}`);
    expect(attempt).toThrow(why);
  });
});
