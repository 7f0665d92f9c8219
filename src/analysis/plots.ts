/**
 * Charts for the long-term dependency lab and the playground, as SVG strings. Specs are written in
 * Vega-Lite, compiled to Vega and rendered headless (`renderer: 'none'` + `toSVG()`), which needs no
 * canvas or DOM, so the same code runs in Node and in the browser. Rendering is asynchronous in Vega,
 * hence every function returns a Promise<string>.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Complex } from './spectrum.js';

export interface Series { name: string; x: number[]; y: number[] }

export interface LineChartOptions {
  series: Series[];
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log-scale y axis; non-positive values cannot be drawn there and are left out. */
  logY?: boolean;
  /** Also draw a marker at every data point (off by default: loss curves can be long). */
  points?: boolean;
  width?: number;
  height?: number;
}

export interface ForecastChartOptions {
  /** Shared x values: numbers, ISO dates ("2014-01-31") or arbitrary labels. */
  x: (string | number)[];
  truth: number[];
  /** Each forecast is aligned with `x`; NaN marks steps it does not cover. */
  forecasts: { name: string; y: number[] }[];
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

// An explicit font list: Vega's default "sans-serif" is resolved by resvg (PNG export) to whatever
// system font comes first, often a serif one; browsers take the first family they have. Names are
// unquoted because resvg fails to match quoted names inside a list.
const FONT = 'Helvetica, Arial, DejaVu Sans, Liberation Sans, sans-serif';

/** Compile a Vega-Lite spec and render it to an SVG string without a canvas. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const withFont = { ...spec, config: { font: FONT, ...spec.config } } as TopLevelSpec;
  const view = new View(parse(compile(withFont).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // drop timers/listeners so Node can exit
  }
}

const CIRCLE_POINTS = 200;

/** Eigenvalues on the complex plane with the unit circle, both axes on the same scale. */
export async function eigenPlot(eigs: readonly Complex[], title = 'Eigenvalues', size = 320): Promise<string> {
  const circle = Array.from({ length: CIRCLE_POINTS + 1 }, (_, i) => {
    const a = (2 * Math.PI * i) / CIRCLE_POINTS; // the last point repeats the first to close the loop
    return { re: Math.cos(a), im: Math.sin(a), i };
  });
  const points = eigs.map(([re, im]) => ({
    re, im,
    where: Math.hypot(re, im) > 1 ? 'outside unit circle' : 'inside unit circle',
  }));
  // One symmetric domain for both axes in a square plot keeps the circle round.
  let m = 1;
  for (const p of points) m = Math.max(m, Math.abs(p.re), Math.abs(p.im));
  const domain = [-1.1 * m, 1.1 * m];
  const axis = (t: string) => ({ field: t === 'Re' ? 're' : 'im', type: 'quantitative' as const, title: t,
    scale: { domain, nice: false, zero: false } });
  return renderSvg({
    title,
    width: size,
    height: size,
    layer: [
      {
        data: { values: circle },
        mark: { type: 'line', color: '#999', strokeDash: [4, 3], strokeWidth: 1 },
        encoding: { x: axis('Re'), y: axis('Im'), order: { field: 'i', type: 'quantitative' } },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 40 },
        encoding: {
          x: axis('Re'),
          y: axis('Im'),
          color: {
            field: 'where', type: 'nominal', title: null,
            scale: { domain: ['inside unit circle', 'outside unit circle'], range: ['#1f77b4', '#d62728'] },
          },
        },
      },
    ],
  });
}

/** One or more y-vs-x curves, e.g. ‖∂L/∂h_t‖ against t on a log scale, or several loss curves. */
export async function lineChart(opts: LineChartOptions): Promise<string> {
  const values: { series: string; x: number; y: number }[] = [];
  for (const s of opts.series) {
    if (s.x.length !== s.y.length) throw new Error(`lineChart: series "${s.name}" has ${s.x.length} x and ${s.y.length} y values`);
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i], y = s.y[i];
      if (Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0)) values.push({ series: s.name, x, y });
    }
  }
  return renderSvg({
    title: opts.title,
    width: opts.width ?? 480,
    height: opts.height ?? 280,
    data: { values },
    mark: { type: 'line', point: opts.points ? { filled: true, size: 20 } : false },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: opts.xLabel, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: opts.yLabel, scale: opts.logY ? { type: 'log' } : { zero: false } },
      color: {
        field: 'series', type: 'nominal', title: null,
        scale: { domain: opts.series.map((s) => s.name) }, // legend in the caller's order
        legend: opts.series.length > 1 ? {} : null,
      },
    },
  });
}

const ISO_DATE = /^\d{4}-\d{2}(-\d{2})?([T ][\d:.]+Z?)?$/;

/** Ground truth (black) with one coloured line per forecast. */
export async function forecastChart(opts: ForecastChartOptions): Promise<string> {
  const n = opts.x.length;
  const check = (name: string, y: number[]) => {
    if (y.length !== n) throw new Error(`forecastChart: "${name}" has ${y.length} values for ${n} x values`);
  };
  check('truth', opts.truth);
  for (const f of opts.forecasts) check(f.name, f.y);

  const names = ['truth', ...opts.forecasts.map((f) => f.name)];
  const values: { series: string; x: string | number; y: number; idx: number }[] = [];
  const add = (series: string, y: number[]) => {
    for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) values.push({ series, x: opts.x[i], y: y[i], idx: i });
  };
  add('truth', opts.truth);
  for (const f of opts.forecasts) add(f.name, f.y);

  // Numbers are a continuous axis, ISO dates a time axis, anything else categories in given order.
  const xType = opts.x.every((v) => typeof v === 'number') ? 'quantitative'
    : opts.x.every((v) => typeof v === 'string' && ISO_DATE.test(v)) ? 'temporal' : 'ordinal';
  const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  return renderSvg({
    title: opts.title,
    width: opts.width ?? 560,
    height: opts.height ?? 280,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: {
        field: 'x', type: xType, title: opts.xLabel ?? 'x',
        ...(xType === 'ordinal' ? { sort: null, axis: { labelOverlap: true, labelAngle: -45 } } : {}),
        ...(xType === 'quantitative' ? { scale: { zero: false } } : {}),
      },
      y: { field: 'y', type: 'quantitative', title: opts.yLabel ?? 'value', scale: { zero: false } },
      color: {
        field: 'series', type: 'nominal', title: null,
        scale: { domain: names, range: ['#000000', ...names.slice(1).map((_, i) => palette[i % palette.length])] },
      },
      strokeDash: { // same field and domain as color, so Vega-Lite merges them into one legend
        field: 'series', type: 'nominal', title: null,
        scale: { domain: names, range: [[1, 0], ...names.slice(1).map(() => [5, 3])] },
      },
      order: { field: 'idx', type: 'quantitative' },
    },
  });
}
