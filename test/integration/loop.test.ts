import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../local/bin/paysync.mjs", import.meta.url));

describe("the scheduler loop on the embedded stack (npm start)", () => {
  it("cancels the orphans on the first run only, and exits 0 on SIGINT after the run in flight", async () => {
    const child = spawn(process.execPath, [BIN, "sync"], {
      env: {
        PATH: process.env.PATH ?? "",
        SYNC_INTERVAL_SECONDS: "1",
        LOG_LEVEL: "warn",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stderr.resume();
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no third run in time; output so far:\n${stdout}`)),
        45_000,
      );
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if ((stdout.match(/^run /gm) ?? []).length >= 3) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill("SIGINT");
    expect(await exited).toBe(0);

    const runs = stdout.split(/^(?=run )/m).filter((block) => block.startsWith("run "));
    expect(runs[0]).toContain("cancelled PG12, PG14, PG16, PG19");
    expect(runs[0]).toMatch(/AMOUNT_MISMATCH\s+PG13 \(order 3\).*15000.*25000/);
    for (const later of runs.slice(1)) {
      expect(later).toContain("SUCCEEDED");
      expect(later).toContain("cancelled nothing");
    }
    expect(stdout).toContain("paysync: stopped.");
  });
});
