/** Small self-contained SVG line plots for the report. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

export function linePlot({ title, xLabel, yLabel, series, width = 640, height = 260 }: { title: string; xLabel: string; yLabel: string; series: Series[]; width?: number; height?: number }): string {
  const pad = { l: 60, r: 130, t: 28, b: 40 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const [x0, x1] = all.length ? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))] : [0, 1];
  let [y0, y1] = all.length ? [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))] : [0, 1];
  if (y1 - y0 < 1e-9) { y0 -= 1; y1 += 1; }
  const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
  const sx = (x: number): number => pad.l + ((x - x0) / Math.max(x1 - x0, 1e-9)) * w;
  const sy = (y: number): number => pad.t + h - ((y - y0) / (y1 - y0)) * h;
  const ticks = (a: number, b: number): number[] => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<text x="${pad.l}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    ...ticks(y0, y1).map((v) => `<text x="${pad.l - 6}" y="${sy(v) + 4}" text-anchor="end">${v.toPrecision(3)}</text><line x1="${pad.l}" x2="${pad.l + w}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`),
    ...ticks(x0, x1).map((v) => `<text x="${sx(v)}" y="${pad.t + h + 14}" text-anchor="middle">${v.toPrecision(3)}</text>`),
    `<text x="${pad.l + w / 2}" y="${height - 6}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(12 ${pad.t + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  series.forEach((s, i) => {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 0) {
      parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
    }
    const ly = pad.t + 12 + i * 16;
    parts.push(`<line x1="${pad.l + w + 10}" x2="${pad.l + w + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/><text x="${pad.l + w + 34}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
