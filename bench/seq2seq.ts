/**
 * Seq2seq training speed, recur against the PyTorch reference (bench/peers/seq2seq_torch.py), one thread each:
 * the reference model at the size the floors use (LSTM, embed 32, hidden 128, additive attention, batch
 * 64) on the reverse task (lengths uniform in 1…20, 12 symbols), Adam. Prints one JSON line: pairs per second.
 *
 *   node --import tsx bench/seq2seq.ts [--backend native|wasm|js] [--steps 30] [--feeding] [--attention kind]
 */
import { performance } from 'node:perf_hooks';
import { makePairBatch } from '../src/nn/seq2seq/batch.js';
import type { AttentionKind } from '../src/nn/seq2seq/config.js';
import { Seq2Seq } from '../src/nn/seq2seq/model.js';
import { createBackend, type BackendName } from '../src/node/backend.js';
import { Optimizer } from '../src/train/optim.js';
import { Rng } from '../src/util/rng.js';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const steps = Number(arg('steps', '30')), B = 64, LEN = 20, SYMBOLS = 12;
const be = await createBackend({ backend: arg('backend', 'native') as BackendName, threads: 1 });
const m = new Seq2Seq({
  src_vocab: 4 + SYMBOLS, tgt_vocab: 4 + SYMBOLS, embed: 32, hidden: 128, cell: 'lstm',
  attention: arg('attention', 'additive') as AttentionKind, input_feeding: process.argv.includes('--feeding'),
}, be).init(new Rng(1));
const opt = new Optimizer(be, m.params, { name: 'adam', lr: 1e-3 });
const rng = new Rng(2);
const batch = () => makePairBatch(Array.from({ length: B }, () => {
  const x = Int32Array.from({ length: 1 + rng.int(LEN) }, () => 4 + rng.int(SYMBOLS));
  return [x, x.slice().reverse()] as [Int32Array, Int32Array];
}));
const step = (): number => {
  const b = batch();
  m.zeroGrads();
  const l = m.forward(b, { train: true }).loss;
  m.backward();
  opt.update(m.grads.data);
  return l;
};
for (let i = 0; i < 3; i++) step();
const t0 = performance.now();
let loss = 0;
for (let i = 0; i < steps; i++) loss = step();
const s = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ impl: `recur ${be.name}`, attention: m.config.attention, input_feeding: m.config.input_feeding, steps, batch: B, seconds: s, pairs_per_s: (steps * B) / s, loss }));
