import type { ProviderName } from "../config/env-config.ts";
import type { Gateway } from "../ports/gateway.ts";
import { createRequestBudget } from "../util/request-budget.ts";
import { createRetryingHttp } from "./http/retrying-http.ts";
import { createReferenceGateway } from "./reference-gateway.ts";

export interface GatewaySettings {
  readonly provider: ProviderName;
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly concurrency: number;
  readonly maxRps: number;
}

/** Per-request timeout for the reference API: a page or a cancel is one small JSON call. */
const REFERENCE_TIMEOUT_MS = 10_000;

/** The configured gateway, with one request budget shared by every call it makes. */
export function createGateway(settings: GatewaySettings): Gateway {
  const budget = createRequestBudget({
    concurrency: settings.concurrency,
    maxRps: settings.maxRps,
  });
  const http = createRetryingHttp({ budget, timeoutMs: REFERENCE_TIMEOUT_MS });
  switch (settings.provider) {
    case "reference":
      return createReferenceGateway({ baseUrl: settings.baseUrl, apiKey: settings.apiKey, http });
  }
}
