/**
 * Small hand-drawn SVG charts for the live views: line charts (linear or log y) and the eigenvalue
 * plane. They are rebuilt whole on every update, which for a few hundred points costs well under a
 * millisecond, far less than re-rendering a Vega spec (src/analysis/plots.ts draws the same pictures
 * for reports). Built with createElementNS and textContent only: no markup is ever parsed.
 */
import type { Complex } from '../../src/analysis/spectrum.js';

const NS = 'http://www.w3.org/2000/svg';

export interface Line {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  /** Draw dots instead of (or besides) a line. */
  dots?: boolean;
  width?: number;
  opacity?: number;
  /** Dashed (earlier runs kept for comparison). */
  dash?: boolean;
}

export interface ChartOptions {
  xLabel: string;
  yLabel?: string;
  logY?: boolean;
  /** A dashed horizontal reference line (e.g. ρ = 1), named by refLabel. */
  refY?: number;
  refLabel?: string;
  width?: number;
  height?: number;
}

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The SVG of a chart container, created on first use. */
function canvas(container: HTMLElement, w: number, h: number): SVGSVGElement {
  let svg = container.querySelector('svg');
  if (!svg) {
    svg = svgEl('svg', { role: 'img', preserveAspectRatio: 'xMidYMid meet' });
    container.append(svg);
  }
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.replaceChildren();
  return svg;
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export const fmt = (v: number): string => {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
};

/** A line chart of one or more series; a message when there is nothing to draw yet. */
export function drawLines(container: HTMLElement, lines: Line[], o: ChartOptions): void {
  // The drawing is as wide as its box, so that text keeps its size whatever the layout.
  const W = o.width ?? Math.max(320, Math.round(container.clientWidth) || 420), H = o.height ?? 190, L = 48, R = 10, T = 10, B = 34;
  const svg = canvas(container, W, H);
  svg.setAttribute('aria-label', `${o.yLabel ?? lines.map((l) => l.name).join(', ')} against ${o.xLabel}`);
  const ok = (y: number): boolean => Number.isFinite(y) && (!o.logY || y > 0);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of lines) for (let i = 0; i < s.x.length; i++) {
    if (!ok(s.y[i])) continue;
    x0 = Math.min(x0, s.x[i]); x1 = Math.max(x1, s.x[i]);
    const y = o.logY ? Math.log10(s.y[i]) : s.y[i];
    y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (!Number.isFinite(x0)) {
    svg.append(svgEl('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'waiting for data…'));
    return;
  }
  if (o.refY !== undefined && ok(o.refY)) { const r = o.logY ? Math.log10(o.refY) : o.refY; y0 = Math.min(y0, r); y1 = Math.max(y1, r); }
  if (x1 === x0) x1 = x0 + 1;
  if (y1 - y0 < 1e-9) { const pad = Math.max(Math.abs(y0) * 0.1, o.logY ? 0.5 : 0.1); y0 -= pad; y1 += pad; }
  const padY = (y1 - y0) * 0.06; y0 -= padY; y1 += padY;
  const px = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number): number => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);

  // Axes and ticks.
  const axes = svgEl('g', { class: 'axes' });
  axes.append(svgEl('line', { x1: L, y1: H - B, x2: W - R, y2: H - B }), svgEl('line', { x1: L, y1: T, x2: L, y2: H - B }));
  for (const v of niceTicks(x0, x1, 5)) {
    axes.append(svgEl('line', { x1: px(v), y1: H - B, x2: px(v), y2: H - B + 4 }));
    axes.append(svgEl('text', { x: px(v), y: H - B + 15, 'text-anchor': 'middle' }, fmt(v)));
  }
  const yTicks = o.logY
    ? niceTicks(Math.floor(y0), Math.ceil(y1), 5).filter((v) => Number.isInteger(v) && v >= y0 && v <= y1)
    : niceTicks(y0, y1, 4);
  for (const v of yTicks) {
    axes.append(svgEl('line', { x1: L - 4, y1: py(v), x2: W - R, y2: py(v), class: 'grid' }));
    axes.append(svgEl('text', { x: L - 6, y: py(v) + 4, 'text-anchor': 'end' }, o.logY ? fmt(10 ** v) : fmt(v)));
  }
  axes.append(svgEl('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'label' }, o.xLabel));
  if (o.yLabel) axes.append(svgEl('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'label', transform: `rotate(-90 12 ${(T + H - B) / 2})` }, o.yLabel));
  svg.append(axes);
  if (o.refY !== undefined && ok(o.refY)) {
    const y = py(o.logY ? Math.log10(o.refY) : o.refY);
    svg.append(svgEl('line', { x1: L, y1: y, x2: W - R, y2: y, class: 'ref' }));
    if (o.refLabel) svg.append(svgEl('text', { x: L + 4, y: y - 4, class: 'legend', 'data-role': 'ref-label' }, o.refLabel));
  }

  // Series, and a legend when there are several.
  lines.forEach((s, k) => {
    let d = '';
    const g = svgEl('g', { 'data-series': s.name });
    for (let i = 0; i < s.x.length; i++) {
      if (!ok(s.y[i])) continue;
      const X = px(s.x[i]).toFixed(1), Y = py(o.logY ? Math.log10(s.y[i]) : s.y[i]).toFixed(1);
      d += `${d ? 'L' : 'M'}${X},${Y}`;
      if (s.dots) g.append(svgEl('circle', { cx: X, cy: Y, r: 2.5, fill: s.color }));
    }
    if (d && !(s.dots && s.width === 0)) {
      g.prepend(svgEl('path', { d, fill: 'none', stroke: s.color, 'stroke-width': s.width ?? 1.6, 'stroke-opacity': s.opacity ?? 1, 'stroke-linejoin': 'round', ...(s.dash ? { 'stroke-dasharray': '5 3' } : {}) }));
    }
    svg.append(g);
    if (lines.length > 1) {
      const lx = W - R - 110, ly = T + 8 + k * 14;
      svg.append(svgEl('line', { x1: lx, y1: ly - 4, x2: lx + 14, y2: ly - 4, stroke: s.color, 'stroke-width': 2, ...(s.dash ? { 'stroke-dasharray': '4 2' } : {}) }));
      svg.append(svgEl('text', { x: lx + 18, y: ly, class: 'legend' }, s.name));
    }
  });
}

/** Eigenvalues as dots on the complex plane with the unit circle; both axes share one scale. */
export function drawEigenvalues(container: HTMLElement, eigs: readonly Complex[]): void {
  const S = 300, M = 26;
  const svg = canvas(container, S, S);
  let m = 1;
  for (const [re, im] of eigs) m = Math.max(m, Math.abs(re), Math.abs(im));
  m *= 1.1;
  const scale = (S / 2 - M) / m, c = S / 2;
  const axes = svgEl('g', { class: 'axes' });
  axes.append(svgEl('line', { x1: M / 2, y1: c, x2: S - M / 2, y2: c }), svgEl('line', { x1: c, y1: M / 2, x2: c, y2: S - M / 2 }));
  axes.append(svgEl('text', { x: S - M / 2, y: c - 5, 'text-anchor': 'end', class: 'label' }, 'Re'));
  axes.append(svgEl('text', { x: c + 5, y: M / 2 + 8, class: 'label' }, 'Im'));
  for (const v of niceTicks(-m, m, 4)) {
    if (v === 0) continue;
    axes.append(svgEl('line', { x1: c + v * scale, y1: c - 3, x2: c + v * scale, y2: c + 3 }));
    axes.append(svgEl('text', { x: c + v * scale, y: c + 15, 'text-anchor': 'middle' }, fmt(v)));
  }
  svg.append(axes);
  svg.append(svgEl('circle', { cx: c, cy: c, r: scale, class: 'unit-circle', 'data-role': 'unit-circle' }));
  const dots = svgEl('g', { 'data-role': 'eigenvalues' });
  for (const [re, im] of eigs) {
    const outside = Math.hypot(re, im) > 1;
    dots.append(svgEl('circle', { cx: (c + re * scale).toFixed(1), cy: (c - im * scale).toFixed(1), r: 3, class: outside ? 'eig out' : 'eig' }));
  }
  svg.append(dots);
  // What the colours mean (the radius readout names the largest |λ|).
  const inside = eigs.filter(([re, im]) => Math.hypot(re, im) <= 1).length;
  const legend = svgEl('g', { 'data-role': 'eigen-legend' });
  legend.append(svgEl('circle', { cx: 10, cy: S - 22, r: 3, class: 'eig' }), svgEl('text', { x: 17, y: S - 18, class: 'legend' }, `|λ| ≤ 1: fades (${inside})`));
  legend.append(svgEl('circle', { cx: 10, cy: S - 8, r: 3, class: 'eig out' }), svgEl('text', { x: 17, y: S - 4, class: 'legend' }, `|λ| > 1: grows (${eigs.length - inside})`));
  svg.append(legend);
  svg.setAttribute('aria-label', `${eigs.length} eigenvalues on the complex plane: ${inside} inside the unit circle, ${eigs.length - inside} outside`);
}
