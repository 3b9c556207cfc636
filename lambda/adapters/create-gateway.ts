import type { PortOneSettings, ProviderName } from "../config/env-config.ts";
import type { Gateway } from "../ports/gateway.ts";
import { createRequestBudget } from "../util/request-budget.ts";
import { createRetryingHttp } from "./http/retrying-http.ts";
import { createPortOneGateway, portOneIsTransient } from "./portone-gateway.ts";
import { createReferenceGateway } from "./reference-gateway.ts";
import { createTossGateway, tossIsTransient } from "./toss-gateway.ts";

export interface GatewaySettings {
  readonly provider: ProviderName;
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly concurrency: number;
  readonly maxRps: number;
  readonly portOne?: PortOneSettings;
}

/**
 * Per-request timeouts. The reference API's calls are small. Toss says a transaction
 * listing can take up to 60 s, and PortOne asks clients to wait at least 60 s for an answer
 * (a request cut off earlier still runs, and only the same key finds out how it ended).
 */
const TIMEOUT_MS: Readonly<Record<ProviderName, number>> = {
  reference: 10_000,
  toss: 65_000,
  portone: 65_000,
};

/** The configured gateway, with one request budget shared by every call it makes. */
export function createGateway(settings: GatewaySettings): Gateway {
  const budget = createRequestBudget({
    concurrency: settings.concurrency,
    maxRps: settings.maxRps,
  });
  const timeoutMs = TIMEOUT_MS[settings.provider];
  const { baseUrl, apiKey } = settings;
  switch (settings.provider) {
    case "reference":
      return createReferenceGateway({
        baseUrl,
        apiKey,
        http: createRetryingHttp({ budget, timeoutMs }),
      });
    case "toss":
      return createTossGateway({
        baseUrl,
        secretKey: apiKey,
        http: createRetryingHttp({ budget, timeoutMs, isTransient: tossIsTransient }),
      });
    case "portone":
      return createPortOneGateway({
        baseUrl,
        secret: apiKey,
        http: createRetryingHttp({ budget, timeoutMs, isTransient: portOneIsTransient }),
        orderIdField: settings.portOne?.orderIdField ?? "id",
        ...(settings.portOne?.storeId === undefined ? {} : { storeId: settings.portOne.storeId }),
      });
  }
}
