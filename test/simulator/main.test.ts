import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";

const MAIN = fileURLToPath(new URL("../../local/simulator/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function startMain(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    stdio: "pipe",
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return child;
}

/** Resolves with stdout once it contains `pattern`'s match. */
function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = pattern.exec(output);
      if (match) resolve(match);
    });
    child.once("exit", (code) =>
      reject(new Error(`exited with ${code} before printing ${pattern}: ${output}`)),
    );
  });
}

describe("main.ts", () => {
  it("serves the seed with the CLI options, prints url and key, and exits cleanly on SIGTERM", async () => {
    const child = startMain(["--port", "0", "--per-page", "4"]);
    const match = await waitForOutput(
      child,
      /listening on (http:\/\/127\.0\.0\.1:\d+)\napi key: (\S+)\n/,
    );
    const [, url, apiKey] = match;
    expect(apiKey).toBe("sim_test_key");

    const now = Date.now();
    const window = new URLSearchParams({
      from: new Date(now - 7_200_000).toISOString(),
      to: new Date(now).toISOString(),
    });
    const response = await fetch(`${url}/v1/payments/pages?${window}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(await response.json()).toEqual({ total_pages: 3, total_count: 9, per_page: 4 });

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  }, 20_000);

  it("fails with a message for an invalid dataset", async () => {
    const child = startMain(["--dataset", "/nonexistent/pg-sim.json"]);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(stderr).toContain("/nonexistent/pg-sim.json");
  }, 20_000);
});
