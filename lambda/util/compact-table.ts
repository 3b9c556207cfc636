/**
 * A string → string table for millions of entries at about 20 bytes each, kept off the JS
 * heap in typed arrays: keys are stored as 64-bit hashes, values as UTF-8 in one arena.
 *
 * A key collision (two keys with one 64-bit hash, odds near 1 in 10^7 at a million keys)
 * makes `get` answer for the other key. Callers must only use the answer in a direction
 * that can never move money: here, to flag a payment for a person rather than to cancel it.
 */

const EMPTY = 0;

/** Two 32-bit lanes of a cyrb53-style hash: a 64-bit hash without BigInt. */
export function hash64(text: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  // (0, 0) marks an empty slot, so no real key may hash to it.
  const hi = h1 >>> 0;
  const lo = h2 >>> 0;
  return hi === EMPTY && lo === EMPTY ? [0, 1] : [hi, lo];
}

export class CompactStringTable {
  #capacity = 1 << 10;
  #keys = new Uint32Array(this.#capacity * 2);
  #offsets = new Uint32Array(this.#capacity);
  #lengths = new Uint16Array(this.#capacity);
  #arena = Buffer.alloc(1 << 14);
  #arenaUsed = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: string): string | undefined {
    const [hi, lo] = hash64(key);
    const slot = this.#find(hi, lo);
    if (this.#keys[slot * 2] === EMPTY && this.#keys[slot * 2 + 1] === EMPTY) return undefined;
    const offset = this.#offsets[slot] ?? 0;
    return this.#arena.toString("utf8", offset, offset + (this.#lengths[slot] ?? 0));
  }

  /** Sets the value only if the key is absent; returns the value now stored. */
  setIfAbsent(key: string, value: string): string {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    if ((this.#size + 1) * 4 > this.#capacity * 3) this.#grow();
    const [hi, lo] = hash64(key);
    const slot = this.#find(hi, lo);
    this.#keys[slot * 2] = hi;
    this.#keys[slot * 2 + 1] = lo;
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > 0xffff) throw new RangeError("value longer than 65535 bytes");
    this.#reserve(bytes);
    this.#arena.write(value, this.#arenaUsed, "utf8");
    this.#offsets[slot] = this.#arenaUsed;
    this.#lengths[slot] = bytes;
    this.#arenaUsed += bytes;
    this.#size++;
    return value;
  }

  /** Linear probing: the slot holding (hi, lo), or the empty slot where it would go. */
  #find(hi: number, lo: number): number {
    const mask = this.#capacity - 1;
    let slot = (hi ^ lo) & mask;
    for (;;) {
      const kHi = this.#keys[slot * 2];
      const kLo = this.#keys[slot * 2 + 1];
      if ((kHi === EMPTY && kLo === EMPTY) || (kHi === hi && kLo === lo)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #reserve(bytes: number): void {
    if (this.#arenaUsed + bytes <= this.#arena.length) return;
    const next = Buffer.alloc(Math.max(this.#arena.length * 2, this.#arenaUsed + bytes));
    this.#arena.copy(next, 0, 0, this.#arenaUsed);
    this.#arena = next;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldOffsets = this.#offsets;
    const oldLengths = this.#lengths;
    const oldCapacity = this.#capacity;
    this.#capacity *= 2;
    this.#keys = new Uint32Array(this.#capacity * 2);
    this.#offsets = new Uint32Array(this.#capacity);
    this.#lengths = new Uint16Array(this.#capacity);
    for (let old = 0; old < oldCapacity; old++) {
      const hi = oldKeys[old * 2] ?? EMPTY;
      const lo = oldKeys[old * 2 + 1] ?? EMPTY;
      if (hi === EMPTY && lo === EMPTY) continue;
      const slot = this.#find(hi, lo);
      this.#keys[slot * 2] = hi;
      this.#keys[slot * 2 + 1] = lo;
      this.#offsets[slot] = oldOffsets[old] ?? 0;
      this.#lengths[slot] = oldLengths[old] ?? 0;
    }
  }
}
