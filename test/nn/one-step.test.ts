/**
 * Model.stepOne (the sampling path, one-step.ts) against Model.forward at T = B = 1, on every
 * backend: every cell it covers, one-hot and embedded inputs, two layers, a learned h0, the models
 * it hands to forward() (Jordan, lags), weights changed between steps (the packed copies and the
 * input table must follow params.version), and a vocabulary too large for the input table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model } from '../../src/nn/model.js';
import { Optimizer } from '../../src/train/optim.js';
import { Rng } from '../../src/util/rng.js';
import { backends } from '../helpers/backends.js';

const CASES: [string, Partial<ModelConfig>][] = [
  ['lstm one-hot', { cell: 'lstm', hidden: 37 }],
  ['gru one-hot', { cell: 'gru', hidden: 37 }],
  ['elman tanh one-hot', { cell: 'elman', hidden: 37 }],
  ['elman relu embedded', { cell: 'elman', activation: 'relu', hidden: 21, embed: 9 }],
  ['lstm 2 layers embedded', { cell: 'lstm', hidden: 19, layers: 2, embed: 7 }],
  ['gru 2 layers', { cell: 'gru', hidden: 19, layers: 2 }],
  ['lstm learned h0', { cell: 'lstm', hidden: 17, h0: 'learned' }],
  ['jordan (forward path)', { cell: 'jordan', hidden: 16 }],
  ['elman lags (forward path)', { cell: 'elman', hidden: 16, lags: [3] }],
  ['lstm, vocabulary past the input table', { cell: 'lstm', hidden: 64, inputSize: 17000 }],
];

function model(be: Backend, cfg: Partial<ModelConfig>, seed: number): Model {
  const V = cfg.inputSize ?? 23;
  const m = new Model({ inputKind: 'tokens', inputSize: V, outputSize: 23, head: 'softmax', outputMode: 'every', ...cfg }, be).init(new Rng(seed));
  if (cfg.h0 === 'learned') for (const name of m.params.names()) if (/h0|c0/.test(name)) m.params.set(name, Array.from({ length: m.params.view(name).size }, (_, i) => Math.sin(i)));
  return m;
}

for (const { name: beName, make } of backends()) {
  test(`stepOne equals forward at T = B = 1 (${beName})`, async () => {
    const be = await make();
    for (const [label, cfg] of CASES) {
      const a = model(be, cfg, 5), b = model(be, cfg, 5);
      const V = a.config.inputSize, O = a.config.outputSize;
      const sa = a.newState(1), sb = b.newState(1);
      const optA = new Optimizer(be, a.params, { name: 'sgd', lr: 0.05 }), optB = new Optimizer(be, b.params, { name: 'sgd', lr: 0.05 });
      const rng = new Rng(11), g = be.alloc(a.params.size);
      for (let t = 0; t < 12; t++) {
        const tok = rng.int(V);
        a.forward({ T: 1, B: 1, tokens: Int32Array.of(tok) }, sa, { train: false });
        b.stepOne(tok, sb);
        for (let j = 0; j < O; j++) {
          const d = Math.abs(a.logits[j] - b.logits[j]);
          assert.ok(d <= 1e-5 + 1e-5 * Math.abs(a.logits[j]), `${label}, step ${t}, logit ${j}: forward ${a.logits[j]} vs stepOne ${b.logits[j]}`);
        }
        for (let i = 0; i < sa.h.length; i++) for (let j = 0; j < sa.h[i].length; j++) assert.ok(Math.abs(sa.h[i][j] - sb.h[i][j]) < 1e-5, `${label}: h[${i}][${j}] after step ${t}`);
        if (t === 5) {
          // The same update on both models: stepOne must see the new weights (packed copies, input table).
          for (let i = 0; i < g.length; i++) g[i] = Math.cos(i);
          optA.update(g); optB.update(g);
        }
      }
      assert.equal(sb.fresh[0], 0, `${label}: the state is no longer fresh`);
    }
  });
}

test('stepOne refuses a token outside the vocabulary and a state of several streams', async () => {
  const be = await backends()[0].make();
  const m = model(be, { cell: 'lstm', hidden: 8 }, 1);
  assert.throws(() => m.stepOne(23, m.newState(1)), /outside the vocabulary/);
  assert.throws(() => m.stepOne(-1, m.newState(1)), /outside the vocabulary/);
  assert.throws(() => m.stepOne(0, m.newState(2)), /one stream/);
});
