import { type ApiAnswer, errorAnswer, invalidRequest, okAnswer } from "../answers.ts";
import type { SimPayment } from "../dataset.ts";
import { parsePage, parsePerPage, parseWindow } from "../query.ts";
import {
  type Dialect,
  type DialectSetup,
  type Incoming,
  parseJsonObject,
  pathId,
} from "./dialect.ts";

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const CANCEL_PATH = /^\/v1\/payments\/([^/]+)\/cancel$/;

/** The contract's reference API (contracts §1). */
export function createReferenceDialect(setup: DialectSetup): Dialect {
  const cancelTarget = (method: string, path: string) => pathId(CANCEL_PATH, "POST", method, path);
  return {
    name: "reference",

    authorize(authorization) {
      if (/^Bearer +(.+)$/i.exec(authorization ?? "")?.[1] === setup.apiKey) return undefined;
      return errorAnswer(401, "UNAUTHORIZED", "missing or invalid API key", {
        "www-authenticate": "Bearer",
      });
    },

    unrouted: (incoming) =>
      errorAnswer(404, "NOT_FOUND", `no route for ${incoming.method} ${incoming.path}`),

    faultAnswer(action, retryAfterSeconds) {
      switch (action) {
        case "429":
          return errorAnswer(429, "RATE_LIMITED", "too many requests", {
            "retry-after": String(retryAfterSeconds),
          });
        case "503":
          return errorAnswer(503, "UNAVAILABLE", "service temporarily unavailable");
        case "500":
          return errorAnswer(500, "INTERNAL", "internal error");
        case "provider-error":
        case "pg-provider":
          return undefined;
      }
    },

    // The contract's key belongs to one payment, so a reuse for another is detected rather
    // than scoped away; there is no in-flight refusal either (contracts §1 has none).
    idempotencyScope: () => undefined,

    cancelTarget,

    route(incoming) {
      const { method, path } = incoming;
      if (method === "GET" && path === "/v1/payments")
        return { handle: () => list(incoming, setup) };
      if (method === "GET" && path === "/v1/payments/pages" && setup.pageCountEndpoint) {
        return { handle: () => pageCount(incoming, setup) };
      }
      const pgUid = cancelTarget(method, path);
      return pgUid === undefined
        ? undefined
        : { cancelOf: pgUid, handle: () => cancel(pgUid, incoming, setup) };
    },
  };
}

/** The contract's payment object: the simulator's own fields stay out of it. */
function wirePayment(p: SimPayment): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    pg_uid: p.pg_uid,
    store_order_id: p.store_order_id,
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    paid_at: p.paid_at,
  };
  if (p.cancelled_at !== undefined) wire.cancelled_at = p.cancelled_at;
  return wire;
}

function pageCount(incoming: Incoming, setup: DialectSetup): ApiAnswer {
  const window = parseWindow(incoming.query);
  if (!window.ok) return invalidRequest(window.message);
  const perPage = parsePerPage(incoming.query, setup.defaultPerPage);
  if (!perPage.ok) return invalidRequest(perPage.message);
  const totalCount = setup.ledger.count(window.value);
  return okAnswer({
    total_pages: Math.ceil(totalCount / perPage.value),
    total_count: totalCount,
    per_page: perPage.value,
  });
}

function list(incoming: Incoming, setup: DialectSetup): ApiAnswer {
  const window = parseWindow(incoming.query);
  if (!window.ok) return invalidRequest(window.message);
  const page = parsePage(incoming.query);
  if (!page.ok) return invalidRequest(page.message);
  const perPage = parsePerPage(incoming.query, setup.defaultPerPage);
  if (!perPage.ok) return invalidRequest(perPage.message);
  // Checked after validation so a malformed read never uses up a scripted failure.
  if (setup.faults.shouldFailPageRead(page.value)) {
    return errorAnswer(500, "INTERNAL", `page ${page.value} could not be read`);
  }
  return okAnswer({
    page: page.value,
    payments: setup.ledger.page(window.value, page.value, perPage.value).map(wirePayment),
  });
}

function cancel(pgUid: string, incoming: Incoming, setup: DialectSetup): ApiAnswer {
  const key = incoming.idempotencyKey;
  if (key === undefined || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return invalidRequest(
      `Idempotency-Key header of 1..${MAX_IDEMPOTENCY_KEY_LENGTH} characters is required`,
    );
  }
  // Validated before the key lookup: a malformed request is rejected, never stored, so
  // fixing the body and retrying with the same key still works.
  const body = parseJsonObject(incoming.body);
  if (typeof body === "string") return invalidRequest(body);
  if (typeof body.reason !== "string" || body.reason.trim() === "") {
    return invalidRequest("reason must be a non-empty string");
  }
  const { answer, replayed } = setup.ledger.cancel({
    pgUid,
    scope: key,
    now: new Date(),
    reason: body.reason,
  });
  return replayed
    ? { ...answer, headers: { ...answer.headers, "idempotent-replayed": "true" } }
    : answer;
}
