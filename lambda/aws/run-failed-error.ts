import type { RunReport } from "../core/model.ts";

/** Errors quoted in the message; the full list is in the report, the log and the ledger. */
const QUOTED_ERRORS = 5;

/** A `FAILED` run, thrown so that Lambda records an error and its retry, DLQ and alarm apply. */
export class RunFailedError extends Error {
  override readonly name = "RunFailedError";
  constructor(readonly report: RunReport) {
    const quoted = report.errors.slice(0, QUOTED_ERRORS).map((e) => `${e.stage}: ${e.message}`);
    const more = report.errors.length - quoted.length;
    super(
      `paysync run ${report.runId} FAILED: ${quoted.join("; ") || "no error recorded"}${more > 0 ? `; and ${more} more` : ""}`,
    );
  }
}
