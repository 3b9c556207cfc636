// bench/results.svg, drawn by hand: wall time and peak RSS against N, log-scale N axis.
import type { BackfillResult, Results, Row } from "./results.ts";

const PANEL_W = 420;
const PANEL_H = 300;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };
const COLORS = { paysync: "#2563eb", baseline: "#ea580c", bound: "#6b7280", backfill: "#16a34a" };

interface Point {
  n: number;
  value: number;
  /** Drawn hollow with a "did not finish" label: the value is a floor, not a measurement. */
  floor?: boolean;
}

interface Series {
  label: string;
  color: string;
  points: Point[];
  dashed?: boolean;
  marker: "circle" | "square" | "tick" | "diamond";
}

const esc = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function formatN(n: number): string {
  if (n >= 1_000_000) return `${n / 1_000_000}M`;
  if (n >= 1000) return `${n / 1000}k`;
  return String(n);
}

function formatSeconds(seconds: number): string {
  if (seconds >= 1) return `${seconds} s`;
  return `${seconds * 1000} ms`;
}

function panel(
  x0: number,
  title: string,
  floorLabel: string,
  series: Series[],
  sizes: number[],
  yScale: "log" | "linear",
  yLabel: (value: number) => string,
): string {
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const values = series.flatMap((s) => s.points.map((p) => p.value)).filter((v) => v > 0);
  const minN = Math.min(...sizes);
  const maxN = Math.max(...sizes);
  const nLo = Math.log10(minN) - 0.25;
  const nHi = Math.log10(maxN) + 0.25;
  const px = (n: number) => x0 + MARGIN.left + ((Math.log10(n) - nLo) / (nHi - nLo)) * plotW;

  let yTicks: number[];
  let py: (v: number) => number;
  if (yScale === "log") {
    const lo = Math.floor(Math.log10(Math.min(...values, 1)));
    const hi = Math.ceil(Math.log10(Math.max(...values, 10)));
    yTicks = [];
    for (let e = lo; e <= hi; e += 1) yTicks.push(10 ** e);
    py = (v) => MARGIN.top + plotH - ((Math.log10(v) - lo) / (hi - lo || 1)) * plotH;
  } else {
    const max = Math.max(...values, 1) * 1.15;
    const step = niceStep(max / 5);
    const top = Math.ceil(max / step) * step;
    yTicks = [];
    for (let v = 0; v <= top + step / 2; v += step) yTicks.push(v);
    py = (v) => MARGIN.top + plotH - (v / top) * plotH;
  }

  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + PANEL_W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  );
  for (const tick of yTicks) {
    const y = py(tick).toFixed(1);
    parts.push(
      `<line x1="${x0 + MARGIN.left}" x2="${x0 + PANEL_W - MARGIN.right}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
      `<text x="${x0 + MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(yLabel(tick))}</text>`,
    );
  }
  for (const n of sizes) {
    const x = px(n).toFixed(1);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#e5e7eb"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${formatN(n)}</text>`,
    );
  }
  parts.push(
    `<rect x="${x0 + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`,
    `<text x="${x0 + MARGIN.left + plotW / 2}" y="${PANEL_H - 8}" text-anchor="middle">payments in the window (N, log scale)</text>`,
  );
  for (const s of series) {
    const pts = s.points.filter((p) => p.value > 0);
    if (pts.length > 1) {
      const d = pts.map((p) => `${px(p.n).toFixed(1)},${py(p.value).toFixed(1)}`).join(" ");
      parts.push(
        `<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""}/>`,
      );
    }
    for (const p of pts) {
      const x = px(p.n).toFixed(1);
      const y = py(p.value).toFixed(1);
      const fill = p.floor ? "white" : s.color;
      if (s.marker === "tick") {
        parts.push(
          `<line x1="${Number(x) - 7}" x2="${Number(x) + 7}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"/>`,
        );
      } else if (s.marker === "circle") {
        parts.push(
          `<circle cx="${x}" cy="${y}" r="4" fill="${fill}" stroke="${s.color}" stroke-width="2"/>`,
        );
      } else if (s.marker === "diamond") {
        const [cx, cy] = [Number(x), Number(y)];
        parts.push(
          `<polygon points="${cx},${cy - 6} ${cx + 6},${cy} ${cx},${cy + 6} ${cx - 6},${cy}" fill="${fill}" stroke="${s.color}" stroke-width="2"/>`,
        );
      } else if (s.marker === "square") {
        parts.push(
          `<rect x="${Number(x) - 4}" y="${Number(y) - 4}" width="8" height="8" fill="${fill}" stroke="${s.color}" stroke-width="2"/>`,
        );
      }
      if (p.floor) {
        parts.push(
          `<text x="${Number(x) - 8}" y="${Number(y) - 9}" text-anchor="end" fill="${s.color}">${esc(floorLabel)}</text>`,
        );
      }
    }
  }
  return parts.join("\n");
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function timeSeries(rows: Row[]): Series[] {
  const series: Series[] = [
    {
      label: "paysync",
      color: COLORS.paysync,
      marker: "circle",
      points: rows.flatMap((r) =>
        r.paysync.wallMs === null ? [] : [{ n: r.n, value: r.paysync.wallMs / 1000 }],
      ),
    },
    {
      label: "lower bound",
      color: COLORS.bound,
      marker: "tick",
      dashed: true,
      points: rows.map((r) => ({ n: r.n, value: r.paysync.boundMs / 1000 })),
    },
  ];
  const baseline = rows.filter((r) => r.baseline !== null);
  if (baseline.length > 0) {
    series.push({
      label: "seed-style baseline",
      color: COLORS.baseline,
      marker: "square",
      dashed: true,
      points: baseline.map((r) => {
        const b = r.baseline as NonNullable<Row["baseline"]>;
        return b.finished && b.wallMs !== null
          ? { n: r.n, value: b.wallMs / 1000 }
          : { n: r.n, value: b.limitMs / 1000, floor: true };
      }),
    });
  }
  return series;
}

