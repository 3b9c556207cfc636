/**
 * Runs `work` over `source` with up to `concurrency` calls in flight and yields the results
 * in source order. A new call starts as soon as the oldest result is taken, so at most
 * `concurrency` results are ever held.
 *
 * Written here because FxTS 1.28's `concurrentPool` keeps every result it has produced
 * (measured: 2,000 pages of 100 rows stay reachable until the pipeline ends), and its
 * `concurrent` works in batches, so one slow request (a 429 waiting out its Retry-After)
 * holds back the whole batch. `work` must not reject: pass settled outcomes.
 */
export function orderedPool<A, B>(
  concurrency: number,
  work: (item: A) => Promise<B>,
): (source: AsyncIterable<A>) => AsyncIterableIterator<B> {
  if (!(concurrency >= 1)) throw new RangeError("concurrency must be >= 1");
  return async function* pool(source) {
    const iterator = source[Symbol.asyncIterator]();
    const inFlight: Promise<B>[] = [];
    let exhausted = false;
    for (;;) {
      while (!exhausted && inFlight.length < concurrency) {
        const next = await iterator.next();
        if (next.done) exhausted = true;
        else inFlight.push(work(next.value));
      }
      const oldest = inFlight.shift();
      if (oldest === undefined) return;
      yield await oldest;
    }
  };
}
