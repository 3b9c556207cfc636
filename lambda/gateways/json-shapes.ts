import { GatewayError } from "../ports/gateway.ts";
import { parseIsoTimestamp } from "../util/iso-time.ts";

/** Small readers for gateway JSON: every field checked, every failure names where it was. */

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const isCount = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0;

/** An answer that does not parse fails the run before any cancel: never act on half a window. */
export function malformed(what: string): GatewayError {
  return new GatewayError(`malformed gateway answer: ${what}`, false);
}

export function text(value: Json, field: string, where: string): string {
  const found = value[field];
  if (typeof found !== "string" || found === "")
    throw malformed(`${where}.${field} must be a non-empty string`);
  return found;
}

export function count(value: Json, field: string, where: string): number {
  const found = value[field];
  if (!isCount(found)) throw malformed(`${where}.${field} must be a non-negative integer`);
  return found;
}

export function instant(value: Json, field: string, where: string): number {
  const found = value[field];
  const ms = typeof found === "string" ? parseIsoTimestamp(found) : undefined;
  if (ms === undefined)
    throw malformed(`${where}.${field} must be an ISO-8601 timestamp with an offset`);
  return ms;
}

export function object(value: unknown, where: string): Json {
  if (!isObject(value)) throw malformed(`${where} is not an object`);
  return value;
}
