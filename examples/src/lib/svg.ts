/**
 * @file Small SVG pictures with no dependencies: a line chart (loss curves) and a grid of
 * heatmaps (attention weights per head, tokens on the axes). Text is escaped; output is a
 * string for writeFileAtomic.
 */

/** One named series of (x, y) points. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color: string;
}

const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number) => (Math.abs(v) >= 100 || v === 0 ? v.toFixed(0) : v.toPrecision(3));

/** A line chart of several series with axes, ticks and a legend. */
export function lineChart(title: string, xLabel: string, yLabel: string, series: readonly Series[], width = 720, height = 420): string {
  const pad = { left: 64, right: 20, top: 40, bottom: 50 };
  const all = series.flatMap((s) => s.points);
  const [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  const sx = (x: number) => pad.left + ((x - x0) / (x1 - x0 || 1)) * (width - pad.left - pad.right);
  const sy = (y: number) => height - pad.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - pad.top - pad.bottom);
  const ticks = (lo: number, hi: number, whole = false) =>
    Array.from({ length: 6 }, (_, i) => lo + ((hi - lo) * i) / 5).map((t) => (whole && hi - lo >= 5 ? Math.round(t) : t));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    ...ticks(x0, x1, true).map((t) => `<line x1="${sx(t)}" y1="${height - pad.bottom}" x2="${sx(t)}" y2="${height - pad.bottom + 5}" stroke="#333"/><text x="${sx(t)}" y="${height - pad.bottom + 18}" text-anchor="middle">${fmt(t)}</text>`),
    ...ticks(y0, y1).map((t) => `<line x1="${pad.left}" y1="${sy(t)}" x2="${width - pad.right}" y2="${sy(t)}" stroke="#eee"/><text x="${pad.left - 8}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`),
    `<rect x="${pad.left}" y="${pad.top}" width="${width - pad.left - pad.right}" height="${height - pad.top - pad.bottom}" fill="none" stroke="#333"/>`,
    `<text x="${width / 2}" y="${height - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${height / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    ...series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(" ")}"/>`),
    // Sparse series (e.g. periodic validation) also get a marker per point.
    ...series.filter((s) => s.points.length <= 60).flatMap((s) => s.points.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`)),
    ...series.map((s, i) => `<rect x="${width - pad.right - 150}" y="${pad.top + 10 + 18 * i}" width="12" height="3" fill="${s.color}"/><text x="${width - pad.right - 132}" y="${pad.top + 15 + 18 * i}">${esc(s.name)}</text>`),
    `</svg>`,
  ];
  return parts.join("\n");
}

/** One heatmap: a matrix of values in [0, 1] with row and column labels. */
export interface Heatmap {
  title: string;
  rows: readonly string[];
  cols: readonly string[];
  values: readonly (readonly number[])[];
}

/** Heatmaps in a grid of `columns` per row (white = 0, dark blue = 1), each cell annotated with its value. */
export function heatmapGrid(title: string, maps: readonly Heatmap[], columns = maps.length, cell = 34): string {
  const label = 28;
  const gap = 30;
  const panelW = Math.max(...maps.map((m) => label + m.cols.length * cell)) + gap;
  const panelH = Math.max(...maps.map((m) => label + m.rows.length * cell)) + 40;
  const rowsOfPanels = Math.ceil(maps.length / columns);
  const width = gap + panelW * Math.min(columns, maps.length);
  const height = 40 + panelH * rowsOfPanels;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`,
  ];
  maps.forEach((m, k) => {
    const left = gap + (k % columns) * panelW;
    const top = 40 + Math.floor(k / columns) * panelH + 30;
    parts.push(`<text x="${left + label + (m.cols.length * cell) / 2}" y="${top - 18}" text-anchor="middle">${esc(m.title)}</text>`);
    m.cols.forEach((c, j) => parts.push(`<text x="${left + label + j * cell + cell / 2}" y="${top - 4}" text-anchor="middle">${esc(c)}</text>`));
    m.rows.forEach((r, i) => {
      parts.push(`<text x="${left + label - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(r)}</text>`);
      m.values[i]!.forEach((v, j) => {
        const shade = Math.round(255 * (1 - Math.min(Math.max(v, 0), 1)));
        parts.push(`<rect x="${left + label + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#ccc"/>`);
        parts.push(`<text x="${left + label + j * cell + cell / 2}" y="${top + i * cell + cell / 2 + 4}" text-anchor="middle" font-size="9" fill="${v > 0.5 ? "white" : "black"}">${v.toFixed(2).replace(/^0/, "")}</text>`);
      });
    });
  });
  parts.push(`</svg>`);
  return parts.join("\n");
}
