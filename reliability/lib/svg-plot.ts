// A dependency-free SVG line chart for the soak curve: one panel per metric, stacked, with the
// warm-up shaded and the least-squares line over the post-warm-up samples drawn dashed.
import { fitLine } from './stats.ts';

export interface Panel {
  title: string;
  unit: string;
  /** Sample positions (e.g. jobs finished) and values. */
  xs: readonly number[];
  ys: readonly number[];
}

export interface PlotOptions {
  xLabel: string;
  /** Samples with x below this are warm-up (shaded, left out of the fit). */
  warmupX?: number;
  width?: number;
  panelHeight?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number): string =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

export function renderPlot(panels: readonly Panel[], options: PlotOptions): string {
  const width = options.width ?? 900;
  const ph = options.panelHeight ?? 170;
  const m = { left: 70, right: 20, top: 28, bottom: 30 };
  const height = panels.length * ph + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  ];
  panels.forEach((panel, i) => {
    const top = i * ph;
    const x0 = m.left;
    const x1 = width - m.right;
    const y0 = top + m.top;
    const y1 = top + ph - m.bottom;
    const xs = panel.xs;
    const ys = panel.ys;
    const xmin = Math.min(...xs);
    const xmax = Math.max(...xs, xmin + 1);
    let ymin = Math.min(...ys);
    let ymax = Math.max(...ys);
    if (ymax - ymin < 1e-9) {
      ymin -= 1;
      ymax += 1;
    }
    // A nearly flat series is drawn at ±10% of its level, so noise does not look like a trend.
    const level = Math.abs((ymax + ymin) / 2);
    if (ymax - ymin < level * 0.2) {
      ymin = level * 0.9;
      ymax = level * 1.1;
    }
    const pad = (ymax - ymin) * 0.1;
    ymin = Math.max(0, ymin - pad);
    ymax += pad;
    const sx = (x: number): number => x0 + ((x - xmin) / (xmax - xmin)) * (x1 - x0);
    const sy = (y: number): number => y1 - ((y - ymin) / (ymax - ymin)) * (y1 - y0);
    out.push(`<text x="${x0}" y="${top + 16}" font-weight="bold">${esc(panel.title)} (${esc(panel.unit)})</text>`);
    if (options.warmupX !== undefined && options.warmupX > xmin) {
      const w = sx(Math.min(options.warmupX, xmax)) - x0;
      out.push(`<rect x="${x0}" y="${y0}" width="${w.toFixed(1)}" height="${y1 - y0}" fill="#eee"/>`);
      out.push(`<text x="${x0 + 4}" y="${y0 + 12}" fill="#888">warm-up</text>`);
    }
    out.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#999"/>`);
    for (const t of [0, 0.5, 1]) {
      const v = ymin + t * (ymax - ymin);
      out.push(`<text x="${x0 - 6}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
      out.push(`<line x1="${x0}" x2="${x1}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/>`);
    }
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      const v = xmin + t * (xmax - xmin);
      out.push(`<text x="${sx(v)}" y="${y1 + 14}" text-anchor="middle">${fmt(v)}</text>`);
    }
    const pts = xs.map((x, k) => `${sx(x).toFixed(1)},${sy(ys[k]!).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`);
    const after = xs
      .map((x, k) => [x, ys[k]!] as const)
      .filter(([x]) => options.warmupX === undefined || x >= options.warmupX);
    if (after.length >= 2) {
      const fit = fitLine(
        after.map(([x]) => x),
        after.map(([, y]) => y),
      );
      const ax = after[0]![0];
      const bx = after[after.length - 1]![0];
      out.push(
        `<line x1="${sx(ax)}" y1="${sy(fit.intercept + fit.slope * ax)}" x2="${sx(bx)}" y2="${sy(fit.intercept + fit.slope * bx)}" stroke="#d62728" stroke-dasharray="5,4" stroke-width="1.5"/>`,
      );
      out.push(
        `<text x="${x1}" y="${top + 16}" text-anchor="end" fill="#d62728">fit slope ${fit.slope.toExponential(2)} ${esc(panel.unit)} per ${esc(options.xLabel)}</text>`,
      );
    }
    if (i === panels.length - 1)
      out.push(`<text x="${(x0 + x1) / 2}" y="${y1 + 27}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
