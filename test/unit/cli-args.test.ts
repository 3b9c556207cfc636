import { describe, expect, it } from "vitest";
import { parseCliArgs, USAGE, UsageError } from "../../local/cli-args.ts";

function usageErrorOf(argv: string[]): UsageError {
  let caught: unknown;
  try {
    parseCliArgs(argv);
  } catch (error) {
    caught = error;
  }
  expect(caught, argv.join(" ")).toBeInstanceOf(UsageError);
  expect((caught as UsageError).name).toBe("UsageError");
  return caught as UsageError;
}

const FROM = "2026-11-23T00:00:00Z";
const TO = "2026-11-24T00:00:00Z";

describe("parseCliArgs", () => {
  it("reads the scheduler loop: plain sync", () => {
    expect(parseCliArgs(["sync"])).toEqual({ once: false, dryRun: false, json: false });
  });

  it("reads sync --once --json", () => {
    expect(parseCliArgs(["sync", "--once", "--json"])).toEqual({
      once: true,
      dryRun: false,
      json: true,
    });
    // flag order does not matter
    expect(parseCliArgs(["--json", "--once", "sync"])).toEqual({
      once: true,
      dryRun: false,
      json: true,
    });
  });

  it("reads --dry-run", () => {
    expect(parseCliArgs(["sync", "--once", "--dry-run"])).toEqual({
      once: true,
      dryRun: true,
      json: false,
    });
  });

  it("reads --from/--to into an explicit window", () => {
    const args = parseCliArgs(["sync", "--once", "--from", FROM, "--to", TO]);
    expect(args.window).toEqual({ from: Date.UTC(2026, 10, 23), to: Date.UTC(2026, 10, 24) });
    const withEquals = parseCliArgs([
      "sync",
      "--once",
      "--from=2026-11-23T09:00:00+09:00",
      "--to=2026-11-24T00:00:00.000Z",
    ]);
    expect(withEquals.window).toEqual({ from: Date.UTC(2026, 10, 23), to: Date.UTC(2026, 10, 24) });
  });

  it("leaves the window out when neither --from nor --to is given", () => {
    const args = parseCliArgs(["sync", "--once"]);
    expect(args.window).toBeUndefined();
    expect("window" in args).toBe(false);
    expect("maxCancels" in args).toBe(false);
  });

  it("reads --max-cancels", () => {
    expect(parseCliArgs(["sync", "--once", "--max-cancels", "250"]).maxCancels).toBe(250);
    expect(parseCliArgs(["sync", "--once", "--max-cancels=0"]).maxCancels).toBe(0);
    expect(parseCliArgs(["sync", "--once", "--max-cancels", "1000000"]).maxCancels).toBe(1_000_000);
  });

  it("reads everything together", () => {
    expect(
      parseCliArgs([
        "sync",
        "--once",
        "--dry-run",
        "--json",
        "--from",
        FROM,
        "--to",
        TO,
        "--max-cancels",
        "3",
      ]),
    ).toEqual({
      once: true,
      dryRun: true,
      json: true,
      window: { from: Date.UTC(2026, 10, 23), to: Date.UTC(2026, 10, 24) },
      maxCancels: 3,
    });
  });
});

describe("parseCliArgs errors", () => {
  it("rejects an unknown flag", () => {
    expect(usageErrorOf(["sync", "--once", "--force"]).message).toContain("--force");
    usageErrorOf(["sync", "--once", "-x"]);
  });

  it("rejects a missing or unknown command", () => {
    expect(usageErrorOf([]).message).toMatch(/missing command/);
    expect(usageErrorOf(["--once"]).message).toMatch(/missing command/);
    expect(usageErrorOf(["run", "--once"]).message).toMatch(/unknown command/);
    expect(usageErrorOf(["sync", "extra"]).message).toMatch(/unknown command/);
  });

  it("rejects --from without --to and the reverse", () => {
    expect(usageErrorOf(["sync", "--once", "--from", FROM]).message).toMatch(/together/);
    expect(usageErrorOf(["sync", "--once", "--to", TO]).message).toMatch(/together/);
  });

  it("rejects a bad timestamp and names the flag", () => {
    expect(usageErrorOf(["sync", "--once", "--from", "2026-11-23", "--to", TO]).message).toMatch(
      /--from/,
    );
    expect(
      usageErrorOf(["sync", "--once", "--from", FROM, "--to", "2026-11-24T00:00:00"]).message,
    ).toMatch(/--to/);
    usageErrorOf(["sync", "--once", "--from", "yesterday", "--to", "today"]);
  });

  it("rejects a value-less --from/--to/--max-cancels", () => {
    usageErrorOf(["sync", "--once", "--from"]);
    usageErrorOf(["sync", "--once", "--max-cancels"]);
  });

  it("rejects a bad --max-cancels", () => {
    for (const bad of ["abc", "1.5", "", "1000001", "1e3"]) {
      expect(usageErrorOf(["sync", "--once", `--max-cancels=${bad}`]).message).toMatch(
        /--max-cancels/,
      );
    }
    usageErrorOf(["sync", "--once", "--max-cancels=-1"]);
    usageErrorOf(["sync", "--once", "--max-cancels", "-1"]);
  });

  it("rejects run-only flags without --once", () => {
    for (const argv of [
      ["sync", "--dry-run"],
      ["sync", "--json"],
      ["sync", "--from", FROM, "--to", TO],
      ["sync", "--max-cancels", "5"],
    ]) {
      expect(usageErrorOf(argv).message).toMatch(/--once/);
    }
  });

  it("rejects a boolean flag given a value", () => {
    usageErrorOf(["sync", "--once=yes"]);
  });

  it("documents every flag it accepts in USAGE", () => {
    for (const flag of ["--once", "--dry-run", "--from", "--to", "--max-cancels", "--json"]) {
      expect(USAGE).toContain(flag);
    }
  });
});
