/**
 * Dynamic evaluation against static evaluation on the held-out text of Moby Dick (the last 10%, cut
 * where recur train cuts it), for a grid of settings: how the defaults of `recur eval --dynamic`
 * (tasks/lm-dynamic-eval.ts DYNAMIC_DEFAULTS) were chosen.
 *
 *   node --import tsx bench/quality/dynamic.ts model.safetensors [--chars N] [--threads 1] [--grid default|wide|rule:lr:decay:seq[:steps[:anchor]],...] [--ms-chars N]
 *
 * A rule of `krause` in the grid is the RMS rule with MS taken from the last --ms-chars (100,000)
 * characters of the training text (Krause et al.; gradientMeanSquares) and the decay scaled per weight.
 * --chars scores only the first N held-out characters (a quick comparison); the grid "default" runs
 * the defaults only. Prints one Markdown table (loss in nats/char, gain = static − dynamic).
 */
import { parseArgs } from 'node:util';
import { createBackend } from '../../src/node/backend.js';
import { readFileSync } from 'node:fs';
import { mobyDickPath } from '../../src/node/corpora.js';
import { mobyCorpus } from '../../src/cli/lm-data.js';
import { splitPoint } from '../../src/data/corpus-scan.js';
import { readFileLimited } from '../../src/node/files.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { evaluateStream } from '../../src/tasks/lm-eval.js';
import { DYNAMIC_DEFAULTS, evaluateDynamic, gradientMeanSquares, type DynamicOptions } from '../../src/tasks/lm-dynamic-eval.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { chars: { type: 'string' }, 'ms-chars': { type: 'string', default: '100000' }, threads: { type: 'string', default: '1' }, grid: { type: 'string', default: 'default' } },
});
if (positionals.length !== 1) throw new Error('usage: dynamic.ts model.safetensors [--chars N] [--threads 1] [--grid default|wide|rule:lr:decay:seq,...]');
const be = await createBackend({ backend: 'auto', threads: Number(values.threads) });
const { model, tokens: vocab } = decodeLm(readFileLimited(positionals[0], undefined, 'model file'), be);
// The split `recur train` validates on: byte floor(size × 0.9) moved to the next cut (data/corpus-scan.ts).
const bytes = readFileSync(mobyDickPath());
const cut = splitPoint(mobyCorpus(), vocab, 0.1);
const train = vocab.encode(new TextDecoder().decode(bytes.subarray(0, cut)));
let val = vocab.encode(new TextDecoder().decode(bytes.subarray(cut)));
if (values.chars) val = val.subarray(0, Number(values.chars));

type Setting = DynamicOptions & { krause?: boolean };
const grid: Setting[] = [{ ...DYNAMIC_DEFAULTS }];
if (values.grid === 'wide') {
  for (const lr of [5e-4, 1e-3, 2e-3, 4e-3]) for (const decay of [0, 0.01, 0.03]) grid.push({ seq: 50, lr, decay, rule: 'rms' });
  for (const seq of [20, 100]) grid.push({ ...DYNAMIC_DEFAULTS, seq });
  for (const lr of [0.05, 0.1, 0.2]) grid.push({ seq: 50, lr, decay: 0.01, rule: 'sgd' });
} else if (values.grid !== 'default') {
  // rule:lr:decay:seq[:steps[:anchor]],... (rule krause: the RMS rule with MS from the end of the training text)
  for (const g of values.grid!.split(',')) {
    const [rule, lr, decay, seq, steps = '1', anchor = '0'] = g.split(':');
    const krause = rule === 'krause';
    grid.push({ rule: (krause ? 'rms' : rule) as DynamicOptions['rule'], lr: Number(lr), decay: Number(decay), seq: Number(seq), steps: Number(steps), anchor: Number(anchor), krause });
  }
}

const t0 = performance.now();
const stat = evaluateStream(model, val).loss;
console.log(`static: ${stat.toFixed(4)} nats/char over ${val.length - 1} characters (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
console.log('| rule | lr | decay | seq | steps | anchor | loss | gain | seconds |');
console.log('|---|---|---|---|---|---|---|---|---|');
const msBySeq = new Map<number, Float32Array>();
const msChars = Number(values['ms-chars']);
for (const o of grid) {
  const t = performance.now();
  if (o.krause && !msBySeq.has(o.seq)) msBySeq.set(o.seq, gradientMeanSquares(model, train.subarray(Math.max(0, train.length - msChars - 1)), o.seq));
  const r = evaluateDynamic(model, val, { ...o, ms: o.krause ? msBySeq.get(o.seq) : undefined });
  console.log(`| ${o.krause ? 'rms, MS from train' : o.rule} | ${o.lr} | ${o.decay} | ${o.seq} | ${o.steps ?? 1} | ${o.anchor ?? 0} | ${r.loss.toFixed(4)} | ${(stat - r.loss).toFixed(4)} | ${((performance.now() - t) / 1000).toFixed(1)} |`);
}
