import { logger } from "../aws/observability.ts";
import { readEnvConfig } from "../config/env-config.ts";
import { type GuardedBackfill, guardBackfill } from "./backfill-steps.ts";

/** The backfill's Guard state: the blast-radius guard on the judge pass's sums. */
export async function handler(event: unknown): Promise<GuardedBackfill> {
  const { sync } = readEnvConfig(process.env);
  const guarded = guardBackfill(event, sync);
  logger[guarded.verdict === "apply" || guarded.verdict === "dry-run" ? "info" : "error"](
    "backfill guarded",
    { backfillId: guarded.backfillId, verdict: guarded.verdict, reason: guarded.reason },
  );
  return guarded;
}
