/**
 * Finite-difference gradient checks of the regularisers (float64 JS backend): locked dropout on the
 * input, between layers and on the output, embedding dropout, DropConnect on W_hh, tied weights, AR
 * and TAR. Every forward draws its masks from a fresh generator of the same seed, so the masks are
 * fixed while the parameters move; the objective is the cross-entropy (or squared error) plus AR + TAR.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model, type Batch, type RecurrentState } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { checkInputGrads, checkParamGrads } from '../helpers/fd-check.js';
import { cloneState, makeBatch } from '../helpers/model-batch.js';

const be = new JsBackend('f64');

interface Case { config: Partial<ModelConfig>; T?: number; B?: number; truncated?: boolean; inputGrad?: boolean; lengths?: number[] }

function gradcheck(cs: Case): void {
  const T = cs.T ?? 5, B = cs.B ?? 3;
  const m = new Model({ hidden: 3, inputSize: 4, outputSize: 3, ...cs.config }, be).init(new Rng(7));
  const rng = new Rng(11);
  for (const v of m.params.views) if (/bias|h0|c0/.test(v.name)) for (let i = 0; i < v.size; i++) m.params.data[v.offset + i] = 0.3 * rng.normal();
  const state = m.newState(B, new Rng(3));
  if (cs.truncated) m.forward(makeBatch(m, T, B, new Rng(5), cs.lengths), state, { train: true, rng: new Rng(9) });
  const batch = makeBatch(m, T, B, new Rng(6), cs.lengths);
  const objective = (): number => m.forward(batch, cloneState(m, state), { train: true, rng: new Rng(4) })!.loss + m.regLoss;

  objective();
  m.zeroGrads();
  m.backward({ inputGrad: cs.inputGrad });
  const analytic = Float64Array.from(m.grads.data);
  const dx = cs.inputGrad ? Float64Array.from(m.dx.subarray(0, T * B * m.config.inputSize)) : null;
  const c = m.config;
  if (c.ar > 0 || c.tar > 0) assert.ok(m.regLoss > 0, 'AR/TAR must add to the objective');

  const { checked, maxAbs } = checkParamGrads(m, analytic, objective, JSON.stringify(cs.config), 'objective');
  if (dx && batch.inputs) checkInputGrads(batch.inputs as number[], dx, objective, 'objective');
  assert.ok(checked > 20 && maxAbs > 1e-4, 'the check must exercise real gradients');
}

const tokens = { inputKind: 'tokens', inputSize: 5, outputSize: 5, embed: 3 } as const;
const all = { dropout: 0.3, dropoutInput: 0.3, dropoutOutput: 0.3, dropoutEmbed: 0.3, weightDrop: 0.4, ar: 0.5, tar: 0.7 } as const;

for (const cell of ['elman', 'lstm', 'gru'] as const) {
  test(`reg gradcheck ${cell}: every regulariser at once, 2 layers, embedding`, () => {
    gradcheck({ config: { cell, ...tokens, layers: 2, ...all } });
  });
  test(`reg gradcheck ${cell}: tied weights, every regulariser, truncated BPTT`, () => {
    gradcheck({ config: { cell, ...tokens, layers: 2, ...all, tieWeights: true }, truncated: true });
  });
  test(`reg gradcheck ${cell}: each regulariser alone`, () => {
    for (const [k, v] of Object.entries(all)) gradcheck({ config: { cell, ...tokens, layers: 2, [k]: v } });
    gradcheck({ config: { cell, ...tokens, tieWeights: true } });
  });
}

test('reg gradcheck gru reset-before: weight drop, output dropout, AR/TAR', () => {
  gradcheck({ config: { cell: 'gru', gruReset: 'before', ...tokens, layers: 2, ...all } });
});

test('reg gradcheck: bidirectional dense inputs, padded, gradient on the inputs through input dropout', () => {
  for (const cell of ['lstm', 'elman'] as const) {
    gradcheck({ config: { cell, inputKind: 'dense', inputSize: 2, bidirectional: true, layers: 2, dropout: 0.3, dropoutInput: 0.4, dropoutOutput: 0.3, weightDrop: 0.3, ar: 0.4, tar: 0.6, head: 'mse' }, T: 4, B: 3, lengths: [4, 2, 3], inputGrad: true });
  }
});

test('reg gradcheck: Jordan feedback (step by step), locked dropout between layers, weight drop, AR/TAR', () => {
  for (const cell of ['jordan', 'elman+jordan'] as const) {
    gradcheck({ config: { cell, ...tokens, layers: 2, dropout: 0.3, dropoutInput: 0.3, dropoutEmbed: 0.3, weightDrop: 0.4, ar: 0.5, tar: 0.7 } });
  }
});
