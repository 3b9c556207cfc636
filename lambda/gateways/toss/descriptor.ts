import type { GatewayDescriptor } from "../../ports/gateway.ts";
import { errorCode } from "../http/retrying-http.ts";

/**
 * Toss answers a second cancel of one payment within about a second with this 403, before
 * looking at the key. The request did nothing; the same key may go again after the pause.
 */
export const TOSS_CONSECUTIVE_CANCEL_MS = 1_000;

/** Toss Payments v1 (https://docs.tosspayments.com/reference). */
export const tossDescriptor: GatewayDescriptor = {
  name: "toss",
  // `GET /v1/transactions`: `limit` "기본값은 100이고 최대값은 5000".
  maxPageSize: 5_000,
  // "거래 조회 API는 최대 60초까지 응답이 걸릴 수 있으니 타임아웃을 60초로 설정해주세요".
  timeoutMs: 65_000,
  transient(status, json) {
    const code = errorCode(json);
    // An earlier request under this key is still running (Idempotency-Key guide): ask again.
    if (status === 409 && code === "IDEMPOTENT_REQUEST_PROCESSING") return 0;
    // Not sooner than a second after the previous cancel of this payment; 10 % of margin
    // against clocks and queues between us and Toss.
    if (status === 403 && code === "FORBIDDEN_CONSECUTIVE_REQUEST")
      return TOSS_CONSECUTIVE_CANCEL_MS * 1.1;
    // The card company did not answer: the outcome is unknown, only the same key may ask.
    if (code === "PROVIDER_ERROR") return 0;
    return undefined;
  },
  badCredential(status, json) {
    const code = errorCode(json);
    return (
      (status === 401 && (code === undefined || code === "UNAUTHORIZED_KEY")) ||
      code === "INCORRECT_BASIC_AUTH_FORMAT"
    );
  },
};
