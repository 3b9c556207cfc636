import type { GatewayDescriptor } from "../../ports/gateway.ts";

/** The contract's reference API (contracts §1). */
export const referenceDescriptor: GatewayDescriptor = {
  name: "reference",
  maxPageSize: 100,
  timeoutMs: 10_000,
  // Contracts §1: only 429 and 5xx are transient, and the HTTP client already knows those.
  transient: () => undefined,
  badCredential: (status) => status === 401,
};
