/**
 * Dynamic evaluation against static evaluation on the held-out text of Moby Dick (the last 10%, the
 * split recur train validates on), for a grid of settings: how the defaults of `recur eval --dynamic`
 * (tasks/lm-dynamic-eval.ts DYNAMIC_DEFAULTS) were chosen.
 *
 *   node --import tsx bench/quality/dynamic.ts model.safetensors [--chars N] [--threads 1] [--grid default|wide|rule:lr:decay:seq,...]
 *
 * --chars scores only the first N held-out characters (a quick comparison); the grid "default" runs
 * the defaults only. Prints one Markdown table (loss in nats/char, gain = static − dynamic).
 */
import { parseArgs } from 'node:util';
import { createBackend } from '../../src/node/backend.js';
import { mobyDick } from '../../src/node/corpora.js';
import { readFileLimited } from '../../src/node/files.js';
import { splitTrainVal } from '../../src/data/text.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { evaluateStream } from '../../src/tasks/lm-eval.js';
import { DYNAMIC_DEFAULTS, evaluateDynamic, type DynamicOptions } from '../../src/tasks/lm-dynamic-eval.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { chars: { type: 'string' }, threads: { type: 'string', default: '1' }, grid: { type: 'string', default: 'default' } },
});
if (positionals.length !== 1) throw new Error('usage: dynamic.ts model.safetensors [--chars N] [--threads 1] [--grid default|wide|rule:lr:decay:seq,...]');
const be = await createBackend({ backend: 'auto', threads: Number(values.threads) });
const { model, tokens: vocab } = decodeLm(readFileLimited(positionals[0], undefined, 'model file'), be);
let val = splitTrainVal(vocab.encode(mobyDick()), 0.1).val!;
if (values.chars) val = val.subarray(0, Number(values.chars));

const grid: DynamicOptions[] = [{ ...DYNAMIC_DEFAULTS }];
if (values.grid === 'wide') {
  for (const lr of [5e-4, 1e-3, 2e-3, 4e-3]) for (const decay of [0, 0.01, 0.03]) grid.push({ seq: 50, lr, decay, rule: 'rms' });
  for (const seq of [20, 100]) grid.push({ ...DYNAMIC_DEFAULTS, seq });
  for (const lr of [0.05, 0.1, 0.2]) grid.push({ seq: 50, lr, decay: 0.01, rule: 'sgd' });
} else if (values.grid !== 'default') {
  // rule:lr:decay:seq,...
  for (const g of values.grid!.split(',')) {
    const [rule, lr, decay, seq] = g.split(':');
    grid.push({ rule: rule as DynamicOptions['rule'], lr: Number(lr), decay: Number(decay), seq: Number(seq) });
  }
}

const t0 = performance.now();
const stat = evaluateStream(model, val).loss;
console.log(`static: ${stat.toFixed(4)} nats/char over ${val.length - 1} characters (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
console.log('| rule | lr | decay | seq | loss | gain | seconds |');
console.log('|---|---|---|---|---|---|---|');
for (const o of grid) {
  const t = performance.now();
  const r = evaluateDynamic(model, val, o);
  console.log(`| ${o.rule} | ${o.lr} | ${o.decay} | ${o.seq} | ${r.loss.toFixed(4)} | ${(stat - r.loss).toFixed(4)} | ${((performance.now() - t) / 1000).toFixed(1)} |`);
}
