import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAnyIso, parseIsoTimestamp } from "../../lambda/util/iso-time.ts";

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** `toISOString()`'s layout, with any digits in each field, valid or not. */
const canonicalish = fc
  .tuple(
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 999 }),
  )
  .map(
    ([y, mo, d, h, mi, s, ms]) =>
      `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`,
  );

/** A canonical instant with one character replaced by anything. */
const mangled = fc
  .tuple(
    fc.date({
      min: new Date("0001-01-01T00:00:00Z"),
      max: new Date("9999-12-31T23:59:59Z"),
      noInvalidDate: true,
    }),
    fc.integer({ min: 0, max: 23 }),
    fc.string({ minLength: 1, maxLength: 1 }),
  )
  .map(([date, at, ch]) => {
    const text = date.toISOString();
    return text.slice(0, at) + ch + text.slice(at + 1);
  });

describe("parseIsoTimestamp: the canonical layout read by hand", () => {
  it("agrees with the general reading on every canonical-looking instant", () => {
    fc.assert(
      fc.property(canonicalish, (text) => {
        expect(parseIsoTimestamp(text)).toBe(parseAnyIso(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees with the general reading on real instants and on any one character changed", () => {
    fc.assert(
      fc.property(mangled, (text) => {
        expect(parseIsoTimestamp(text)).toBe(parseAnyIso(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads a day it has just read, and a day after it, without mixing them up", () => {
    const times = [
      "2026-11-24T23:59:59.999Z",
      "2026-11-25T00:00:00.000Z",
      "2026-11-24T00:00:00.001Z",
      "2024-02-29T12:00:00.000Z",
      "2023-02-29T12:00:00.000Z",
      "0099-01-01T00:00:00.000Z",
    ];
    expect(times.map(parseIsoTimestamp)).toEqual(times.map(parseAnyIso));
    expect(parseIsoTimestamp("2023-02-29T12:00:00.000Z")).toBeUndefined();
    expect(parseIsoTimestamp("0099-01-01T00:00:00.000Z")).toBe(
      Date.parse("0099-01-01T00:00:00.000Z"),
    );
  });
});
