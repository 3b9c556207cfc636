import { fx, range } from "@fxts/core";
import type { Gateway, PageQuery } from "../ports/gateway.ts";
import { GatewayError } from "../ports/gateway.ts";
import { AsyncBuffer } from "../util/async-buffer.ts";
import { orderedPool } from "../util/ordered-pool.ts";
import type { Payment } from "./model.ts";
import { type Settled, settle } from "./settle.ts";

/** The run reached its deadline before the window was read; nothing may be acted on. */
export class DeadlineReached extends Error {
  override readonly name = "DeadlineReached";
}

export interface WindowRead {
  readonly pages: number;
  /** Payments listed, duplicates included; checked against the gateway's own count. */
  readonly listed: number;
}

export interface ReadWindowOptions {
  readonly concurrency: number;
  /** True once the run must start no new work. */
  readonly pastDeadline: () => boolean;
  /** Takes each page in order; the next pages keep downloading while it works. */
  readonly sink: (payments: readonly Payment[]) => Promise<void>;
}

/**
 * Streams the whole window into `sink`, page by page in order, or throws. With a page count,
 * pages are fetched through a pool of `concurrency`; without one, one after another until
 * the first short page (the seed's `takeUntilInclusive`), so no request goes past the end.
 *
 * Fetching and the sink run side by side through a buffer of `2 × concurrency` pages, so
 * memory depends on page size and concurrency, never on the window. Each fetch is mapped
 * to a settled outcome, because a rejection inside an FxTS concurrent window can leave the
 * other pulls hanging; after the first failure, of a page or of the sink, nothing more is
 * requested and the failure is thrown once both sides have stopped.
 */
export async function readWindow(
  gateway: Gateway,
  query: PageQuery,
  options: ReadWindowOptions,
): Promise<WindowRead> {
  const count = await gateway.pageCount(query);
  const buffer = new AsyncBuffer<Settled<Payment[]>>(options.concurrency * 2);
  let failure: unknown;
  let pages = 0;
  let listed = 0;

  const fetchPage = (page: number): Promise<Settled<Payment[]>> => {
    if (failure !== undefined) return Promise.resolve({ ok: false, error: failure });
    if (options.pastDeadline()) {
      return Promise.resolve({
        ok: false,
        error: new DeadlineReached("deadline reached while reading pages"),
      });
    }
    return settle(gateway.page(query, page));
  };

  const produce = async (): Promise<void> => {
    const fetched =
      count === null
        ? fx(range(1, Number.POSITIVE_INFINITY))
            .toAsync()
            .map(fetchPage)
            .takeUntilInclusive((outcome) => !outcome.ok || outcome.value.length < query.perPage)
        : fx(range(1, count.totalPages + 1))
            .toAsync()
            .chain(orderedPool(options.concurrency, fetchPage))
            .takeUntilInclusive((outcome) => !outcome.ok);
    try {
      await fetched.each((outcome) => buffer.push(outcome));
    } finally {
      buffer.close();
    }
  };

  const consume = async (): Promise<void> => {
    for await (const outcome of buffer) {
      if (!outcome.ok) {
        failure ??= outcome.error;
        break;
      }
      pages++;
      listed += outcome.value.length;
      try {
        await options.sink(outcome.value);
      } catch (error) {
        failure ??= error;
        break;
      }
    }
    // Stop the producer: it sees `failure`, and a push it is waiting on is released.
    buffer.abandon();
  };

  await Promise.all([produce(), consume()]);
  if (failure !== undefined) throw failure;
  // A closed window cannot change; if the pages disagree with the count, something between
  // us and the gateway is wrong, and acting on it could refund money that was kept.
  if (count?.totalCount !== undefined && listed !== count.totalCount) {
    throw new GatewayError(
      `the gateway counted ${count.totalCount} payments but its pages held ${listed}`,
      false,
    );
  }
  return { pages, listed };
}
