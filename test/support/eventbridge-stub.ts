import { createServer } from "node:http";
import { listenOnLoopback } from "./loopback-server.ts";

export interface PutEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
}

/**
 * EventBridge's JSON protocol as its API reference describes `PutEvents`: a POST with
 * `X-Amz-Target: AWSEvents.PutEvents` and an `application/x-amz-json-1.1` body of
 * `{Entries}`, answered `{FailedEntryCount, Entries}` with one result per entry, in order,
 * each an `EventId` or an `ErrorCode` and `ErrorMessage`. `refuse` says which entries fail.
 */
export async function startEventBridgeStub(
  refuse: (entry: PutEntry, call: number) => string | undefined = () => undefined,
) {
  const calls: PutEntry[][] = [];
  const accepted: PutEntry[] = [];
  let ids = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.headers["x-amz-target"] !== "AWSEvents.PutEvents") {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
        res.end(
          JSON.stringify({ __type: "UnknownOperationException", message: "no such operation" }),
        );
        return;
      }
      const { Entries } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        Entries: PutEntry[];
      };
      calls.push(Entries);
      const results = Entries.map((entry) => {
        const code = refuse(entry, calls.length);
        if (code !== undefined) return { ErrorCode: code, ErrorMessage: `refused: ${code}` };
        accepted.push(entry);
        return { EventId: `event-${++ids}` };
      });
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify({
          FailedEntryCount: results.filter((r) => "ErrorCode" in r).length,
          Entries: results,
        }),
      );
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, calls, accepted, close };
}
