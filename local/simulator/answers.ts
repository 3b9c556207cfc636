// What a handler decides to answer, kept separate from node:http so the
// gateway's rules can be reasoned about (and stored for idempotent replay)
// without a socket in sight.

export interface ApiAnswer {
  readonly status: number;
  /**
   * JSON: an object for most answers, a list for some dialects' listings; `undefined` sends
   * no body at all, as a gateway does for answers its documentation gives no body.
   */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export function okAnswer(body: unknown): ApiAnswer {
  return { status: 200, body };
}

/** Every error body has the same `{ code, message }` shape. */
export function errorAnswer(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): ApiAnswer {
  const answer = { status, body: { code, message } };
  return headers ? { ...answer, headers } : answer;
}

/** A status with no body (and no content type), e.g. a 503 from in front of the API. */
export function emptyAnswer(status: number, headers?: Record<string, string>): ApiAnswer {
  return headers ? { status, body: undefined, headers } : { status, body: undefined };
}

export function invalidRequest(message: string): ApiAnswer {
  return errorAnswer(400, "INVALID_REQUEST", message);
}

export function notFound(message: string): ApiAnswer {
  return errorAnswer(404, "NOT_FOUND", message);
}
