/**
 * Wide models at their limits: one backend trains a model of the given width and vocabulary for a few
 * steps (random ids: memory and time do not depend on the text) and samples from it, then prints one
 * JSON line: seconds per step, tokens sampled per second, the process's peak resident memory, and what
 * the parameters (weights, gradients, Adam's two moments) and the softmax head take.
 *
 *   node --import tsx bench/wide.ts --backend wasm --hidden 2048 --vocab 32768 --embed 512 --batch 16 --seq 32
 *
 * Not part of `npm run bench` (no peer, no fixed workload): the README's table of limits comes from it.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { HEAD_BLOCK_ELEMS, Model } from '../src/nn/model.js';
import { createBackend, type BackendName } from '../src/node/backend.js';
import { peakRssMb } from '../src/node/memory.js';
import { Optimizer } from '../src/train/optim.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' }, threads: { type: 'string', default: '2' }, cell: { type: 'string', default: 'lstm' },
    hidden: { type: 'string', default: '1024' }, layers: { type: 'string', default: '1' }, vocab: { type: 'string', default: '32768' },
    embed: { type: 'string', default: '0' }, batch: { type: 'string', default: '16' }, seq: { type: 'string', default: '32' },
    steps: { type: 'string', default: '2' }, sample: { type: 'string', default: '50' },
  },
  strict: true,
});
const num = (k: keyof typeof values): number => Number(values[k]);
const H = num('hidden'), V = num('vocab'), B = num('batch'), T = num('seq'), MiB = 1 << 20;

const be = await createBackend({ backend: values.backend as BackendName, threads: num('threads') });
const model = new Model({
  cell: values.cell as 'lstm', hidden: H, layers: num('layers'), inputKind: 'tokens', inputSize: V, embed: num('embed'),
  outputSize: V, head: 'softmax', outputMode: 'every',
}, be).init(new Rng(1));
const trainer = new Trainer(model, new Optimizer(be, model.params, { name: 'adam', lr: 1e-3 }), { clipNorm: 5 });
const rng = new Rng(2), state = model.newState(B);
const ids = (): Int32Array => Int32Array.from({ length: T * B }, () => rng.int(V));

let first = 0, rest = 0;
for (let s = 0; s < num('steps'); s++) {
  const t0 = performance.now();
  trainer.step({ T, B, tokens: ids(), targets: ids() }, state);
  if (s === 0) first = (performance.now() - t0) / 1000; else rest += (performance.now() - t0) / 1000;
}

const one = model.newState(1), n = num('sample'), probs = be.alloc(V);
let tok = 0;
const t1 = performance.now();
for (let i = 0; i < n; i++) {
  model.stepOne(tok, one);
  be.softmax(1, V, model.logits, 0, probs, 0, 1);
  let acc = 0, u = rng.next();
  for (tok = 0; tok < V - 1; tok++) { acc += probs[tok]; if (u < acc) break; }
}
const sampleSeconds = (performance.now() - t1) / 1000;

const rows = T * B, P = model.params.size;
process.stdout.write(`${JSON.stringify({
  backend: be.name, hidden: H, layers: num('layers'), vocab: V, embed: num('embed'), batch: B, seq: T,
  parameters: P,
  /** weights, gradients and Adam's two moments */
  parameterMB: Math.round((4 * P * 4) / MiB),
  headBlocked: rows * V > HEAD_BLOCK_ELEMS,
  /** what the whole-chunk logits and their gradient would take */
  wholeLogitsMB: Math.round((2 * rows * V * 4) / MiB),
  firstStepSeconds: Number(first.toFixed(2)),
  stepSeconds: num('steps') > 1 ? Number((rest / (num('steps') - 1)).toFixed(2)) : null,
  sampledPerSecond: Math.round(n / sampleSeconds),
  rssMB: peakRssMb(),
})}\n`, () => process.exit(0));
