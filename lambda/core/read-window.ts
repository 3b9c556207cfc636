import { concurrentPool, fx, range } from "@fxts/core";
import type { Gateway, PageQuery } from "../ports/gateway.ts";
import { GatewayError } from "../ports/gateway.ts";
import { mergeSighting } from "./classify.ts";
import type { Payment } from "./model.ts";
import { type Settled, settle } from "./settle.ts";

/** The run reached its deadline before the window was read; nothing may be acted on. */
export class DeadlineReached extends Error {
  override readonly name = "DeadlineReached";
}

export interface WindowRead {
  /** Distinct payments by pg_uid. */
  readonly payments: ReadonlyMap<string, Payment>;
  readonly pages: number;
}

export interface ReadWindowOptions {
  readonly concurrency: number;
  /** True once the run must start no new work. */
  readonly pastDeadline: () => boolean;
}

/**
 * Reads the whole window, or throws. With a page count, pages are fetched through a pool of
 * `concurrency`; without one, one after another until the first short page (the seed's
 * `takeUntilInclusive`), so no request is sent past the end.
 *
 * Each fetch is mapped to a settled outcome: a rejection inside an FxTS concurrent window can
 * leave the other pulls hanging. After the first failure no further page is requested.
 */
export async function readWindow(
  gateway: Gateway,
  query: PageQuery,
  options: ReadWindowOptions,
): Promise<WindowRead> {
  const count = await gateway.pageCount(query);
  let failure: unknown;
  let pages = 0;
  let listed = 0;
  const payments = new Map<string, Payment>();

  const fetchPage = (page: number): Promise<Settled<Payment[]>> => {
    if (failure !== undefined) return Promise.resolve({ ok: false, error: failure });
    if (options.pastDeadline())
      return Promise.resolve({
        ok: false,
        error: new DeadlineReached("deadline reached while reading pages"),
      });
    return settle(gateway.page(query, page));
  };

  const take = (outcome: Settled<Payment[]>): void => {
    if (!outcome.ok) {
      failure ??= outcome.error;
      return;
    }
    pages++;
    listed += outcome.value.length;
    for (const payment of outcome.value)
      payments.set(payment.pgUid, mergeSighting(payments.get(payment.pgUid), payment));
  };

  if (count === null) {
    await fx(range(1, Number.POSITIVE_INFINITY))
      .toAsync()
      .map(fetchPage)
      .takeUntilInclusive((outcome) => !outcome.ok || outcome.value.length < query.perPage)
      .each(take);
  } else {
    await fx(range(1, count.totalPages + 1))
      .toAsync()
      .map(fetchPage)
      .chain(concurrentPool(options.concurrency))
      .each(take);
  }

  if (failure !== undefined) throw failure;
  // A closed window cannot change; if the pages disagree with the count, something between
  // us and the gateway is wrong, and acting on it could refund money that was kept.
  if (count?.totalCount !== undefined && listed !== count.totalCount) {
    throw new GatewayError(
      `the gateway counted ${count.totalCount} payments but its pages held ${listed}`,
      false,
    );
  }
  return { payments, pages };
}
