// Live line charts drawn as SVG: a ring of samples per series, redrawn on every refresh (no library needed).

const NS = "http://www.w3.org/2000/svg";
export const WINDOW_MS = 120_000;

/** Samples of one series over the last WINDOW_MS. */
export class Series {
  constructor() { this.points = []; }
  add(t, v) {
    this.points.push({ t, v });
    while (this.points.length && this.points[0].t < t - WINDOW_MS) this.points.shift();
  }
  get last() { return this.points.length ? this.points[this.points.length - 1].v : 0; }
}

function el(name, attrs, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above v. */
export function niceMax(v) {
  if (v <= 0) return 10;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Draws series (one line, filled below) into an SVG with viewBox 0 0 W H; labels say the current value. */
export function drawChart(svg, series, now, { label = "ops/s", color = "#2f6fdb" } = {}) {
  const [, , W, H] = svg.getAttribute("viewBox").split(" ").map(Number);
  const left = 56, right = 8, top = 10, bottom = 22;
  const w = W - left - right, h = H - top - bottom;
  const max = niceMax(Math.max(0, ...series.points.map(p => p.v)));
  const x = t => left + w * (1 - (now - t) / WINDOW_MS);
  const y = v => top + h * (1 - v / max);
  svg.replaceChildren();
  for (const f of [0, 0.5, 1]) {
    svg.append(el("line", { x1: left, x2: left + w, y1: y(max * f), y2: y(max * f), class: "gridline" }));
    svg.append(el("text", { x: left - 6, y: y(max * f) + 4, "text-anchor": "end", class: "axis" }, fmtNum(max * f)));
  }
  svg.append(el("text", { x: left, y: H - 6, class: "axis" }, "−2 min"));
  svg.append(el("text", { x: left + w, y: H - 6, "text-anchor": "end", class: "axis" }, "now"));
  const pts = series.points.filter(p => p.t >= now - WINDOW_MS);
  if (pts.length) {
    const line = pts.map(p => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
    svg.append(el("polygon", { points: `${x(pts[0].t).toFixed(1)},${y(0)} ${line} ${x(pts[pts.length - 1].t).toFixed(1)},${y(0)}`, fill: color, "fill-opacity": 0.15 }));
    svg.append(el("polyline", { points: line, fill: "none", stroke: color, "stroke-width": 2, class: "series" }));
  }
  svg.dataset.points = pts.length;
  svg.dataset.current = series.last;
  svg.append(el("text", { x: left + 8, y: top + 14, class: "current" }, `${fmtNum(series.last)} ${label}`));
}

export function fmtNum(v) {
  if (v >= 1e6) return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + "M";
  if (v >= 1e4) return (v / 1e3).toFixed(v >= 1e5 ? 0 : 1) + "k";
  return String(Math.round(v));
}
