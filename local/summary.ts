import type { RunReport } from "../lambda/core/model.ts";

const time = (iso: string) => iso.replace("T", " ").replace(/\.\d+Z$/, "Z");

/** The run report, for a person: what was scanned, cancelled and flagged, and why. */
export function formatSummary(report: RunReport): string {
  const c = report.counts;
  const lines = [
    `run ${report.runId}  ${report.status}${report.dryRun ? " (dry run)" : ""}  ${report.durationMs} ms`,
    `  window    ${time(report.window.from)} → ${time(report.window.to)}`,
    `  scanned   ${c.scanned} payments: ${c.matched} matched, ${c.orphans} orphans, ${c.mismatches} mismatches, ` +
      `${c.duplicates} duplicates, ${c.inGrace} in grace, ${c.ignored} ignored`,
  ];
  if (report.cancelled.length > 0) {
    lines.push(
      `  cancelled ${report.cancelled.join(", ")}  (paid at the gateway, no paid order in the store)` +
        (c.alreadyCancelled > 0
          ? `; ${c.alreadyCancelled} were already cancelled at the gateway`
          : ""),
    );
  } else if (report.status === "SUCCEEDED" && !report.dryRun) {
    lines.push("  cancelled nothing");
  }
  for (const f of report.findings) {
    lines.push(
      `  ${f.kind.padEnd(17)} ${f.pgUid} (order ${f.storeOrderId})${f.reason ? `: ${f.reason}` : ""}`,
    );
  }
  for (const e of report.errors) {
    lines.push(`  error     [${e.stage}]${e.pgUid ? ` ${e.pgUid}` : ""} ${e.message}`);
  }
  if (report.truncated) lines.push("  (lists cut at 1,000 entries)");
  return lines.join("\n");
}
