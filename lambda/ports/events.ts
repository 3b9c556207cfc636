import type { Finding, RunReport } from "../core/model.ts";

/** The `source` of every event paysync puts on the bus (contracts §8). */
export const EVENT_SOURCE = "paysync";

/** A cancellation that took effect or was accepted: the shop should stop waiting for its callback. */
export interface PaymentCancelledDetail {
  readonly pgUid: string;
  readonly storeOrderId: string;
  readonly amount: number;
  readonly currency: string;
  readonly runId: string;
  readonly at: string;
}

export type FindingRaisedDetail = Finding & { readonly runId: string; readonly at: string };

/** A run's report without its lists (and a backfill's without its slices). */
export type RunFinishedDetail = Omit<RunReport, "cancelled" | "findings">;

export type PaysyncEvent =
  | { readonly detailType: "Payment Cancelled"; readonly detail: PaymentCancelledDetail }
  | { readonly detailType: "Finding Raised"; readonly detail: FindingRaisedDetail }
  | { readonly detailType: "Run Finished"; readonly detail: RunFinishedDetail };

/**
 * What the shop and its people hear. At least once: a publish that fails throws, and the
 * run says so in its report, but it never undoes or holds back a cancellation.
 */
export interface Events {
  publish(events: readonly PaysyncEvent[]): Promise<void>;
}

/** `EVENT_BUS_NAME` unset: nothing is published. */
export const noEvents: Events = { publish: async () => {} };
