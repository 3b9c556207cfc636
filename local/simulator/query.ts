import { parseIsoTimestamp } from "../../lambda/util/iso-time.ts";
import type { PaymentWindow } from "./payment-ledger.ts";

export const MAX_PER_PAGE = 100;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

type Query = Readonly<Record<string, string>>;

const POSITIVE_INTEGER = /^[1-9]\d*$/;

export function parseWindow(query: Query): Parsed<PaymentWindow> {
  const from = parseTimestampParam(query, "from");
  if (!from.ok) return from;
  const to = parseTimestampParam(query, "to");
  if (!to.ok) return to;
  // A reversed window is almost certainly a client bug; an empty one is not.
  if (from.value > to.value) return invalid("from must not be after to");
  return { ok: true, value: { fromMs: from.value, toMs: to.value } };
}

export function parsePage(query: Query): Parsed<number> {
  const { page: raw } = query;
  if (raw === undefined) return invalid("page is required");
  return parsePositiveInteger("page", raw);
}

export function parsePerPage(query: Query, fallback: number): Parsed<number> {
  const { per_page: raw } = query;
  if (raw === undefined) return { ok: true, value: fallback };
  const perPage = parsePositiveInteger("per_page", raw);
  if (perPage.ok && perPage.value > MAX_PER_PAGE) {
    return invalid(`per_page must be at most ${MAX_PER_PAGE}`);
  }
  return perPage;
}

function parseTimestampParam(query: Query, name: string): Parsed<number> {
  const raw = query[name];
  if (raw === undefined) return invalid(`${name} is required`);
  const ms = parseIsoTimestamp(raw);
  // An unencoded "+09:00" arrives as " 09:00"; that rejection is deliberate.
  if (ms === undefined) return invalid(`${name} must be an ISO-8601 date-time, got ${raw}`);
  return { ok: true, value: ms };
}

function parsePositiveInteger(name: string, raw: string): Parsed<number> {
  const value = Number(raw);
  if (!POSITIVE_INTEGER.test(raw) || !Number.isSafeInteger(value)) {
    return invalid(`${name} must be a positive integer, got ${raw}`);
  }
  return { ok: true, value };
}

function invalid(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
