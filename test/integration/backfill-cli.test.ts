import { afterEach, describe, expect, it } from "vitest";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { runCli } from "../support/cli.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";

/** `npx paysync backfill` (contracts §5), as an operator runs it, over real services. */

const MINUTE = 60_000;
let services: Services | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
});

/**
 * Three days up to just outside the grace period, in day-long slices: it holds all nine seed
 * payments, in the last slice.
 */
const window = () => {
  const to = Math.floor((Date.now() - 31 * MINUTE) / MINUTE) * MINUTE;
  return [
    "--slice-minutes",
    "1440",
    "--from",
    new Date(to - 3 * 1440 * MINUTE).toISOString(),
    "--to",
    new Date(to).toISOString(),
  ];
};

const cancelPosts = (s: Services) => s.simulator.requests.filter((r) => r.method === "POST").length;

describe("paysync backfill", () => {
  it("cancels each orphan once, prints one JSON report, and a rerun is a no-op", async () => {
    services = await startServices();
    const args = ["backfill", ...window(), "--json"];
    const first = await runCli(args, services.env);
    expect(first.stderr).not.toMatch(/backfill failed/);
    expect(first.code).toBe(0);
    const report = JSON.parse(first.stdout);
    expect(first.stdout.trim().split("\n")).toHaveLength(1);
    expect(report).toMatchObject({ status: "SUCCEEDED", dryRun: false });
    expect(report.slices).toHaveLength(3);
    expect([...report.cancelled].sort()).toEqual([...SEED_EXPECTED.cancelled]);
    expect(report.findings).toEqual([
      expect.objectContaining({ kind: "AMOUNT_MISMATCH", pgUid: SEED_EXPECTED.mismatch.pgUid }),
    ]);
    expect(effectiveCancels(services)).toEqual(
      Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1])),
    );

    const again = await runCli(args, services.env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "SUCCEEDED", cancelled: [] });
    expect(cancelPosts(services)).toBe(SEED_EXPECTED.cancelled.length);
  });

  it("halts with exit 2 and no cancel request when the sums pass --max-cancels", async () => {
    services = await startServices();
    const result = await runCli(
      ["backfill", ...window(), "--max-cancels", "3", "--json"],
      services.env,
    );
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report.status).toBe("HALTED");
    expect(report.counts).toMatchObject({ orphans: 4, cancelled: 0 });
    expect(cancelPosts(services)).toBe(0);
  });

  it("--dry-run sends no cancel, and says what it would cancel", async () => {
    services = await startServices();
    const result = await runCli(["backfill", ...window(), "--dry-run"], services.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^backfill \S+ {2}SUCCEEDED \(dry run\)/);
    expect(result.stdout.match(/WOULD_CANCEL/g)).toHaveLength(4);
    expect(cancelPosts(services)).toBe(0);
  });

  it("refuses a bad window or argument with exit 64, before any request", async () => {
    services = await startServices();
    const now = Date.now();
    const cases = [
      [
        [
          "backfill",
          "--from",
          new Date(now - 86_400_000).toISOString(),
          "--to",
          new Date(now).toISOString(),
        ],
        /grace period/,
      ],
      [["backfill", "--from", "2026-01-01"], /--from and --to are required/],
      [
        ["backfill", ...window(), "--slice-minutes", "ten"],
        /--slice-minutes: expected a whole number/,
      ],
      [
        ["backfill", "--from", "2025-01-01T00:00:00Z", "--to", "2026-11-01T00:00:00Z"],
        /longer than 366 days/,
      ],
      [["backfill", ...window(), "--cancel-all"], /Unknown option '--cancel-all'/],
    ] as const;
    for (const [args, message] of cases) {
      const result = await runCli(args, services.env);
      expect(result.code, args.join(" ")).toBe(64);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe("");
    }
    expect(services.simulator.requests).toHaveLength(0);
  });

  it("--help describes the command and exits 0", async () => {
    const result = await runCli(["backfill", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("paysync backfill --from ISO --to ISO");
    expect(result.stdout).toContain("2 halted");
  });
});
