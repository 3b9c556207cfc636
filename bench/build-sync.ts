// The sync under measurement is bundled the way the Lambda is: esbuild, ESM, tree-shaken, so
// the process carries what ships and not the tsx compiler that `npx paysync` loads besides.
import { rmSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

/** Bundles local/cli.ts into `outdir` and returns the entry file to import. */
export async function buildSync(root: string, outdir: string): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [path.join(root, "local/cli.ts")],
    outdir,
    bundle: true,
    // The embedded stack stays in chunks of its own, loaded only when a service is missing;
    // the bench points the sync at all three of its services, so they are never loaded.
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Bundled CommonJS dependencies (pg, the SDK's helpers) still call require().
    banner: {
      js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);",
    },
    // `paysync backfill` loads the CDK (to synthesize the stack's state machine) and the
    // interpreter only when it runs: left to node_modules, as the embedded stack is, rather
    // than bundled into a chunk the sync never loads. bench/.build sits inside the repo, so
    // Node resolves them from its node_modules.
    external: [
      "pg-native",
      "dynalite",
      "@electric-sql/pglite",
      "@electric-sql/pglite-socket",
      "aws-cdk-lib",
      "constructs",
      "aws-local-stepfunctions",
    ],
    logLevel: "warning",
  });
  return path.join(outdir, "cli.js");
}
