import type { Payment, TimeWindow } from "../core/model.ts";

export interface PageQuery {
  readonly window: TimeWindow;
  readonly perPage: number;
}

export interface ListOptions {
  /** Requests of the listing in flight at most (numbered pages only; cursors go one by one). */
  readonly concurrency: number;
  /** Checked before each request: once true, the listing throws `ListingStopped`. */
  readonly stop: () => boolean;
}

/**
 * One payment as the gateway has it right before paysync moves money. The core decides from
 * it whether to cancel (`decideBeforeCancel`), so no adapter repeats that judgement.
 */
export interface PaymentState {
  /** `paid`, `cancelled`, `partial_cancelled`, or the gateway's other statuses in lower case. */
  readonly status: string;
  /** What the gateway would still refund, in the currency's minor unit. */
  readonly cancellable: number;
  /** What was refunded already, in the currency's minor unit. */
  readonly refunded: number;
  /** A refund needs the customer's bank account, which paysync does not have (virtual accounts). */
  readonly needsRefundAccount?: boolean;
  /** The latest cancellation, when the gateway accepted one that has not succeeded (PortOne). */
  readonly cancellation?: "requested" | "failed";
  /** Why, in the gateway's words, when `cancellation` is `failed`. */
  readonly cancellationDetail?: string;
}

export interface CancelRequest {
  readonly pgUid: string;
  readonly idempotencyKey: string;
  readonly reason: string;
  /** The balance the gateway must still hold, in minor units: it refuses the cancel otherwise. */
  readonly cancellable: number;
  readonly currency: string;
}

/** What the gateway finally said about a cancel. Transient trouble is thrown, not returned. */
export type CancelOutcome =
  | { readonly kind: "cancelled"; readonly cancelledAt?: string }
  /** Accepted, not finished (PortOne `REQUESTED`): never send a second cancel for it. */
  | { readonly kind: "requested" }
  | { readonly kind: "already_cancelled" }
  | { readonly kind: "rejected"; readonly code: string; readonly message: string };

/** What the factory, the configuration and the HTTP client need to know about a gateway. */
export interface GatewayDescriptor {
  /** `PG_PROVIDER`'s value for it. */
  readonly name: string;
  /** The most payments one page may ask for (contracts §4, `PG_PAGE_SIZE`). */
  readonly maxPageSize: number;
  /** Per request; a request cut off earlier may still run at the gateway. */
  readonly timeoutMs: number;
  /**
   * Answers the gateway means as "the same request, later", beyond 429 and 5xx. A number is
   * the least wait before that retry (Toss refuses a second cancel within 1 s).
   */
  transient(status: number, json: unknown): number | undefined;
  /** Answers that say the credential itself is refused: the run stops, no payment is blamed. */
  badCredential(status: number, json: unknown): boolean;
}

/**
 * The payment gateway, in the domain's words: a window's payments, one payment's state, and
 * a cancel. Every call goes through one request budget; an adapter keeps no state across
 * calls, so a warm Lambda container holds nothing from earlier runs.
 */
export interface Gateway {
  /**
   * The window's payments, page by page, ordered by (paid_at, pg_uid). Throws if any page
   * cannot be read or the pages disagree with the gateway's own count: never half a window.
   */
  listWindow(query: PageQuery, options: ListOptions): AsyncIterable<readonly Payment[]>;
  cancel(request: CancelRequest): Promise<CancelOutcome>;
  /**
   * One payment's current state, or `undefined` if the gateway does not know it (or has no
   * lookup). Optional: only gateways with a lookup endpoint have it.
   */
  paymentStatus?(pgUid: string): Promise<PaymentState | undefined>;
}

/**
 * A gateway call that did not produce an answer the core can act on.
 * `retryable` says whether the same call may succeed later (timeouts, 429, 5xx, dropped
 * connections); a malformed answer or a 4xx is not.
 */
export class GatewayError extends Error {
  override readonly name: string = "GatewayError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The gateway refused `PG_API_KEY` itself. Nothing was done; the run stops before any cancel. */
export class GatewayCredentialError extends GatewayError {
  override readonly name = "GatewayCredentialError";
}

/** The listing stopped because the run must start no new work (its deadline). */
export class ListingStopped extends Error {
  override readonly name = "ListingStopped";
}
