// Hand-written SVG charts (no browser, no dependency): multi-series line charts (latency CDFs,
// throughput vs load) and grouped bar charts (TTFT by routing policy). Output is a standalone,
// well-formed SVG document; every text is XML-escaped.

export interface Series {
  name: string;
  points: [number, number][];
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

export interface BarChartSpec {
  title: string;
  yLabel: string;
  /** Category labels along x (e.g. policies). */
  categories: string[];
  /** One bar per category per group (e.g. p50 and p99). */
  groups: { name: string; values: (number | null)[] }[];
}

const W = 720;
const H = 420;
const M = { left: 72, right: 160, top: 44, bottom: 56 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 4–6 "nice" tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo));
  const raw = (hi - lo) / target;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < hi) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  return Number(v.toPrecision(4)).toString();
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function axes(xTicks: { pos: number; label: string }[], yTicks: number[], y: (v: number) => number, xLabel: string, yLabel: string): string[] {
  const out: string[] = [];
  const x0 = M.left;
  const x1 = W - M.right;
  for (const t of yTicks) {
    out.push(`<line x1="${x0}" x2="${x1}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${x0 - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of xTicks) out.push(`<text x="${t.pos.toFixed(1)}" y="${H - M.bottom + 18}" text-anchor="middle">${escapeXml(t.label)}</text>`);
  out.push(`<line x1="${x0}" x2="${x1}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<line x1="${x0}" x2="${x0}" y1="${M.top}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${H - 14}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`);
  return out;
}

function legend(names: string[]): string[] {
  return names.flatMap((name, i) => {
    const y = M.top + 10 + i * 20;
    const x = W - M.right + 14;
    return [
      `<rect x="${x}" y="${y - 9}" width="14" height="10" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${x + 20}" y="${y}">${escapeXml(name)}</text>`,
    ];
  });
}

export function lineChart(spec: LineChartSpec): string {
  const all = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = niceTicks(Math.min(0, ...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]), 1));
  const ys = niceTicks(Math.min(0, ...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]), 1));
  const sx = (v: number) => M.left + ((v - xs[0]!) / (xs[xs.length - 1]! - xs[0]!)) * (W - M.left - M.right);
  const sy = (v: number) => H - M.bottom - ((v - ys[0]!) / (ys[ys.length - 1]! - ys[0]!)) * (H - M.top - M.bottom);
  const body = axes(xs.map((t) => ({ pos: sx(t), label: fmt(t) })), ys, sy, spec.xLabel, spec.yLabel);
  spec.series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) return;
    const color = COLORS[i % COLORS.length];
    const d = pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    body.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${d}"/>`);
    if (pts.length <= 20) for (const [x, y] of pts) body.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
  });
  body.push(...legend(spec.series.map((s) => s.name)));
  return frame(spec.title, body);
}

export function barChart(spec: BarChartSpec): string {
  const values = spec.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const ys = niceTicks(0, Math.max(...values, 1));
  const sy = (v: number) => H - M.bottom - (v / ys[ys.length - 1]!) * (H - M.top - M.bottom);
  const slot = (W - M.left - M.right) / Math.max(1, spec.categories.length);
  const barW = (slot * 0.8) / Math.max(1, spec.groups.length);
  const xTicks = spec.categories.map((c, i) => ({ pos: M.left + slot * (i + 0.5), label: c }));
  const body = axes(xTicks, ys, sy, '', spec.yLabel);
  spec.groups.forEach((g, gi) => {
    g.values.forEach((v, ci) => {
      if (v === null || !Number.isFinite(v)) return;
      const x = M.left + slot * ci + slot * 0.1 + barW * gi;
      body.push(`<rect x="${x.toFixed(1)}" y="${sy(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(H - M.bottom - sy(v)).toFixed(1)}" fill="${COLORS[gi % COLORS.length]}"/>`);
      body.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(sy(v) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${fmt(v)}</text>`);
    });
  });
  body.push(...legend(spec.groups.map((g) => g.name)));
  return frame(spec.title, body);
}
