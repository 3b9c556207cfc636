/**
 * Busy time of a service: how long at least one operation was in flight (the union of the
 * intervals), plus the plain count and summed duration, and the first and last activity.
 */
export class BusyMeter {
  #inFlight = 0;
  #maxInFlight = 0;
  #busySince = 0;
  #busyMs = 0;
  #sumMs = 0;
  #count = 0;
  #first: number | null = null;
  #last: number | null = null;

  /** Marks an operation's start; call the returned function once when it ends. */
  start(): () => void {
    const began = performance.now();
    if (this.#inFlight === 0) this.#busySince = began;
    this.#inFlight += 1;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inFlight);
    this.#count += 1;
    this.#first ??= Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const now = performance.now();
      this.#sumMs += now - began;
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#busyMs += now - this.#busySince;
      this.#last = Date.now();
    };
  }

  stats(): {
    operations: number;
    busyMs: number;
    summedMs: number;
    maxInFlight: number;
    firstAt: number | null;
    lastAt: number | null;
  } {
    return {
      operations: this.#count,
      busyMs: Math.round(this.#busyMs),
      summedMs: Math.round(this.#sumMs),
      maxInFlight: this.#maxInFlight,
      firstAt: this.#first,
      lastAt: this.#last,
    };
  }
}
