import { EVENT_SOURCE, type Events } from "../ports/events.ts";

/** `npm start` without a bus: each event it would publish, as one line at debug level. */
export function createLoggedEvents(
  log: (line: string, fields: Record<string, unknown>) => void,
): Events {
  return {
    async publish(events) {
      for (const event of events) {
        log(`event ${event.detailType}`, { source: EVENT_SOURCE, detail: event.detail });
      }
    },
  };
}
