import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigenPlot, forecastChart, lineChart } from '../../src/analysis/plots.js';
import { htmlReport, markdownReport } from '../../src/analysis/report.js';
import { svgToPng } from '../../src/node/png.js';

/** Every tag closed in order, one root <svg> element, no stray markup. */
function assertWellFormedSvg(svg: string): void {
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>$/);
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClosing] = m;
    if (selfClosing) continue;
    if (close) assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    else stack.push(name);
  }
  assert.deepEqual(stack, []);
  assert.doesNotMatch(svg.replace(/<[^>]*>/g, ''), /[<>]/, 'text must be escaped');
}

/** The <path> elements inside the mark groups of one kind ("symbol" points, "line" lines). */
function markPaths(svg: string, kind: 'symbol' | 'line'): string[] {
  const groups = svg.match(new RegExp(`<g class="mark-${kind} role-mark[^>]*>.*?</g>`, 'gs')) ?? [];
  return groups.flatMap((g) => g.match(/<path [^>]*>/g) ?? []);
}

const texts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

test('eigenPlot: one point per eigenvalue, a 200-segment unit circle, equal scales', async () => {
  const eigs: [number, number][] = [[0.5, 0.5], [0.5, -0.5], [-1.3, 0], [0.2, 0]];
  const svg = await eigenPlot(eigs, 'Spectrum of W <hh> & co');
  assertWellFormedSvg(svg);
  assert.ok(texts(svg).includes('Spectrum of W &lt;hh&gt; &amp; co'));
  assert.ok(texts(svg).includes('Re') && texts(svg).includes('Im'));
  assert.equal(markPaths(svg, 'symbol').length, eigs.length);

  const [circle] = markPaths(svg, 'line');
  const d = circle.match(/ d="([^"]*)"/)![1];
  const pts = [...d.matchAll(/[ML](-?[\d.]+),(-?[\d.]+)/g)].map((m) => [+m[1], +m[2]]);
  assert.equal(pts.length, 201); // 200 points plus the closing one
  const span = (k: 0 | 1) => Math.max(...pts.map((p) => p[k])) - Math.min(...pts.map((p) => p[k]));
  assert.ok(Math.abs(span(0) - span(1)) < 0.5, `circle is ${span(0)} wide but ${span(1)} high`);
});

test('lineChart: titles, labels, log scale drops non-positive values, one line per series', async () => {
  const svg = await lineChart({
    series: [
      { name: 'vanilla RNN', x: [1, 2, 3, 4, 5], y: [1, 1e-2, 0, 1e-6, -1] },
      { name: 'LSTM', x: [1, 2, 3], y: [1, 0.9, 0.8] },
    ],
    title: 'Gradient norm', xLabel: 't', yLabel: '‖∂L/∂h_t‖', logY: true, points: true,
  });
  assertWellFormedSvg(svg);
  const t = texts(svg);
  for (const s of ['Gradient norm', 't', '‖∂L/∂h_t‖', 'vanilla RNN', 'LSTM']) assert.ok(t.includes(s), `missing text ${s}`);
  assert.equal(markPaths(svg, 'symbol').length, 3 + 3);
  assert.equal(markPaths(svg, 'line').length, 2);

  const single = await lineChart({ series: [{ name: 'loss', x: [0, 1], y: [2, 1] }], title: 'Loss', xLabel: 'step', yLabel: 'loss' });
  assertWellFormedSvg(single);
  assert.doesNotMatch(single, /role-legend/); // a legend for one series is noise
  assert.equal(markPaths(single, 'symbol').length, 0);
  await assert.rejects(lineChart({ series: [{ name: 'a', x: [1], y: [] }], title: '', xLabel: '', yLabel: '' }), /1 x and 0 y/);
});

test('forecastChart: truth and each forecast as lines, with a legend', async () => {
  const x = ['2014-01-01', '2014-01-02', '2014-01-03', '2014-01-04'];
  const svg = await forecastChart({
    x, truth: [10, 12, 11, 13],
    forecasts: [{ name: 'GRU', y: [NaN, NaN, 11.5, 12.5] }, { name: 'naive', y: [NaN, NaN, 12, 12] }],
    title: 'Births',
  });
  assertWellFormedSvg(svg);
  const lines = markPaths(svg, 'line');
  assert.equal(lines.length, 3);
  assert.ok(lines.some((p) => p.includes('stroke="#000000"')), 'truth is drawn in black');
  for (const s of ['Births', 'truth', 'GRU', 'naive']) assert.ok(texts(svg).includes(s), `missing text ${s}`);

  const labels = await forecastChart({ x: ['a', 'b'], truth: [1, 2], forecasts: [], title: 'L' });
  assert.ok(texts(labels).includes('a') && texts(labels).includes('b'));
  await assert.rejects(forecastChart({ x: [1, 2], truth: [1], forecasts: [], title: '' }), /"truth" has 1 values for 2/);
});

test('svgToPng returns a PNG of the requested width', async () => {
  const png = svgToPng(await eigenPlot([[0.9, 0]]), 300);
  assert.ok(png instanceof Uint8Array);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const width = new DataView(png.buffer, png.byteOffset).getUint32(16); // IHDR width
  assert.equal(width, 300);
  assert.throws(() => svgToPng('<svg', 10));
});

test('reports: HTML escapes text and inlines SVG, Markdown links images and aligns numbers', async () => {
  const svg = await eigenPlot([[0.5, 0]], 'eig');
  const report = {
    title: 'Lab <1> & "more"',
    sections: [
      { heading: 'Spectrum', text: 'a < b\n\nsecond *para*', svg, image: 'eig.png' },
      { heading: 'Runs', table: { columns: ['model', 'loss'], rows: [['RNN|x', 0.123456], ['<LSTM>', 2]] } },
    ],
  };
  const html = htmlReport(report);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes('<title>Lab &lt;1&gt; &amp; &quot;more&quot;</title>'));
  assert.ok(html.includes('<p>a &lt; b</p>') && html.includes('<p>second *para*</p>'));
  assert.ok(html.includes(svg));
  assert.ok(html.includes('<td>&lt;LSTM&gt;</td>') && html.includes('<td class="num">0.1235</td>'));

  const md = markdownReport(report);
  assert.ok(md.startsWith('# Lab \\<1\\> & "more"\n'));
  assert.ok(md.includes('![Spectrum](<eig.png>)'));
  assert.ok(!md.includes('<svg'));
  assert.ok(md.includes('| model | loss |\n| --- | ---: |\n| RNN\\|x | 0.1235 |'));
  assert.throws(() => htmlReport({ title: '', sections: [{ heading: 'h', table: { columns: ['a'], rows: [[1, 2]] } }] }), /row 0 has 2 cells/);
});
