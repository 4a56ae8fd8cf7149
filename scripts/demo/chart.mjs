// @ts-check
/**
 * A small hand-written SVG line chart: stacked panels over one time axis,
 * each with its own y scale, optional reference lines (thresholds), and
 * vertical markers for events (the analyzer's actions). No dependencies, so
 * the demo's report opens in any browser.
 */

/**
 * @typedef {{ name: string, color: string, points: Array<[number, number]>, step?: boolean }} Series
 * @typedef {{ label: string, series: Series[], refLines?: Array<{ y: number, label: string }>,
 *   min?: number, max?: number, format?: (v: number) => string }} Panel
 * @typedef {{ title: string, subtitle?: string, panels: Panel[], events: Array<{ t: number, label: string }>,
 *   tMax: number }} Chart
 */

/** @param {string} s */
const esc = (s) =>
  s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c] ?? c);

/** @param {number} v */
const fmt = (v) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);

/**
 * "Nice" tick values covering [min, max].
 * @param {number} min
 * @param {number} max
 * @param {number} count
 */
export function ticks(min, max, count = 4) {
  const span = max - min || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * @param {Chart} chart
 * @returns {string} an SVG document
 */
export function renderChart(chart) {
  const width = 860;
  const left = 70;
  const right = 20;
  const top = chart.subtitle ? 62 : 44;
  const panelHeight = 150;
  const gap = 30;
  const legend = 36;
  const plotW = width - left - right;
  const height = top + chart.panels.length * (panelHeight + gap + legend) - gap + 30;
  const tMax = Math.max(1, chart.tMax);
  const x = (/** @type {number} */ t) => left + (Math.min(t, tMax) / tMax) * plotW;
  /** @type {string[]} */
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="24" font-size="16" font-weight="600">${esc(chart.title)}</text>`,
  ];
  if (chart.subtitle)
    out.push(`<text x="${left}" y="44" fill="#555">${esc(chart.subtitle)}</text>`);

  chart.panels.forEach((panel, i) => {
    const y0 = top + i * (panelHeight + gap + legend) + legend;
    const values = panel.series.flatMap((s) => s.points.map((p) => p[1]));
    values.push(...(panel.refLines ?? []).map((r) => r.y));
    const lo = panel.min ?? Math.min(0, ...values);
    let hi = panel.max ?? Math.max(...values, lo + 1e-9);
    if (panel.max === undefined) hi = lo + (hi - lo) * 1.1 || 1;
    const y = (/** @type {number} */ v) =>
      y0 + panelHeight - ((Math.max(lo, Math.min(hi, v)) - lo) / (hi - lo)) * panelHeight;
    const format = panel.format ?? fmt;
    out.push(
      `<text x="${left}" y="${y0 - 22}" font-weight="600">${esc(panel.label)}</text>`,
      `<rect x="${left}" y="${y0}" width="${plotW}" height="${panelHeight}" fill="#fafafa" stroke="#ccc"/>`,
    );
    for (const v of ticks(lo, hi)) {
      out.push(
        `<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
        `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${esc(format(v))}</text>`,
      );
    }
    for (const r of panel.refLines ?? []) {
      out.push(
        `<line x1="${left}" x2="${left + plotW}" y1="${y(r.y)}" y2="${y(r.y)}" stroke="#c00" stroke-dasharray="6 4"/>`,
        `<text x="${left + plotW - 4}" y="${y(r.y) - 4}" text-anchor="end" fill="#c00">${esc(r.label)}</text>`,
      );
    }
    let lx = left;
    for (const s of panel.series) {
      out.push(
        `<rect x="${lx}" y="${y0 - 11}" width="12" height="4" fill="${s.color}"/>`,
        `<text x="${lx + 16}" y="${y0 - 6}" fill="#333">${esc(s.name)}</text>`,
      );
      lx += 24 + s.name.length * 6.5;
      if (s.points.length === 0) continue;
      /** @type {string[]} */
      const d = [];
      s.points.forEach(([t, v], k) => {
        if (k === 0) d.push(`M${x(t).toFixed(1)},${y(v).toFixed(1)}`);
        else {
          if (s.step) d.push(`H${x(t).toFixed(1)}`);
          d.push(`L${x(t).toFixed(1)},${y(v).toFixed(1)}`);
        }
      });
      out.push(`<path d="${d.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
  });

  const bottom = top + chart.panels.length * (panelHeight + gap + legend) - gap + 4;
  for (const t of ticks(0, tMax, 8)) {
    out.push(`<text x="${x(t)}" y="${bottom + 10}" text-anchor="middle" fill="#555">${t}s</text>`);
  }
  chart.events.forEach((e, k) => {
    // Labels right of their line, or left of it near the right edge.
    const nearEdge = x(e.t) > left + plotW - 8 * e.label.length;
    const tx = nearEdge ? x(e.t) - 3 : x(e.t) + 3;
    out.push(
      `<line x1="${x(e.t)}" x2="${x(e.t)}" y1="${top + legend}" y2="${bottom - 8}" stroke="#36c" stroke-dasharray="3 3"/>`,
      `<text x="${tx}" y="${top + legend + 14 + (k % 3) * 13}" fill="#36c" text-anchor="${nearEdge ? "end" : "start"}">${esc(e.label)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}
