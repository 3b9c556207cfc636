import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { ApiAnswer } from "./answers.ts";

/** Resolves undefined when the body exceeds `limitBytes` (the rest is discarded). */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    req.on("end", () =>
      resolve(size <= limitBytes ? Buffer.concat(chunks).toString("utf8") : undefined),
    );
    req.on("error", reject);
  });
}

export function sendAnswer(res: ServerResponse, answer: ApiAnswer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, { ...answer.headers, "content-length": 0 });
    res.end();
    return;
  }
  const payload = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...answer.headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
  });
  res.end(payload);
}

/** Simulates a connection lost mid-request: the client sees no status at all. */
export function dropConnection(req: IncomingMessage): void {
  req.socket.destroy();
}

/** Waits unless the simulator is closing, in which case it rejects at once. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms > 0) await delay(ms, undefined, { signal });
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}
