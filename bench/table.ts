// The printed table and the README's Benchmark section, both from bench/results.json's shape.
import type { BackfillResult, PhaseCpu, Results, Row } from "./results.ts";

export const README_START = "<!-- bench:start (written by npm run bench) -->";
export const README_END = "<!-- bench:end -->";

function formatN(n: number): string {
  return n.toLocaleString("en-US");
}

function seconds(ms: number | null): string {
  if (ms === null) return "–";
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

function speedUp(row: Row): string {
  const b = row.baseline;
  const wall = row.paysync.wallMs;
  if (!b || wall === null || wall === 0) return "–";
  if (b.finished && b.wallMs !== null) return `${(b.wallMs / wall).toFixed(0)}×`;
  return `> ${(b.limitMs / wall).toFixed(0)}×`;
}

function baselineWall(row: Row): string {
  const b = row.baseline;
  if (!b) return "not run";
  if (b.finished) return seconds(b.wallMs);
  const limit = b.limitMs >= 60_000 ? `${Math.round(b.limitMs / 60_000)} min` : seconds(b.limitMs);
  return `did not finish (> ${limit})`;
}

function baselineRss(row: Row): string {
  const b = row.baseline;
  if (!b || b.peakRssMiB === null) return "–";
  return b.finished ? `${b.peakRssMiB} MiB` : `≥ ${b.peakRssMiB} MiB (when stopped)`;
}

function peakRss(p: { peakRssMiB: number | null; loadRssMiB: number | null }): string {
  if (p.peakRssMiB === null) return "–";
  return `${p.peakRssMiB} MiB${p.loadRssMiB === null ? "" : ` (${p.loadRssMiB} at load)`}`;
}

function cancelled(row: Row): string {
  const p = row.paysync;
  const got = p.counts?.cancelled;
  const mark = got === p.expectedCancelled && p.problems.length === 0 ? "" : " ⚠";
  return `${got ?? "?"} / ${p.expectedCancelled}${mark}`;
}

/** Markdown: readable in a terminal and pasted as is into the README. */
export function formatTable(results: Results): string {
  const header = [
    "N",
    "paysync wall",
    "lower bound",
    "wall / bound",
    "vs single run",
    "peak RSS (sync)",
    "sync CPU / payment",
    "512 MB Lambda (est.)",
    "payments/s",
    "cancelled",
    "seed-style wall",
    "seed-style peak RSS",
    "speed-up",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => " --- ").join("|")}|`];
  for (const row of [...results.rows].sort((a, b) => a.n - b.n)) {
    const p = row.paysync;
    lines.push(
      `| ${[
        formatN(row.n),
        seconds(p.wallMs),
        seconds(p.boundMs),
        p.ratio === null ? "–" : `${p.ratio.toFixed(2)}`,
        "–",
        peakRss(p),
        p.cpuUsPerPayment === null ? "–" : `${p.cpuUsPerPayment.toFixed(1)} µs`,
        seconds(p.lambda512Ms),
        p.paymentsPerSecond === null ? "–" : formatN(p.paymentsPerSecond),
        cancelled(row),
        baselineWall(row),
        baselineRss(row),
        speedUp(row),
      ].join(" | ")} |`,
    );
  }
  if (results.backfill) lines.push(backfillRow(results.backfill));
  return lines.join("\n");
}

/**
 * The backfill's row. Its cancels are the simulator's own count: the report only sums what
 * the slices said they did. No bound, no seed-style run, and no 512 MB Lambda estimate (see
 * `backfillNote`).
 */
function backfillRow(b: BackfillResult): string {
  const fine = b.effectiveCancels === b.expectedCancelled && b.problems.length === 0;
  return `| ${[
    `${formatN(b.n)}: backfill, ${b.days} days`,
    seconds(b.wallMs),
    "–",
    "–",
    b.toSingleRun === null ? "–" : `${b.toSingleRun.toFixed(2)}×`,
    peakRss(b),
    b.cpuUsPerPayment === null ? "–" : `${b.cpuUsPerPayment.toFixed(1)} µs ¹`,
    "– ¹",
    b.paymentsPerSecond === null ? "–" : formatN(b.paymentsPerSecond),
    `${b.effectiveCancels ?? "?"} / ${b.expectedCancelled} by the simulator, ${b.doubleCancels ?? "?"} twice${fine ? "" : " ⚠"}`,
    "–",
    "–",
    "–",
  ].join(" | ")} |`;
}

function backfillNote(b: BackfillResult): string {
  return (
    `¹ The backfill row is \`paysync backfill --from ${b.window.from} --to ${b.window.to} --json\` ` +
    `over N = ${formatN(b.n)} payments spread over those ${b.days} days: ${b.slices ?? "?"} slices, ` +
    "judged then applied, 4 at a time, all in one process. Its CPU / payment is that " +
    "process's CPU over N: both passes, plus loading the CDK and resolving the state " +
    "machine. The 512 MB Lambda estimate is left out: on AWS each slice is a Lambda of its " +
    "own, with its own share of a vCPU, and Step Functions' own time between states is not " +
    "in this process."
  );
}

