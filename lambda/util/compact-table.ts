/**
 * A string → string table for millions of entries at about 20 bytes each plus the value,
 * kept off the JS heap: keys are stored as 64-bit hashes, values as UTF-8.
 *
 * A key collision (two keys with one 64-bit hash, odds near 1 in 10^7 at a million keys)
 * makes `get` answer for the other key. Callers must only use the answer in a direction
 * that can never move money: here, to flag a payment for a person rather than to cancel it.
 */

/** Two 32-bit lanes of a cyrb53-style hash: a 64-bit hash without BigInt. */
export function hash64(text: string): [number, number] {
  hashInto(text);
  return [hashHi, hashLo];
}

// The lanes of the last hashInto: a table probes once per payment, and a pair returned as an
// array would be one more short-lived object each time.
let hashHi = 0;
let hashLo = 0;

function hashInto(text: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  hashHi = h1 >>> 0;
  hashLo = h2 >>> 0;
}

/** The little-endian u32 at `at`, read byte by byte: cheaper than readUInt32LE in a probe loop. */
function u32At(block: Buffer, at: number): number {
  return (
    ((block[at] as number) |
      ((block[at + 1] as number) << 8) |
      ((block[at + 2] as number) << 16) |
      ((block[at + 3] as number) << 24)) >>>
    0
  );
}

// Entries live back to back in fixed blocks: [hash hi u32][hash lo u32][value length u16]
// [value bytes]. Fixed blocks grow without copying, so the table never holds two copies of
// its data at once; only the slot index is rebuilt when it fills.
const BLOCK_BITS = 20;
const BLOCK_SIZE = 1 << BLOCK_BITS;
const HEADER = 10;
const MAX_VALUE_BYTES = 0xffff;
/** Slots hold an entry's address plus one, so that 0 means empty and 2^32 - 2 is the last. */
const MAX_ADDRESS = 0xffff_fffe;

/** The hash's top byte: the slot index comes from its low bits, so this tells slots apart. */
const tagOf = (hi: number): number => hi >>> 24;

/** Stores a u32 little-endian byte by byte: cheaper than writeUInt32LE in a hot loop. */
function putU32(block: Buffer, at: number, value: number): void {
  block[at] = value & 0xff;
  block[at + 1] = (value >>> 8) & 0xff;
  block[at + 2] = (value >>> 16) & 0xff;
  block[at + 3] = value >>> 24;
}

export class CompactStringTable {
  /** The entry's address plus one. */
  #slots = new Uint32Array(1 << 10);
  /**
   * Eight more bits of each slot's hash, beside it: a probe reads an entry (a cache miss, the
   * table's whole cost at a million) only when these match, 1 time in 256 otherwise. One
   * byte a slot: 2 MiB at a million entries, where 32 bits of hash cost 8.
   */
  #tags = new Uint8Array(1 << 10);
  #blocks: Buffer[] = [];
  /** Bytes written into each block before the next one was started (the last one's: #end). */
  #filled: number[] = [];
  /** Where the next entry goes, as a global address (block × BLOCK_SIZE + offset). */
  #end = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Off-heap bytes held: the blocks and the slot index. */
  get bytes(): number {
    return this.#blocks.length * BLOCK_SIZE + this.#slots.byteLength + this.#tags.byteLength;
  }

  get(key: string): string | undefined {
    hashInto(key);
    return this.#valueAt(this.#slots[this.#find(hashHi, hashLo)] ?? 0);
  }

