import type { Payment, TimeWindow } from "../core/model.ts";

export interface PageQuery {
  readonly window: TimeWindow;
  readonly perPage: number;
}

export interface PageCount {
  readonly totalPages: number;
  /** Payments in the window, when the gateway says; used to check nothing shifted while reading. */
  readonly totalCount?: number;
}

export interface CancelRequest {
  readonly pgUid: string;
  readonly idempotencyKey: string;
  readonly reason: string;
  readonly amount: number;
}

/** What the gateway finally said about a cancel. Transient trouble is thrown, not returned. */
export type CancelOutcome =
  | { readonly kind: "cancelled"; readonly cancelledAt?: string }
  | { readonly kind: "already_cancelled" }
  | { readonly kind: "rejected"; readonly code: string; readonly message: string };

/** The payment gateway, in the seed SDK's words: page count, a page, a cancel. */
export interface Gateway {
  /** `null` when the gateway cannot count: the core then reads pages until a short one. */
  pageCount(query: PageQuery): Promise<PageCount | null>;
  /** One 1-based page of the window, ordered by (paid_at, pg_uid). */
  page(query: PageQuery, page: number): Promise<Payment[]>;
  cancel(request: CancelRequest): Promise<CancelOutcome>;
  /**
   * One payment's current status (`paid`, `cancelled`, ...), or `undefined` if the gateway
   * does not know it. Optional: only gateways with a lookup endpoint have it. Used to close
   * a claim whose payment no longer shows in the listing (PortOne lists only paid ones).
   */
  paymentStatus?(pgUid: string): Promise<string | undefined>;
}

/**
 * A gateway call that did not produce an answer the core can act on.
 * `retryable` says whether the same call may succeed later (timeouts, 429, 5xx, dropped
 * connections); a malformed answer or a 4xx is not.
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}