function cpuShares(name: string, c: PhaseCpu | null): string {
  if (!c) return "";
  const share = (ms: number | null) => (ms === null ? "?" : `${Math.round((ms / c.ms) * 100)} %`);
  return (
    `; CPU while ${name} ran: sync ${share(c.sync)}, simulator ${share(c.gateway)}, ` +
    `store ${share(c.store)}, ledger ${share(c.ledger)}, other processes ${share(c.other)} of a core`
  );
}

function timeGoes(row: Row): string {
  const p = row.paysync;
  const t = p.timeline;
  const store = p.store as { statements?: number; busyMs?: number };
  const ledger = p.ledger as { operations?: number; busyMs?: number };
  return (
    `- N = ${formatN(row.n)}: pages answered by ${seconds(t.lastPageAnswered ?? null)}, ` +
    `cancels ${seconds(t.firstCancel ?? null)} → ${seconds(t.lastCancelAnswered ?? null)}, ` +
    `done at ${seconds(t.end ?? null)}; store busy ${seconds(store.busyMs ?? null)} ` +
    `(${store.statements ?? "?"} statements), ledger busy ${seconds(ledger.busyMs ?? null)} ` +
    `(${ledger.operations ?? "?"} calls)${cpuShares("pages", p.cpu.pages)}${cpuShares("cancels", p.cpu.cancels)}`
  );
}

function backfillTimeGoes(b: BackfillResult): string {
  const t = b.timeline;
  const store = b.store as { statements?: number; busyMs?: number };
  const ledger = b.ledger as { operations?: number; busyMs?: number };
  return (
    `- backfill, N = ${formatN(b.n)} over ${b.days} days: first gateway call at ${seconds(t.firstGatewayRequest ?? null)}, ` +
    `judge pass's pages answered by ${seconds(t.judgeLastPageAnswered ?? null)}, apply pass from ` +
    `${seconds(t.applyFirstPage ?? null)}, cancels ${seconds(t.firstCancel ?? null)} → ` +
    `${seconds(t.lastCancelAnswered ?? null)}, done at ${seconds(t.end ?? null)}; store busy ` +
    `${seconds(store.busyMs ?? null)} (${store.statements ?? "?"} statements), ledger busy ` +
    `${seconds(ledger.busyMs ?? null)} (${ledger.operations ?? "?"} calls)` +
    `${cpuShares("the judge pass", b.cpu.judge)}${cpuShares("the apply pass", b.cpu.apply)}`
  );
}

function generated(results: Results): string {
  const m = results.machine;
  return [
    README_START,
    "",
    formatTable(results),
    "",
    "![bench](bench/results.svg)",
    "",
    `Taken on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}, ` +
      `${m.date.slice(0, 16).replace("T", " ")} UTC. Where paysync's time went (from the start ` +
      "of `main()`, by the services' own clocks):",
    "",
    ...results.rows.map(timeGoes),
    ...(results.backfill
      ? [backfillTimeGoes(results.backfill), "", backfillNote(results.backfill)]
      : []),
    "",
    README_END,
  ].join("\n");
}

/** Replaces the generated part of the Benchmark section; adds the section if it is missing. */
export function updateReadme(readme: string, results: Results): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start !== -1 && end > start) {
    return readme.slice(0, start) + generated(results) + readme.slice(end + README_END.length);
  }
  const section = `## Benchmark\n\n\`npm run bench\`\n\n${generated(results)}\n\n`;
  const layout = readme.indexOf("## Layout");
  if (layout === -1) return `${readme.trimEnd()}\n\n${section}`;
  return readme.slice(0, layout) + section + readme.slice(layout);
}
