import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE, type Events, type PaysyncEvent } from "../ports/events.ts";

export interface EventBridgeEventsOptions {
  readonly client: Pick<EventBridgeClient, "send">;
  readonly busName: string;
  /** Attempts per entry, the first included, for entries the bus reports as failed. */
  readonly attempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** PutEvents takes at most 10 entries a call. */
const ENTRIES_PER_CALL = 10;
/** And at most 256 KiB an entry, counted over Source, DetailType and Detail in UTF-8. */
const ENTRY_LIMIT_BYTES = 256 * 1024;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/**
 * The detail as JSON, within the entry limit. Only the lists can grow past it (a duplicate's
 * `otherPgUids`, a run's `errors`); they are cut, and `truncated` says so.
 */
function detailJson(event: PaysyncEvent): string {
  const fixed = bytes(EVENT_SOURCE) + bytes(event.detailType);
  let json = JSON.stringify(event.detail);
  if (fixed + bytes(json) <= ENTRY_LIMIT_BYTES) return json;
  const detail: Record<string, unknown> = { ...event.detail, truncated: true };
  for (let keep = 512; keep >= 0; keep = Math.floor(keep / 2)) {
    for (const list of ["otherPgUids", "errors"]) {
      const value = (event.detail as Record<string, unknown>)[list];
      if (Array.isArray(value)) detail[list] = value.slice(0, keep);
    }
    json = JSON.stringify(detail);
    if (fixed + bytes(json) <= ENTRY_LIMIT_BYTES || keep === 0) return json;
  }
  return json;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Events on an EventBridge bus through `PutEvents`: ten entries a call, and the entries the
 * bus reports failed (`FailedEntryCount`, an `ErrorCode` per entry) sent again with backoff.
 * What still fails after the last attempt is thrown, naming the codes.
 */
export function createEventBridgeEvents(options: EventBridgeEventsOptions): Events {
  const attempts = options.attempts ?? 4;
  const sleep = options.sleep ?? defaultSleep;

  async function putBatch(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    let lastCodes: string[] = [];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(100 * 2 ** (attempt - 2));
      const output = await options.client.send(new PutEventsCommand({ Entries: pending }));
      if ((output.FailedEntryCount ?? 0) === 0) return;
      const results = output.Entries ?? [];
      // Results come back in request order; an entry without an ErrorCode was taken.
      const failed = pending.filter((_entry, i) => results[i]?.ErrorCode !== undefined);
      lastCodes = results.flatMap((r) => (r.ErrorCode === undefined ? [] : [r.ErrorCode]));
      // A count the entries do not explain: send them all again rather than lose one.
      pending = failed.length > 0 ? failed : pending;
    }
    throw new Error(
      `the bus ${options.busName} refused ${pending.length} event(s) after ${attempts} attempts: ${[...new Set(lastCodes)].join(", ")}`,
    );
  }

  return {
    async publish(events) {
      const entries = events.map(
        (event): PutEventsRequestEntry => ({
          EventBusName: options.busName,
          Source: EVENT_SOURCE,
          DetailType: event.detailType,
          Detail: detailJson(event),
        }),
      );
      for (let start = 0; start < entries.length; start += ENTRIES_PER_CALL) {
        await putBatch(entries.slice(start, start + ENTRIES_PER_CALL));
      }
    },
  };
}

/**
 * The events port for `EVENT_BUS_NAME`, or none. The client reads the SDK's standard
 * settings, `AWS_ENDPOINT_URL_EVENTBRIDGE` included, so a local stand-in can take the bus's
 * place (contracts §4).
 */
export function eventsForBus(
  busName: string | undefined,
): (Events & { close(): void }) | undefined {
  if (busName === undefined) return undefined;
  const client = new EventBridgeClient({});
  return { ...createEventBridgeEvents({ client, busName }), close: () => client.destroy() };
}
