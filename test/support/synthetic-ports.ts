import type { PaidOrder, Payment } from "../../lambda/core/model.ts";
import { numberedPages } from "../../lambda/gateways/paging.ts";
import type {
  CancelOutcome,
  CancelRequest,
  Gateway,
  ListOptions,
  PageQuery,
} from "../../lambda/ports/gateway.ts";
import type { OrderStore } from "../../lambda/ports/order-store.ts";

/**
 * A gateway of `total` payments that exist only while a page is being served, so a test
 * can measure what the core holds without the dataset itself in the way. Payment i is
 * `S<i>` for order i, paid in order inside `[from, from + total ms)`.
 */
export class SyntheticGateway implements Gateway {
  cancels = 0;
  constructor(
    private readonly total: number,
    private readonly firstPaidAt: number,
    /** Called on every page request, e.g. to sample memory mid-run. */
    private readonly onPage: (page: number) => void = () => {},
  ) {}

  listWindow(query: PageQuery, options: ListOptions): AsyncIterable<readonly Payment[]> {
    const count = { totalPages: Math.ceil(this.total / query.perPage), totalCount: this.total };
    return numberedPages(count, (page) => this.page(query, page), options);
  }

  private async page(query: PageQuery, page: number): Promise<Payment[]> {
    this.onPage(page);
    const start = (page - 1) * query.perPage;
    const end = Math.min(this.total, start + query.perPage);
    const payments: Payment[] = [];
    for (let i = start; i < end; i++) {
      payments.push({
        pgUid: `S${String(i).padStart(8, "0")}`,
        storeOrderId: String(i),
        amount: 1000 + (i % 97),
        currency: "KRW",
        status: "paid",
        paidAt: this.firstPaidAt + i,
      });
    }
    return payments;
  }

  async cancel(_request: CancelRequest): Promise<CancelOutcome> {
    this.cancels++;
    return { kind: "cancelled" };
  }
}

/** The matching store: every order paid for its payment's amount, except every `orphanEvery`th. */
export class SyntheticOrderStore implements OrderStore {
  constructor(private readonly orphanEvery: number) {}

  async paidOrders(ids: readonly string[]): Promise<PaidOrder[]> {
    return ids
      .map(Number)
      .filter((i) => i % this.orphanEvery !== 0)
      .map((i) => ({ id: String(i), amount: 1000 + (i % 97) }));
  }
}
