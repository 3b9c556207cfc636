import { fx, range } from "@fxts/core";
import type { Payment } from "../core/model.ts";
import { settle } from "../core/settle.ts";
import { GatewayError, ListingStopped, type ListOptions } from "../ports/gateway.ts";
import { orderedPool } from "../util/ordered-pool.ts";

export interface PageCount {
  readonly totalPages: number;
  /** Payments in the window, when the gateway says; checked against what the pages held. */
  readonly totalCount?: number;
}

/**
 * Numbered pages read concurrently, in the seed's shape: `range(1, pages + 1)` through a pool
 * of `concurrency`, yielded in page order. Each fetch is mapped to a settled outcome, because
 * a rejection inside an FxTS concurrent window can leave the other pulls hanging; after the
 * first failure nothing more is requested, and the failure is thrown in page order.
 */
export async function* numberedPages(
  count: PageCount,
  fetchPage: (page: number) => Promise<readonly Payment[]>,
  options: ListOptions,
): AsyncGenerator<readonly Payment[]> {
  let stopped = false;
  const fetch = (page: number) => {
    if (stopped) return Promise.resolve({ ok: false as const, error: new ListingStopped() });
    if (options.stop()) {
      stopped = true;
      return Promise.resolve({
        ok: false as const,
        error: new ListingStopped("the run must start no new work"),
      });
    }
    return settle(fetchPage(page));
  };
  let listed = 0;
  try {
    const pages = fx(range(1, count.totalPages + 1))
      .toAsync()
      .chain(orderedPool(options.concurrency, fetch));
    for await (const outcome of pages) {
      if (!outcome.ok) {
        stopped = true;
        throw outcome.error;
      }
      listed += outcome.value.length;
      yield outcome.value;
    }
  } finally {
    // A consumer that stops early must not leave the pool starting new requests.
    stopped = true;
  }
  // A closed window cannot change; if the pages disagree with the count, something between
  // us and the gateway is wrong, and acting on it could refund money that was kept.
  if (count.totalCount !== undefined && listed !== count.totalCount) {
    throw new GatewayError(
      `the gateway counted ${count.totalCount} payments but its pages held ${listed}`,
      false,
    );
  }
}

/** One page of a cursor listing, and the cursor that follows it (`undefined`: the last page). */
export interface CursorPage<C> {
  readonly payments: readonly Payment[];
  readonly next: C | undefined;
}

/**
 * Cursor pages read in order: each request needs the answer to the one before it. The cursor
 * lives in this generator, so the adapter keeps nothing between runs.
 */
export async function* cursorPages<C>(
  fetchPage: (cursor: C | undefined, page: number) => Promise<CursorPage<C>>,
  options: ListOptions,
): AsyncGenerator<readonly Payment[]> {
  let cursor: C | undefined;
  for (let page = 1; ; page++) {
    if (options.stop()) throw new ListingStopped("the run must start no new work");
    const { payments, next } = await fetchPage(cursor, page);
    yield payments;
    if (next === undefined) return;
    cursor = next;
  }
}
