import { describe, expect, it } from "vitest";
import { CompactStringTable, hash64 } from "../../lambda/util/compact-table.ts";

describe("CompactStringTable", () => {
  it("answers undefined for a key never set", () => {
    const table = new CompactStringTable();
    expect(table.get("1")).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it("keeps the first value for a key and returns it on a second put", () => {
    const table = new CompactStringTable();
    expect(table.putIfAbsent("order-1", "PG1")).toBeUndefined();
    expect(table.putIfAbsent("order-1", "PG2")).toBe("PG1");
    expect(table.get("order-1")).toBe("PG1");
    expect(table.size).toBe(1);
  });

  it("stores values of any UTF-8 length up to 65535 bytes, and refuses longer ones", () => {
    const table = new CompactStringTable();
    const values = ["", "결제-🙂", "x".repeat(300), "y".repeat(0xffff)];
    values.forEach((value, i) => {
      table.putIfAbsent(`k${i}`, value);
    });
    values.forEach((value, i) => {
      expect(table.get(`k${i}`)).toBe(value);
    });
    expect(() => table.putIfAbsent("too-long", "z".repeat(0x10000))).toThrow(RangeError);
    expect(table.get("too-long")).toBeUndefined();
    expect(table.size).toBe(values.length);
  });

  it("starts a new block after entries that fill one to its last byte", () => {
    const table = new CompactStringTable();
    // 10 bytes of header + 1,014 of value: 1,024 entries fill a 1 MiB block exactly.
    const value = (i: number) => `${String(i).padStart(6, "0")}${"x".repeat(1_008)}`;
    const n = 3 * 1_024 + 7;
    for (let i = 0; i < n; i++) expect(table.putIfAbsent(`k${i}`, value(i))).toBeUndefined();
    expect(table.size).toBe(n);
    for (let i = 0; i < n; i++) {
      if (table.get(`k${i}`) !== value(i)) throw new Error(`entry ${i} came back wrong`);
    }
    expect(table.putIfAbsent("k1024", "other")).toBe(value(1_024));
  });

  it("keeps every entry across index growth and block boundaries", () => {
    const table = new CompactStringTable();
    const n = 150_000;
    for (let i = 0; i < n; i++) table.putIfAbsent(String(i), `PG${i}-${"v".repeat(i % 17)}`);
    expect(table.size).toBe(n);
    for (let i = 0; i < n; i++) {
      if (table.get(String(i)) !== `PG${i}-${"v".repeat(i % 17)}`) {
        throw new Error(`entry ${i} came back as ${String(table.get(String(i)))}`);
      }
    }
    expect(table.get(String(n))).toBeUndefined();
    // About 10 bytes of header plus the value per entry, plus a 4-byte slot at most 3/4 full.
    expect(table.bytes).toBeLessThan(n * 40);
  });
});

describe("CompactStringTable probing", () => {
  it("finds keys whose slots collide, and keys that share the low half of their hash", () => {
    const table = new CompactStringTable();
    // Enough keys that probe runs are long; every one must come back, none mixed up.
    const n = 20_000;
    for (let i = 0; i < n; i++) expect(table.putIfAbsent(`o-${i}`, `v-${i}`)).toBeUndefined();
    for (let i = 0; i < n; i++) expect(table.putIfAbsent(`o-${i}`, "other")).toBe(`v-${i}`);
    expect(table.size).toBe(n);
  });
});

describe("hash64", () => {
  it("is deterministic and tells near keys apart", () => {
    expect(hash64("order-1")).toEqual(hash64("order-1"));
    expect(hash64("order-1")).not.toEqual(hash64("order-2"));
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(hash64(String(i)).join(":"));
    expect(seen.size).toBe(100_000);
  });
});
