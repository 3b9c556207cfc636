import { readFileSync } from "node:fs";
import { parseIsoTimestamp } from "../../lambda/util/iso-time.ts";
import { SEED_PAYMENTS, seedPaidAt } from "../seed-data.ts";

/** A payment as the gateway serves it (snake_case is the wire format). */
export interface SimPayment {
  pg_uid: string;
  store_order_id: number | string;
  amount: number;
  currency: string;
  status: string;
  paid_at: string;
  /** Set by the simulator when it cancels the payment. */
  cancelled_at?: string;
}

/** The seed's nine paid payments PG11..PG19, inside the default window at `now`. */
export function seedPayments(now: Date): SimPayment[] {
  return SEED_PAYMENTS.map((payment, index) => ({
    ...payment,
    currency: "KRW",
    status: "paid",
    paid_at: new Date(seedPaidAt(index, now.getTime())).toISOString(),
  }));
}

/** Reads a JSON dataset: an array of payments or `{ "payments": [...] }`. */
export function loadDataset(path: string): SimPayment[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`dataset ${path}: cannot read JSON: ${reason}`, { cause: error });
  }
  return parseDataset(raw, `dataset ${path}`);
}

/** Validates already-parsed JSON; `source` prefixes error messages. */
export function parseDataset(raw: unknown, source = "dataset"): SimPayment[] {
  const entries = datasetEntries(raw);
  if (!entries) {
    throw new Error(`${source}: expected an array of payments or {"payments": [...]}`);
  }
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const payment = parseEntry(entry, index, source);
    // Duplicate ids would make cancels and the effective-cancel referee ambiguous.
    if (seen.has(payment.pg_uid)) {
      throw entryError(source, index, "pg_uid", `duplicates "${payment.pg_uid}"`);
    }
    seen.add(payment.pg_uid);
    return payment;
  });
}

function datasetEntries(raw: unknown): readonly unknown[] | undefined {
  if (Array.isArray(raw)) return raw;
  if (!isRecord(raw)) return undefined;
  const { payments } = raw;
  return Array.isArray(payments) ? payments : undefined;
}

function parseEntry(entry: unknown, index: number, source: string): SimPayment {
  if (!isRecord(entry)) {
    throw new Error(`${source}: payments[${index}] must be an object`);
  }
  const field = (name: string) => ({ name, value: entry[name], index, source });
  return {
    pg_uid: requireText(field("pg_uid")),
    store_order_id: requireOrderId(field("store_order_id")),
    amount: requireAmount(field("amount")),
    currency: requireText(field("currency")),
    status: requireText(field("status")),
    paid_at: requireTimestamp(field("paid_at")),
  };
}

interface FieldInput {
  name: string;
  value: unknown;
  index: number;
  source: string;
}

function requireText(field: FieldInput): string {
  if (typeof field.value === "string" && field.value.trim() !== "") return field.value;
  throw fieldError(field, "must be a non-empty string");
}

function requireOrderId(field: FieldInput): number | string {
  // Stores use both numeric and string order ids; the simulator keeps either.
  if (typeof field.value === "number" && Number.isSafeInteger(field.value)) return field.value;
  if (typeof field.value === "string" && field.value.trim() !== "") return field.value;
  throw fieldError(field, "must be an integer or a non-empty string");
}

function requireAmount(field: FieldInput): number {
  if (typeof field.value === "number" && Number.isFinite(field.value) && field.value >= 0) {
    return field.value;
  }
  throw fieldError(field, "must be a non-negative finite number");
}

function requireTimestamp(field: FieldInput): string {
  if (typeof field.value === "string" && parseIsoTimestamp(field.value) !== undefined) {
    return field.value;
  }
  throw fieldError(field, "must be an ISO-8601 date-time with offset");
}

function fieldError(field: FieldInput, problem: string): Error {
  const got = JSON.stringify(field.value) ?? "undefined";
  return entryError(field.source, field.index, field.name, `${problem}, got ${got}`);
}

function entryError(source: string, index: number, name: string, problem: string): Error {
  return new Error(`${source}: payments[${index}].${name} ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
