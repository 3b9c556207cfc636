import { logger } from "../aws/observability.ts";
import { readEnvConfig } from "../config/env-config.ts";
import { type BackfillPlan, planBackfill } from "./backfill-steps.ts";

/**
 * The backfill's Plan state: the execution's input checked (contracts §6) and cut into slices.
 * A bad input throws `BackfillInputError`, which fails the execution here, before any request.
 */
export async function handler(event: unknown): Promise<BackfillPlan> {
  const { sync } = readEnvConfig(process.env);
  const plan = planBackfill(event, sync, Date.now());
  logger.info("backfill planned", {
    backfillId: plan.backfillId,
    window: plan.window,
    slices: plan.slices.length,
    dryRun: plan.dryRun,
    maxCancels: plan.maxCancels,
  });
  return plan;
}
