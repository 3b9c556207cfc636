import { readFileSync } from "node:fs";
import { parseIsoTimestamp } from "../../lambda/util/iso-time.ts";
import { SEED_PAYMENTS, seedPaidAt } from "../seed-data.ts";

const METHODS = ["card", "virtual_account"] as const;
const CANCEL_FLOWS = ["requested", "requested_then_failed"] as const;

const NOT_A_TIMESTAMP = "must be an ISO-8601 date-time with offset";

export type SimMethod = (typeof METHODS)[number];

/** PortOne only: a cancel accepted as `REQUESTED` that finishes later, well or badly. */
export type SimCancelFlow = (typeof CANCEL_FLOWS)[number];

/**
 * A payment as the gateway serves it (snake_case is the wire format). Amounts are integers
 * in the currency's minor unit, whatever a dialect later makes of them.
 */
export interface SimPayment {
  pg_uid: string;
  store_order_id: number | string;
  amount: number;
  currency: string;
  status: string;
  /**
   * When the money arrived (a virtual account: the deposit). Payments that were never paid
   * (waiting, aborted, expired) are still placed here by the reference API's listing, and
   * Toss's aborted and expired rows sit here.
   */
  paid_at: string;
  /** Default `card`. */
  method?: SimMethod;
  /** When the payment was created or its virtual account issued; default `paid_at`. */
  requested_at?: string;
  /** PortOne promotion discount, 0..amount: `amount.paid = amount − discount`. */
  discount?: number;
  /** PortOne only; without it a cancel succeeds at once. */
  cancel_flow?: SimCancelFlow;
  /**
   * What was cancelled, in `amount`'s terms: required for `partial_cancelled` (0 < it <
   * amount). A `cancelled` virtual account with 0 was cancelled before anything was deposited.
   */
  cancelled_amount?: number;
  /**
   * Set by the simulator when it cancels the payment; a dataset may give it for a payment
   * that was cancelled before the simulator started (default `paid_at`).
   */
  cancelled_at?: string;
}

export const methodOf = (payment: SimPayment): SimMethod => payment.method ?? "card";

export const requestedAtOf = (payment: SimPayment): string =>
  payment.requested_at ?? payment.paid_at;

/** Whether money ever arrived: what Toss shows as a DONE row and PortOne as `paidAt`. */
export function wasPaid(payment: SimPayment): boolean {
  switch (payment.status) {
    case "paid":
    case "partial_cancelled":
      return true;
    case "cancelled":
      return !(methodOf(payment) === "virtual_account" && payment.cancelled_amount === 0);
    default:
      return false;
  }
}

