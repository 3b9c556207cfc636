import type { CancelRecord, ClaimRequest, ClaimResult } from "../ports/ledger.ts";

/** What a claim does once it has seen the stored record. */
export type ClaimDecision =
  | { readonly kind: "answer"; readonly result: ClaimResult }
  | { readonly kind: "giveUp"; readonly reason: string }
  | { readonly kind: "takeOver" };

/**
 * The one place that decides whether a run may call the gateway for a payment that already
 * has a record. Every ledger (DynamoDB, and the in-memory twin of the unit tests) applies it
 * to the record it read, and writes the result conditionally on that record being unchanged.
 */
export function decideClaim(record: CancelRecord, request: ClaimRequest): ClaimDecision {
  switch (record.state) {
    case "CANCELLED":
    case "ALREADY_CANCELLED":
    case "REQUESTED":
      return { kind: "answer", result: { kind: "done", state: record.state } };
    case "FAILED":
      return {
        kind: "answer",
        result: { kind: "failed", reason: record.lastError ?? "failed earlier" },
      };
    case "CLAIMED":
      break;
  }
  const leaseLive = record.leaseUntil > request.now;
  if (leaseLive && record.owner !== request.runId) {
    return {
      kind: "answer",
      result: { kind: "busy", owner: record.owner, leaseUntil: record.leaseUntil },
    };
  }
  if (record.attempts >= request.maxAttempts) {
    const previous = record.lastError ?? "no result recorded before the lease ran out";
    return { kind: "giveUp", reason: `gave up after ${record.attempts} attempts: ${previous}` };
  }
  return { kind: "takeOver" };
}
