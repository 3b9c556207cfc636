import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HEAP_FLAGS } from "../../lambda/config/heap-flags.ts";

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const flags = HEAP_FLAGS.join(" ");

// The Lambda's NODE_OPTIONS come from the constant itself (test/infra checks the template);
// these two places cannot import it, so they are held to it here.
describe("the heap flags every sync process runs with", () => {
  it("are in npm start's node command", () => {
    const { scripts } = JSON.parse(repoFile("package.json")) as { scripts: { start: string } };
    expect(scripts.start).toBe(`exec node ${flags} local/bin/paysync.mjs sync`);
  });

  it("are in the paysync command's shebang", () => {
    const [shebang] = repoFile("local/bin/paysync.mjs").split("\n", 1);
    expect(shebang).toBe(`#!/usr/bin/env -S node ${flags}`);
  });
});