function memorySeries(rows: Row[]): Series[] {
  const series: Series[] = [
    {
      label: "paysync",
      color: COLORS.paysync,
      marker: "circle",
      points: rows.flatMap((r) =>
        r.paysync.peakRssMiB === null ? [] : [{ n: r.n, value: r.paysync.peakRssMiB }],
      ),
    },
  ];
  const baseline = rows.filter((r) => r.baseline?.peakRssMiB != null);
  if (baseline.length > 0) {
    series.push({
      label: "seed-style baseline",
      color: COLORS.baseline,
      marker: "square",
      dashed: true,
      points: baseline.map((r) => {
        const b = r.baseline as NonNullable<Row["baseline"]>;
        return { n: r.n, value: b.peakRssMiB as number, floor: !b.finished };
      }),
    });
  }
  return series;
}

/** One point, at the backfill's N: the same axes, a week of payments instead of 80 minutes. */
function backfillSeries(
  backfill: BackfillResult | null,
  value: (b: BackfillResult) => number | null,
): Series[] {
  const v = backfill ? value(backfill) : null;
  if (!backfill || v === null) return [];
  return [
    {
      label: `backfill, ${backfill.days} days`,
      color: COLORS.backfill,
      marker: "diamond",
      points: [{ n: backfill.n, value: v }],
    },
  ];
}

function legend(series: Series[], y: number): string {
  let x = MARGIN.left;
  return series
    .map((s) => {
      const item = [
        `<line x1="${x}" x2="${x + 24}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""}/>`,
        `<text x="${x + 30}" y="${y}" dominant-baseline="middle">${esc(s.label)}</text>`,
      ].join("");
      x += 40 + s.label.length * 7;
      return item;
    })
    .join("\n");
}

export function renderChart(results: Results): string {
  const rows = [...results.rows].sort((a, b) => a.n - b.n);
  const { backfill } = results;
  const sizes = [...new Set([...rows.map((r) => r.n), ...(backfill ? [backfill.n] : [])])].sort(
    (a, b) => a - b,
  );
  const width = PANEL_W * 2;
  const height = PANEL_H + 56;
  const times = [
    ...timeSeries(rows),
    ...backfillSeries(backfill, (b) => (b.wallMs === null ? null : b.wallMs / 1000)),
  ];
  const memory = [...memorySeries(rows), ...backfillSeries(backfill, (b) => b.peakRssMiB)];
  const { machine } = results;
  const limitS = (rows.find((r) => r.baseline)?.baseline?.limitMs ?? 600_000) / 1000;
  const limit = limitS >= 60 ? `${Math.round(limitS / 60)} min` : formatSeconds(limitS);
  const caption = `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.date.slice(0, 10)}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">
<title>paysync benchmark: wall time and peak RSS against N</title>
<rect width="100%" height="100%" fill="white"/>
${panel(0, "Wall time (log scale)", `did not finish (≥ ${limit})`, times, sizes, "log", formatSeconds)}
${panel(PANEL_W, "Peak RSS, MiB (each in its own process)", "when stopped", memory, sizes, "linear", (v) => String(v))}
${legend(times, PANEL_H + 14)}
<text x="${MARGIN.left}" y="${PANEL_H + 40}" fill="#4b5563">${esc(caption)}</text>
</svg>
`;
}
