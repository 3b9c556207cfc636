import { type ApiAnswer, errorAnswer, invalidRequest, okAnswer } from "../answers.ts";
import { MAX_PER_PAGE, parsePage, parsePerPage, parseWindow } from "../query.ts";
import {
  type Dialect,
  type DialectContext,
  type Incoming,
  parseJsonObject,
  pathId,
} from "./dialect.ts";

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const CANCEL_PATH = /^\/v1\/payments\/([^/]+)\/cancel$/;

/** The contract's reference API (contracts §1). */
export const referenceDialect: Dialect = {
  name: "reference",
  authScheme: "Bearer",

  isAuthorized(authorization, apiKey) {
    return /^Bearer +(.+)$/i.exec(authorization ?? "")?.[1] === apiKey;
  },

  error: errorAnswer,

  cancelTarget: (method, path) => pathId(CANCEL_PATH, "POST", method, path),

  route(incoming, context) {
    const { method, path } = incoming;
    if (method === "GET" && path === "/v1/payments")
      return { handle: () => list(incoming, context) };
    if (method === "GET" && path === "/v1/payments/pages" && context.pageCountEndpoint) {
      return { handle: () => pageCount(incoming, context) };
    }
    const pgUid = this.cancelTarget(method, path);
    return pgUid === undefined
      ? undefined
      : { cancelOf: pgUid, handle: () => cancel(pgUid, incoming, context) };
  },
};

function pageCount(incoming: Incoming, context: DialectContext): ApiAnswer {
  const window = parseWindow(incoming.query);
  if (!window.ok) return invalidRequest(window.message);
  const perPage = parsePerPage(incoming.query, context.defaultPerPage);
  if (!perPage.ok) return invalidRequest(perPage.message);
  const totalCount = context.ledger.count(window.value);
  return okAnswer({
    total_pages: Math.ceil(totalCount / perPage.value),
    total_count: totalCount,
    per_page: perPage.value,
  });
}

function list(incoming: Incoming, context: DialectContext): ApiAnswer {
  const window = parseWindow(incoming.query);
  if (!window.ok) return invalidRequest(window.message);
  const page = parsePage(incoming.query);
  if (!page.ok) return invalidRequest(page.message);
  const perPage = parsePerPage(incoming.query, context.defaultPerPage);
  if (!perPage.ok) return invalidRequest(perPage.message);
  // Checked after validation so a malformed read never uses up a scripted failure.
  if (context.faults.shouldFailPageRead(page.value)) {
    return errorAnswer(500, "INTERNAL", `page ${page.value} could not be read`);
  }
  return okAnswer({
    page: page.value,
    payments: context.ledger.page(window.value, page.value, perPage.value),
  });
}

function cancel(pgUid: string, incoming: Incoming, context: DialectContext): ApiAnswer {
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
  const { answer, replayed } = context.ledger.cancel(pgUid, key, new Date());
  return replayed
    ? { ...answer, headers: { ...answer.headers, "idempotent-replayed": "true" } }
    : answer;
}

export { MAX_PER_PAGE };
