import type { Gateway, PageQuery } from "../ports/gateway.ts";
import { ListingStopped } from "../ports/gateway.ts";
import { AsyncBuffer } from "../util/async-buffer.ts";
import type { Payment } from "./model.ts";

/** The run reached its deadline before the window was read; nothing may be acted on. */
export class DeadlineReached extends Error {
  override readonly name = "DeadlineReached";
}

export interface WindowRead {
  readonly pages: number;
  readonly listed: number;
}

export interface ReadWindowOptions {
  readonly concurrency: number;
  /** True once the run must start no new work. */
  readonly pastDeadline: () => boolean;
  /** Takes each page in order; the next pages keep downloading while it works. */
  readonly sink: (payments: readonly Payment[]) => Promise<void>;
}

type Pulled =
  | { readonly ok: true; readonly page: readonly Payment[] }
  | { readonly ok: false; readonly error: unknown };

/**
 * Streams the gateway's listing of the window into `sink`, page by page in order, or throws.
 * The listing and the sink run side by side through a buffer of `2 × concurrency` pages, so
 * memory depends on page size and concurrency, never on the window. After the first failure,
 * of the listing or of the sink, nothing more is requested and the failure is thrown once
 * both sides have stopped.
 */
export async function readWindow(
  gateway: Gateway,
  query: PageQuery,
  options: ReadWindowOptions,
): Promise<WindowRead> {
  const buffer = new AsyncBuffer<Pulled>(options.concurrency * 2);
  let failure: unknown;
  let pages = 0;
  let listed = 0;

  const produce = async (): Promise<void> => {
    try {
      const listing = gateway.listWindow(query, {
        concurrency: options.concurrency,
        stop: () => failure !== undefined || options.pastDeadline(),
      });
      for await (const page of listing) {
        if (failure !== undefined) break;
        await buffer.push({ ok: true, page });
      }
    } catch (error) {
      await buffer.push({ ok: false, error });
    } finally {
      buffer.close();
    }
  };

  const consume = async (): Promise<void> => {
    for await (const pulled of buffer) {
      if (!pulled.ok) {
        failure ??= pulled.error;
        break;
      }
      pages++;
      listed += pulled.page.length;
      try {
        await options.sink(pulled.page);
      } catch (error) {
        failure ??= error;
        break;
      }
    }
    // Stop the producer: it sees `failure`, and a push it is waiting on is released.
    buffer.abandon();
  };

  await Promise.all([produce(), consume()]);
  if (failure instanceof ListingStopped) {
    throw new DeadlineReached("deadline reached while reading pages");
  }
  if (failure !== undefined) throw failure;
  return { pages, listed };
}
