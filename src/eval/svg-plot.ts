/**
 * Small self-contained SVG line plots for the reports: ticks at nice values (1, 2, 5 x 10^k), a fixed
 * y range when the caller wants several plots on one scale (values beyond it are clipped, not
 * squeezing the rest), lines broken where the data has a gap (a pause between episodes is not a
 * straight line across), the legend above the plot.
 */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Fixed axis ranges; by default the data's (y from 0 when all values are >= 0). */
  x?: [number, number];
  y?: [number, number];
  /** Consecutive points further apart than this in x are not joined. */
  gap?: number;
  /** Smallest x tick step (1 for counts such as episode numbers). */
  xStep?: number;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** 1, 2 or 5 times a power of ten, the nearest to `v` from above (round: nearest). */
export function niceNumber(v: number, round = false): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const exp = Math.floor(Math.log10(v));
  const f = v / 10 ** exp;
  const n = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10);
  return n * 10 ** exp;
}

/** About `count` ticks at nice values covering [lo, hi], and the range they span. */
export function niceTicks(lo: number, hi: number, count = 5, minStep = 0): { ticks: number[]; lo: number; hi: number; step: number } {
  if (!(hi > lo)) { hi = lo + 1; }
  const step = Math.max(niceNumber((hi - lo) / Math.max(count - 1, 1), true), minStep);
  const k0 = Math.floor(lo / step + 1e-9), k1 = Math.ceil(hi / step - 1e-9);
  // Multiples of the step, rounded to its decimals (no 0.30000000000000004, no -2.8e-17).
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const at = (k: number): number => Number((k * step).toFixed(decimals)) || 0;
  const ticks: number[] = [];
  for (let k = k0; k <= k1; k++) ticks.push(at(k));
  return { ticks, lo: at(k0), hi: at(k1), step };
}

/** A tick label with just the decimals the step needs (0.005 steps: 3 decimals). */
export function tickLabel(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const s = v.toFixed(decimals);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

let clipIds = 0;

export function linePlot({ title, xLabel, yLabel, series, width = 640, height = 240, x, y, gap = Infinity, xStep = 0 }: PlotOptions): string {
  const legendRows = series.some((s) => s.name !== '') ? 1 : 0;
  const pad = { l: 52, r: 12, t: 22 + legendRows * 14, b: 34 };
  const all = series.flatMap((s) => s.points).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const min = (v: number[], d: number): number => (v.length ? v.reduce((a, b) => Math.min(a, b)) : d);
  const max = (v: number[], d: number): number => (v.length ? v.reduce((a, b) => Math.max(a, b)) : d);
  const xr = x ?? [min(xs, 0), max(xs, 1)];
  const yData: [number, number] = [min(ys, 0), max(ys, 1)];
  const yr = y ?? [yData[0] >= 0 ? 0 : yData[0], yData[1]];
  const xt = niceTicks(xr[0], xr[1], Math.max(3, Math.round(width / 70)), xStep);
  const yt = y ? { ...niceTicks(yr[0], yr[1], 5), lo: yr[0], hi: yr[1] } : niceTicks(yr[0], yr[1], Math.max(3, Math.round(height / 60)));
  const [x0, x1] = x ? xr : [xr[0], xr[1] > xr[0] ? xr[1] : xr[0] + 1];
  const [y0, y1] = [yt.lo, yt.hi];
  const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
  const sx = (v: number): number => pad.l + ((v - x0) / Math.max(x1 - x0, 1e-12)) * w;
  const sy = (v: number): number => pad.t + h - ((v - y0) / Math.max(y1 - y0, 1e-12)) * h;
  const clip = `clip${++clipIds}`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<defs><clipPath id="${clip}"><rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}"/></clipPath></defs>`,
    `<text x="${pad.l}" y="13" font-size="12" font-weight="bold">${esc(title)}</text>`,
    ...yt.ticks.filter((v) => v >= y0 - 1e-9 && v <= y1 + 1e-9).map((v) => `<line x1="${pad.l}" x2="${pad.l + w}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#e8e8e8"/><text x="${pad.l - 5}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end">${tickLabel(v, yt.step)}</text>`),
    ...xt.ticks.filter((v) => v >= x0 - 1e-9 && v <= x1 + 1e-9).map((v) => `<line x1="${sx(v).toFixed(1)}" x2="${sx(v).toFixed(1)}" y1="${pad.t + h}" y2="${pad.t + h + 4}" stroke="#999"/><text x="${sx(v).toFixed(1)}" y="${pad.t + h + 15}" text-anchor="middle">${tickLabel(v, xt.step)}</text>`),
    `<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    `<text x="${pad.l + w / 2}" y="${height - 4}" text-anchor="middle" fill="#444">${esc(xLabel)}</text>`,
    `<text transform="translate(11 ${pad.t + h / 2}) rotate(-90)" text-anchor="middle" fill="#444">${esc(yLabel)}</text>`,
  ];
  let lx = pad.l;
  for (const s of series) {
    const pts = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    const runs: [number, number][][] = [];
    for (const p of pts) {
      const run = runs[runs.length - 1];
      if (run && p[0] - (run[run.length - 1] as [number, number])[0] <= gap) run.push(p); else runs.push([p]);
    }
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    for (const run of runs) {
      const d = run.map(([px, py], i) => `${i ? 'L' : 'M'}${sx(px).toFixed(1)} ${sy(py).toFixed(1)}`).join('');
      parts.push(run.length === 1
        ? `<circle cx="${sx((run[0] as [number, number])[0]).toFixed(1)}" cy="${sy((run[0] as [number, number])[1]).toFixed(1)}" r="1.5" fill="${s.color}" clip-path="url(#${clip})"/>`
        : `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.4"${dash} clip-path="url(#${clip})"/>`);
    }
    if (s.name === '') continue; // drawn without a legend entry
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${pad.t - 8}" y2="${pad.t - 8}" stroke="${s.color}" stroke-width="2"${dash}/><text x="${lx + 22}" y="${pad.t - 4}">${esc(s.name)}</text>`);
    lx += 30 + s.name.length * 6;
  }
  const above = ys.filter((v) => v > y1 + 1e-9).length;
  if (above > 0) parts.push(`<text x="${pad.l + w - 4}" y="${pad.t + 11}" text-anchor="end" fill="#888">${above} point${above === 1 ? '' : 's'} above ${tickLabel(y1, yt.step)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
