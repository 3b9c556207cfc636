import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LAUNCH_FLAGS, NODE_FLAGS } from "../../lambda/config/heap-flags.ts";

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const flags = NODE_FLAGS.join(" ");

// The Lambda's NODE_OPTIONS come from the constant itself (test/infra checks the template);
// these places cannot import it, so they are held to it here.
describe("the node flags every sync process runs with", () => {
  it("are in npm start's node command", () => {
    const { scripts } = JSON.parse(repoFile("package.json")) as { scripts: { start: string } };
    expect(scripts.start).toBe(`exec node ${flags} local/bin/paysync.mjs sync`);
  });

  it("are in the paysync command's shebang", () => {
    const [shebang] = repoFile("local/bin/paysync.mjs").split("\n", 1);
    expect(shebang).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it("are added by the Lambda's exec wrapper where NODE_OPTIONS refuses them", () => {
    // Run as Lambda runs it: the wrapper, then node and node's own arguments.
    const wrapper = new URL("../../lambda/config/node-wrapper.sh", import.meta.url);
    const seen = execFileSync(
      fileURLToPath(wrapper),
      [process.execPath, "-e", "process.stdout.write(JSON.stringify(process.execArgv))", "--"],
      { encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } },
    );
    expect(JSON.parse(seen)).toEqual([...LAUNCH_FLAGS, "-e", expect.any(String)]);
    for (const flag of LAUNCH_FLAGS) {
      expect(() =>
        execFileSync(process.execPath, ["-e", "0"], {
          env: { ...process.env, NODE_OPTIONS: flag },
          stdio: "pipe",
        }),
      ).toThrow(/not allowed in NODE_OPTIONS/);
    }
  });
});