  /**
   * Stores the value unless the key is present. Answers the value already stored, or
   * undefined when this call stored it: one hash and one probe either way.
   */
  putIfAbsent(key: string, value: string): string | undefined {
    hashInto(key);
    const hi = hashHi;
    const lo = hashLo;
    const slot = this.#find(hi, lo);
    const existing = this.#slots[slot] ?? 0;
    if (existing !== 0) return this.#valueAt(existing);
    this.#tags[slot] = tagOf(hi);
    // Order ids and pg_uids are ASCII: copied here byte by byte, without a call into C++.
    let ascii = true;
    for (let i = 0; ascii && i < value.length; i++) if (value.charCodeAt(i) > 0x7f) ascii = false;
    const length = ascii ? value.length : Buffer.byteLength(value, "utf8");
    if (length > MAX_VALUE_BYTES)
      throw new RangeError(`value longer than ${MAX_VALUE_BYTES} bytes`);
    const address = this.#reserve(HEADER + length);
    const block = this.#block(address);
    const at = address & (BLOCK_SIZE - 1);
    putU32(block, at, hi);
    putU32(block, at + 4, lo);
    block[at + 8] = length & 0xff;
    block[at + 9] = length >>> 8;
    if (ascii) for (let i = 0; i < length; i++) block[at + HEADER + i] = value.charCodeAt(i);
    else block.write(value, at + HEADER, "utf8");
    this.#slots[slot] = address + 1;
    this.#size++;
    if (this.#size * 4 > this.#slots.length * 3) this.#grow();
    return undefined;
  }

  /** The value of the entry a slot points at (its address plus one), or undefined for 0. */
  #valueAt(slotValue: number): string | undefined {
    if (slotValue === 0) return undefined;
    const block = this.#block(slotValue - 1);
    const at = (slotValue - 1) & (BLOCK_SIZE - 1);
    const length = (block[at + 8] as number) | ((block[at + 9] as number) << 8);
    return block.toString("utf8", at + HEADER, at + HEADER + length);
  }

  #block(address: number): Buffer {
    const block = this.#blocks[address >>> BLOCK_BITS];
    if (block === undefined) throw new RangeError(`no entry at ${address}`);
    return block;
  }

  /** The address of `bytes` free bytes in one block; an entry never spans two blocks. */
  #reserve(bytes: number): number {
    // Bytes taken in the last block, counted from its start: a block filled to its last byte
    // holds BLOCK_SIZE, where masking #end would read 0 and skip the new block it needs.
    const used = this.#end - (this.#blocks.length - 1) * BLOCK_SIZE;
    if (this.#blocks.length === 0 || used + bytes > BLOCK_SIZE) {
      const start = this.#blocks.length * BLOCK_SIZE;
      if (start + BLOCK_SIZE - 1 > MAX_ADDRESS) throw new RangeError("table is full (4 GiB)");
      if (this.#blocks.length > 0) this.#filled.push(used);
      // Unzeroed, so the pages cost memory only once entries are written into them: what
      // lies past an entry is never read (#filled bounds a rebuild).
      this.#blocks.push(Buffer.allocUnsafeSlow(BLOCK_SIZE));
      this.#end = start;
    }
    const address = this.#end;
    this.#end += bytes;
    return address;
  }

  /** Linear probing: the slot holding (hi, lo), or the empty slot where it would go. */
  #find(hi: number, lo: number): number {
    const slots = this.#slots;
    const tags = this.#tags;
    const tag = tagOf(hi);
    const mask = slots.length - 1;
    let slot = (hi ^ lo) & mask;
    for (;;) {
      const address = slots[slot] as number;
      if (address === 0) return slot;
      if (tags[slot] === tag) {
        const block = this.#block(address - 1);
        const at = (address - 1) & (BLOCK_SIZE - 1);
        if (u32At(block, at + 4) === lo && u32At(block, at) === hi) return slot;
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * A slot index twice the size, rebuilt from the entries in the order they were written:
   * the blocks are read front to back, not at the random addresses the old slots point at.
   */
  #grow(): void {
    const slots = new Uint32Array(this.#slots.length * 2);
    const tags = new Uint8Array(slots.length);
    const mask = slots.length - 1;
    for (let b = 0; b < this.#blocks.length; b++) {
      const block = this.#blocks[b] as Buffer;
      const base = b * BLOCK_SIZE;
      const end = this.#filled[b] ?? this.#end - base;
      let at = 0;
      while (at < end) {
        const hi = u32At(block, at);
        const lo = u32At(block, at + 4);
        const length = (block[at + 8] as number) | ((block[at + 9] as number) << 8);
        let slot = (hi ^ lo) & mask;
        while (slots[slot] !== 0) slot = (slot + 1) & mask;
        slots[slot] = base + at + 1;
        tags[slot] = tagOf(hi);
        at += HEADER + length;
      }
    }
    this.#slots = slots;
    this.#tags = tags;
  }
}
