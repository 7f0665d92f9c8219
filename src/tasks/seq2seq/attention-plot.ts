/**
 * The attention matrix of one output as a heatmap: source symbols along x, output symbols along y
 * (top to bottom in the order they were written), the weight a_t,s as the colour. Each row sums to 1:
 * where the decoder looked while writing that symbol. Vega-Lite → SVG (analysis/plots.ts), so it
 * renders the same in Node and in the browser. Platform-free.
 */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../../analysis/plots.js';

/** An axis whose ticks are positions 0..n−1 labelled with the symbols (repeated symbols stay apart). */
const axisOf = (labels: readonly string[], title: string) => ({
  title, labelAngle: 0, labelExpr: `${JSON.stringify(labels)}[datum.value]`,
});

/** `weights` [rows × S] row-major; rows beyond the output's symbols are labelled <eos>. */
export async function attentionChart(source: readonly string[], output: readonly string[], weights: ArrayLike<number>, title = 'Attention'): Promise<string> {
  const S = source.length, rows = Math.floor(weights.length / Math.max(S, 1));
  if (S === 0 || rows === 0 || rows * S !== weights.length) throw new Error(`attention weights of ${weights.length} values do not fit a source of ${S} symbols`);
  const yLabels = Array.from({ length: rows }, (_, t) => output[t] ?? '<eos>');
  const values: { s: number; t: number; w: number }[] = [];
  for (let t = 0; t < rows; t++) for (let s = 0; s < S; s++) values.push({ s, t, w: weights[t * S + s] });
  const cell = 26;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width: Math.max(120, S * cell), height: Math.max(60, rows * cell),
    data: { values },
    mark: 'rect',
    encoding: {
      x: { field: 's', type: 'ordinal', axis: { ...axisOf(source, 'source'), orient: 'top' } },
      y: { field: 't', type: 'ordinal', axis: axisOf(yLabels, 'output') },
      color: { field: 'w', type: 'quantitative', title: 'weight', scale: { scheme: 'greys', domain: [0, 1] } },
    },
  };
  return renderSvg(spec);
}
