import type { Payment } from "../../lambda/core/model.ts";
import type { Gateway, ListOptions, PageQuery } from "../../lambda/ports/gateway.ts";

/** A listing that is never told to stop. */
export const LIST: ListOptions = { concurrency: 4, stop: () => false };

/** Every page of the window, in order. */
export async function listPages(
  gateway: Gateway,
  query: PageQuery,
  options: ListOptions = LIST,
): Promise<(readonly Payment[])[]> {
  const pages: (readonly Payment[])[] = [];
  for await (const page of gateway.listWindow(query, options)) pages.push(page);
  return pages;
}

/** Every payment of the window, in order. */
export async function listAll(gateway: Gateway, query: PageQuery): Promise<Payment[]> {
  return (await listPages(gateway, query)).flat();
}

/** The listing's first page; nothing after it is asked for. */
export async function firstPage(gateway: Gateway, query: PageQuery): Promise<readonly Payment[]> {
  for await (const page of gateway.listWindow(query, { concurrency: 1, stop: () => false })) {
    return page;
  }
  return [];
}

/** A cancel request as the core sends it. */
export const cancelOf = (
  pgUid: string,
  idempotencyKey = `key-${pgUid}`,
  cancellable = 15000,
  currency = "KRW",
) => ({
  pgUid,
  idempotencyKey,
  reason: "paysync: payment has no paid order in the store",
  cancellable,
  currency,
});
