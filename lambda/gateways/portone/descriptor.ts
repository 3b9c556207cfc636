import type { GatewayDescriptor } from "../../ports/gateway.ts";
import { stringField } from "../http/retrying-http.ts";

/** PortOne V2 (https://developers.portone.io, schema `v2.openapi.json`). */
export const portOneDescriptor: GatewayDescriptor = {
  name: "portone",
  maxPageSize: 1_000,
  // The REST overview asks clients to wait at least 60 s: a request cut off earlier still
  // runs, and only the same Idempotency-Key learns how it ended.
  timeoutMs: 65_000,
  transient(status, json) {
    // REST overview: a request under this key is still being processed; send it again.
    if (status === 409 && stringField(json, "type") === "IDEMPOTENCY_OUTSTANDING_REQUEST") return 0;
    // 502 PG_PROVIDER is a 5xx, retried with the same key like any other.
    return undefined;
  },
  badCredential: (status) => status === 401,
};
