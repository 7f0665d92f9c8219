/**
 * How the exports see a regularised model: the regularisers act only in training, so the ONNX graph
 * of a model trained with them is the plain model's; a tied model exports its shared matrix under
 * both names (the embedding's gather and the decoder's product), and onnxruntime agrees with recur.
 */
import { test } from 'node:test';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model } from '../../src/nn/model.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { Rng } from '../../src/util/rng.js';
import { assertAgree, runOnnx, runRecur, type Case } from '../onnx/run.js';

const be = new JsBackend('f32');

async function check(config: Partial<ModelConfig>, cs: Case): Promise<void> {
  const model = new Model(config, be).init(new Rng(3));
  const { bytes } = exportOnnx(model, {});
  assertAgree(model, cs, runRecur(model, cs), await runOnnx(bytes, model, cs), 2e-5, JSON.stringify(config));
}

const reg = { dropout: 0.3, dropoutInput: 0.2, dropoutOutput: 0.4, dropoutEmbed: 0.1, weightDrop: 0.5, ar: 2, tar: 1 } as const;

for (const cell of ['lstm', 'gru', 'elman'] as const) {
  test(`ONNX export of a tied, regularised ${cell} agrees with onnxruntime`, async () => {
    await check({ cell, hidden: 6, embed: 6, layers: 2, inputSize: 9, outputSize: 9, inputKind: 'tokens', tieWeights: true, ...reg }, { T: 5, B: 3 });
  });
}
