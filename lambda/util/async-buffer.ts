/**
 * A bounded hand-off between a producer and a consumer that run at their own pace: the
 * producer waits when `capacity` items are queued, so memory stays flat however far it runs
 * ahead. `close()` ends the stream for the consumer; `abandon()` is the consumer saying it
 * stopped, which releases a waiting producer and drops whatever it still pushes.
 */
export class AsyncBuffer<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #closed = false;
  #abandoned = false;
  #wakeConsumer: (() => void) | undefined;
  #wakeProducer: (() => void) | undefined;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be >= 1");
  }

  async push(item: T): Promise<void> {
    while (!this.#abandoned && this.#items.length >= this.capacity) {
      await new Promise<void>((resolve) => {
        this.#wakeProducer = resolve;
      });
    }
    if (this.#abandoned) return;
    this.#items.push(item);
    this.#wake("consumer");
  }

  close(): void {
    this.#closed = true;
    this.#wake("consumer");
  }

  abandon(): void {
    this.#abandoned = true;
    this.#items.length = 0;
    this.#wake("producer");
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.#items.shift();
      if (item !== undefined) {
        this.#wake("producer");
        yield item;
        continue;
      }
      if (this.#closed || this.#abandoned) return;
      await new Promise<void>((resolve) => {
        this.#wakeConsumer = resolve;
      });
    }
  }

  #wake(side: "consumer" | "producer"): void {
    const wake = side === "consumer" ? this.#wakeConsumer : this.#wakeProducer;
    if (side === "consumer") this.#wakeConsumer = undefined;
    else this.#wakeProducer = undefined;
    wake?.();
  }
}
