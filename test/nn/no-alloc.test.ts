/**
 * Hot paths allocate nothing: once the buffers are sized for a chunk shape, a training step (forward,
 * backward with learned-h0 gradients, update) and a sampled character make no backend allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model } from '../../src/nn/model.js';
import { Optimizer } from '../../src/train/optim.js';
import { Trainer } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

/** A JS backend that counts alloc calls. */
function counting(): { be: Backend; allocs: () => number } {
  const be = new JsBackend('f32');
  let n = 0;
  const alloc = be.alloc.bind(be);
  be.alloc = (size: number) => { n++; return alloc(size); };
  return { be, allocs: () => n };
}

const configs: Partial<ModelConfig>[] = [
  { cell: 'lstm', layers: 2, bidirectional: true, h0: 'learned', dropout: 0.2 },
  { cell: 'gru', embed: 4, outputMode: 'last', h0: 'learned' },
  { cell: 'elman', lags: [2, 3], h0: 'learned' },
  { cell: 'elman+jordan', layers: 2, dropout: 0.1, h0: 'random' },
  { cell: 'lstm', h0: 'learned' },
];

for (const config of configs) {
  test(`no allocation per training step or sampled character: ${JSON.stringify(config)}`, () => {
    const { be, allocs } = counting();
    const m = new Model({ hidden: 6, inputSize: 9, outputSize: 9, ...config }, be).init(new Rng(1));
    const trainer = new Trainer(m, new Optimizer(be, m.params, { name: 'adam', lr: 0.01 }), { rng: new Rng(2) });
    const T = 5, B = 3, rng = new Rng(3), state = m.newState(B, rng);
    const batch = {
      T, B, tokens: Int32Array.from({ length: T * B }, () => rng.int(9)),
      targets: Int32Array.from({ length: m.config.outputMode === 'last' ? B : T * B }, () => rng.int(9)),
      lengths: Int32Array.from([5, 2, 4]),
    };
    trainer.step(batch, state);
    const one = m.newState(1, rng);
    m.stepOne(1, one);
    m.stepOne(2, one);
    const before = allocs();
    for (let i = 0; i < 3; i++) {
      m.resetState(state, [i % B], rng);
      trainer.step(batch, state);
    }
    for (let i = 0; i < 5; i++) m.stepOne(i, one);
    assert.equal(allocs() - before, 0, 'backend allocations after warm-up');
    assert.ok(before > 0, 'the counter sees the allocations of the first step');
  });
}
