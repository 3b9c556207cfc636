import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import {
  ASSET_RESOURCE_METADATA_ENABLED_CONTEXT,
  BUNDLING_STACKS,
  PATH_METADATA_ENABLE_CONTEXT,
} from "aws-cdk-lib/cx-api";
import { createPaysyncApp } from "../../infra/paysync-app.ts";

/** The context `cdk synth` starts from: cdk.json's, defaults and feature flags included. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../cdk.json", import.meta.url), "utf8"),
).context;

export interface Synthesized {
  readonly template: Template;
  readonly assemblyDirectory: string;
  readonly stack: ReturnType<typeof createPaysyncApp>["stack"];
}

/**
 * Synthesizes the app the way `cdk synth` does, cdk-nag included: a nag violation throws here.
 * `bundle: false` skips esbuild for tests that only look at the template's shape.
 */
export function synth(
  context: Record<string, unknown> = {},
  { bundle = true }: { bundle?: boolean } = {},
): Synthesized {
  const { app, stack } = createPaysyncApp({
    context: {
      // What the CDK CLI adds, so the template is the one `cdk synth` writes.
      [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
      [PATH_METADATA_ENABLE_CONTEXT]: true,
      ...CDK_JSON_CONTEXT,
      ...context,
      ...(bundle ? {} : { [BUNDLING_STACKS]: [] }),
    },
  });
  const assembly = app.synth();
  return {
    template: Template.fromJSON(assembly.getStackByName(stack.stackName).template),
    assemblyDirectory: assembly.directory,
    stack,
  };
}

/** Every violation cdk-nag (or any validation plugin) reported, acknowledged ones excluded. */
export function validationViolations(assemblyDirectory: string): unknown[] {
  const report = JSON.parse(
    readFileSync(join(assemblyDirectory, "validation-report.json"), "utf8"),
  ) as { pluginReports: Array<{ violations?: unknown[] }> };
  return report.pluginReports.flatMap((plugin) => plugin.violations ?? []);
}

const ASSET_HASH = /[0-9a-f]{64}/g;

/**
 * The template without what changes whenever any code changes (asset hashes) or the CDK
 * version does (CDKMetadata), so the snapshot moves only when the infrastructure does.
 */
export function normalised(template: Template): unknown {
  const json = structuredClone(template.toJSON()) as {
    Resources: Record<string, unknown>;
    Conditions?: Record<string, unknown>;
  };
  delete json.Resources.CDKMetadata;
  if (json.Conditions) delete json.Conditions.CDKMetadataAvailable;
  return JSON.parse(JSON.stringify(json).replace(ASSET_HASH, "<asset-hash>"));
}