/** What the dataset says was cancelled before the simulator started, in `amount`'s terms. */
export function datasetCancelledAmount(payment: SimPayment): number {
  if (payment.status === "cancelled") return payment.cancelled_amount ?? payment.amount;
  if (payment.status === "partial_cancelled") return payment.cancelled_amount ?? 0;
  return 0;
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

/**
 * The rules between fields, shared by `parseDataset` and the simulator's own start (which
 * also takes payments built in code). Returns the broken rule's field and problem.
 */
export function paymentProblem(
  payment: SimPayment,
): { field: keyof SimPayment; problem: string } | undefined {
  const { status, amount, method = "card" } = payment;
  if (status === "waiting_for_deposit" && method !== "virtual_account") {
    return { field: "status", problem: "waiting_for_deposit needs method virtual_account" };
  }
  if (payment.discount !== undefined && payment.discount > amount) {
    return { field: "discount", problem: `must not exceed amount ${amount}` };
  }
  // Parsed only when compared: a large generated dataset seldom has either field.
  const paidAt = () => parseIsoTimestamp(payment.paid_at) ?? Number.NaN;
  if (payment.requested_at !== undefined) {
    const requestedAt = parseIsoTimestamp(payment.requested_at);
    if (requestedAt === undefined) return { field: "requested_at", problem: NOT_A_TIMESTAMP };
    if (requestedAt > paidAt())
      return { field: "requested_at", problem: "must not be after paid_at" };
  }
  if (payment.cancelled_at !== undefined) {
    if (status !== "cancelled" && status !== "partial_cancelled") {
      return { field: "cancelled_at", problem: `is not allowed for status ${status}` };
    }
    const cancelledAt = parseIsoTimestamp(payment.cancelled_at);
    if (cancelledAt === undefined) return { field: "cancelled_at", problem: NOT_A_TIMESTAMP };
    if (cancelledAt < paidAt())
      return { field: "cancelled_at", problem: "must not be before paid_at" };
  }
  return cancelledAmountProblem(payment, method);
}

function cancelledAmountProblem(
  payment: SimPayment,
  method: SimMethod,
): { field: keyof SimPayment; problem: string } | undefined {
  const { status, amount, cancelled_amount: cancelledAmount } = payment;
  if (status === "partial_cancelled") {
    if (cancelledAmount === undefined || cancelledAmount <= 0 || cancelledAmount >= amount) {
      return {
        field: "cancelled_amount",
        problem: `is required for partial_cancelled and must be within 1..${amount - 1}`,
      };
    }
    return undefined;
  }
  if (cancelledAmount === undefined) return undefined;
  if (status !== "cancelled") {
    return { field: "cancelled_amount", problem: `is not allowed for status ${status}` };
  }
  // Only an undeposited virtual account can be cancelled without moving money.
  const allowed = method === "virtual_account" ? [0, amount] : [amount];
  if (!allowed.includes(cancelledAmount)) {
    return {
      field: "cancelled_amount",
      problem: `of a cancelled ${method} payment must be ${allowed.join(" or ")}`,
    };
  }
  return undefined;
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
  const field = (name: keyof SimPayment) => ({ name, value: entry[name], index, source });
  const payment: SimPayment = {
    pg_uid: requireText(field("pg_uid")),
    store_order_id: requireOrderId(field("store_order_id")),
    amount: requireAmount(field("amount")),
    currency: requireText(field("currency")),
    status: requireText(field("status")),
    paid_at: requireTimestamp(field("paid_at")),
  };
  const method = optional(field("method"), (f) => requireOneOf(f, METHODS));
  if (method !== undefined) payment.method = method;
  const requestedAt = optional(field("requested_at"), requireTimestamp);
  if (requestedAt !== undefined) payment.requested_at = requestedAt;
  const discount = optional(field("discount"), requireAmount);
  if (discount !== undefined) payment.discount = discount;
  const flow = optional(field("cancel_flow"), (f) => requireOneOf(f, CANCEL_FLOWS));
  if (flow !== undefined) payment.cancel_flow = flow;
  const cancelledAmount = optional(field("cancelled_amount"), requireAmount);
  if (cancelledAmount !== undefined) payment.cancelled_amount = cancelledAmount;
  const cancelledAt = optional(field("cancelled_at"), requireTimestamp);
  if (cancelledAt !== undefined) payment.cancelled_at = cancelledAt;
  const broken = paymentProblem(payment);
  if (broken) throw entryError(source, index, broken.field, broken.problem);
  return payment;
}

interface FieldInput {
  name: string;
  value: unknown;
  index: number;
  source: string;
}

/** `undefined` and a missing key are the same: the field takes its default. */
function optional<T>(field: FieldInput, read: (field: FieldInput) => T): T | undefined {
  return field.value === undefined ? undefined : read(field);
}

function requireText(field: FieldInput): string {
  if (typeof field.value === "string" && field.value.trim() !== "") return field.value;
  throw fieldError(field, "must be a non-empty string");
}

function requireOneOf<T extends string>(field: FieldInput, allowed: readonly T[]): T {
  const found = allowed.find((value) => value === field.value);
  if (found !== undefined) return found;
  throw fieldError(field, `must be one of ${allowed.map((v) => `"${v}"`).join(", ")}`);
}

function requireOrderId(field: FieldInput): number | string {
  // Stores use both numeric and string order ids; the simulator keeps either.
  if (typeof field.value === "number" && Number.isSafeInteger(field.value)) return field.value;
  if (typeof field.value === "string" && field.value.trim() !== "") return field.value;
  throw fieldError(field, "must be an integer or a non-empty string");
}

// Minor units are whole: 726.24 US dollars is 72624, and a fraction of a cent cannot be
// shown in any dialect's major or minor units.
function requireAmount(field: FieldInput): number {
  if (typeof field.value === "number" && Number.isSafeInteger(field.value) && field.value >= 0) {
    return field.value;
  }
  throw fieldError(field, "must be a non-negative integer (minor units)");
}

function requireTimestamp(field: FieldInput): string {
  if (typeof field.value === "string" && parseIsoTimestamp(field.value) !== undefined) {
    return field.value;
  }
  throw fieldError(field, NOT_A_TIMESTAMP);
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
