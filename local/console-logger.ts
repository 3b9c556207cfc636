import type { LogFields, Logger } from "../lambda/ports/logger.ts";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

function render(fields: LogFields | undefined): string {
  if (!fields) return "";
  return Object.entries(fields)
    .filter(([key]) => key !== "runId")
    .map(([key, value]) => ` ${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join("");
}

/** One line per event on stderr, so stdout stays free for the summary or the JSON report. */
export function createConsoleLogger(minimum: string = process.env.LOG_LEVEL ?? "info"): Logger {
  const floor = Math.max(0, LEVELS.indexOf(minimum as Level));
  const write = (level: Level) => (message: string, fields?: LogFields) => {
    if (LEVELS.indexOf(level) < floor) return;
    process.stderr.write(
      `${new Date().toISOString()} ${level.padEnd(5)} ${message}${render(fields)}\n`,
    );
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
