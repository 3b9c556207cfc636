import { createHash } from "node:crypto";

/**
 * The one key every attempt to cancel `pgUid` uses, from any run, on any machine. It is
 * derived, never random, so a crash or a retry can only replay the first cancel.
 * Hashing keeps it within every gateway's length limit whatever the pg_uid looks like.
 */
export function cancelIdempotencyKey(pgUid: string): string {
  const digest = createHash("sha256").update(`cancel\u0000${pgUid}`).digest("hex");
  return `paysync-cancel-${digest.slice(0, 40)}`;
}
