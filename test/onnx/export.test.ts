/**
 * Every exportable model runs in onnxruntime-node and agrees with recur within float32 rounding on its
 * outputs and final states: every cell, 1–2 layers, bidirectional where allowed, padded batches.
 */
import { test } from 'node:test';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model } from '../../src/nn/model.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { Rng } from '../../src/util/rng.js';
import { assertAgree, runOnnx, runRecur, type Case } from './run.js';

const be = new JsBackend('f32');

async function check(config: Partial<ModelConfig>, cs: Case, lengths?: boolean): Promise<void> {
  const model = new Model(config, be).init(new Rng(3));
  const { bytes } = exportOnnx(model, { lengths });
  const what = JSON.stringify({ ...config, ...cs });
  assertAgree(model, cs, runRecur(model, cs), await runOnnx(bytes, model, cs), 2e-5, what);
}

const lm = (cell: ModelConfig['cell'], extra: Partial<ModelConfig> = {}): Partial<ModelConfig> =>
  ({ cell, hidden: 5, inputSize: 7, outputSize: 7, inputKind: 'tokens', ...extra });

for (const cell of ['lstm', 'gru', 'elman'] as const) {
  test(`char-LM ${cell}: one-hot and embedded, 1 and 2 layers`, async () => {
    for (const layers of [1, 2]) {
      await check(lm(cell, { layers }), { T: 6, B: 3 });
      await check(lm(cell, { layers, embed: 4 }), { T: 5, B: 2 });
    }
  });
  test(`${cell} classifier: bidirectional, padded batch, final state`, async () => {
    for (const layers of [1, 2]) {
      const cfg = { ...lm(cell, { layers, embed: 3, bidirectional: true }), outputSize: 4, outputMode: 'last' as const };
      await check(cfg, { T: 6, B: 3, lengths: [6, 2, 4] });
      await check({ ...cfg, bidirectional: false }, { T: 6, B: 3, lengths: [1, 6, 3] });
    }
  });
  test(`${cell} forecaster: dense inputs, padded batch, every step`, async () => {
    const cfg = { cell, hidden: 4, inputSize: 3, inputKind: 'dense' as const, outputSize: 2, head: 'mse' as const };
    await check({ ...cfg, layers: 2, bidirectional: true }, { T: 5, B: 3, lengths: [5, 3, 1] });
    await check(cfg, { T: 5, B: 2 });
  });
  test(`char-LM ${cell} with lengths: padded batch of text lines`, async () => {
    await check(lm(cell, { layers: 2 }), { T: 6, B: 3, lengths: [6, 4, 2] }, true);
  });
}

test('GRU with the reset gate before the product: linear_before_reset = 0, LM and bidirectional classifier', async () => {
  await check(lm('gru', { gruReset: 'before', layers: 2 }), { T: 6, B: 3 });
  await check({ ...lm('gru', { gruReset: 'before', embed: 3, bidirectional: true }), outputSize: 4, outputMode: 'last' }, { T: 6, B: 3, lengths: [6, 2, 4] });
});

test('LSTM with peepholes: input P, LM, bidirectional classifier, padded forecaster', async () => {
  await check(lm('lstm', { peephole: true, layers: 2 }), { T: 6, B: 3 });
  await check({ ...lm('lstm', { peephole: true, embed: 3, bidirectional: true }), outputSize: 4, outputMode: 'last' }, { T: 6, B: 3, lengths: [6, 2, 4] });
  await check({ cell: 'lstm', peephole: true, hidden: 4, inputSize: 3, inputKind: 'dense', outputSize: 2, head: 'mse', layers: 2 }, { T: 5, B: 3, lengths: [5, 3, 1] });
});

test('Elman activations: sigmoid and relu', async () => {
  for (const activation of ['sigmoid', 'relu'] as const) await check(lm('elman', { activation, layers: 2 }), { T: 4, B: 2 });
});

test('Jordan, Elman+Jordan and lagged cells: a Loop over one step', async () => {
  for (const cell of ['jordan', 'elman+jordan', 'elman'] as const) {
    const lags = cell === 'jordan' ? [] : [2, 3];
    for (const layers of [1, 2]) {
      await check(lm(cell, { layers, lags }), { T: 6, B: 3 });
      await check({ cell, lags, layers, hidden: 4, inputSize: 3, inputKind: 'dense', outputSize: 2, head: 'mse' }, { T: 6, B: 3, lengths: [6, 2, 4] });
    }
  }
  await check({ ...lm('elman', { lags: [2], embed: 3 }), outputSize: 3, outputMode: 'last' }, { T: 5, B: 3, lengths: [5, 1, 3] });
});
