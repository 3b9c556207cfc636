import type { Gateway } from "../ports/gateway.ts";
import { createRequestBudget } from "../util/request-budget.ts";
import { GATEWAY_DESCRIPTORS, type ProviderName } from "./descriptors.ts";
import { createRetryingHttp } from "./http/retrying-http.ts";
import { createPortOneGateway, type PortOneSettings } from "./portone/portone-gateway.ts";
import { createReferenceGateway } from "./reference/reference-gateway.ts";
import { createTossGateway } from "./toss/toss-gateway.ts";

export interface GatewaySettings {
  readonly provider: ProviderName;
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly concurrency: number;
  readonly maxRps: number;
  readonly portOne?: PortOneSettings;
}

/** The configured gateway, with one request budget shared by every call it makes. */
export function createGateway(settings: GatewaySettings): Gateway {
  const budget = createRequestBudget({
    concurrency: settings.concurrency,
    maxRps: settings.maxRps,
  });
  const http = createRetryingHttp({ budget, gateway: GATEWAY_DESCRIPTORS[settings.provider] });
  const { baseUrl, apiKey } = settings;
  switch (settings.provider) {
    case "reference":
      return createReferenceGateway({ baseUrl, apiKey, http });
    case "toss":
      return createTossGateway({ baseUrl, secretKey: apiKey, http });
    case "portone":
      return createPortOneGateway({ baseUrl, secret: apiKey, http, ...settings.portOne });
  }
}
