/**
 * Finite-difference gradient checks of every cell × activation × head × output mode × h0 mode × lags ×
 * full/truncated BPTT (and Jordan feedback, teacher forcing, stacks, bidirectional, padding, dropout).
 *
 * They run in float64 (JsBackend('f64')): central differences with ε = 1e-6 then have truncation error
 * ~ε² and rounding error ~1e-16/ε, so analytic and numeric gradients agree to ~1e-8 and the tolerance
 * (1e-6 relative + 1e-8 absolute) can catch a wrong term anywhere.
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

interface Case {
  config: Partial<ModelConfig>;
  T?: number;
  B?: number;
  lengths?: number[];
  /** Run one chunk first and check the second from the carried state (truncated BPTT). */
  truncated?: boolean;
  /** Check the gradient on dense inputs too. */
  inputGrad?: boolean;
}

function gradcheck(cs: Case): void {
  const T = cs.T ?? 4, B = cs.B ?? 2;
  const config: Partial<ModelConfig> = { hidden: 3, inputSize: 4, outputSize: 3, ...cs.config };
  const m = new Model(config, be).init(new Rng(7));
  // Make biases and learned h0 non-zero so that every term matters.
  const rng = new Rng(11);
  for (const v of m.params.views) if (/bias|h0|c0/.test(v.name)) for (let i = 0; i < v.size; i++) m.params.data[v.offset + i] = 0.3 * rng.normal();
  let state = m.newState(B, new Rng(3));
  if (cs.truncated) {
    m.forward(makeBatch(m, T, B, new Rng(5), cs.lengths), state, { train: true, rng: new Rng(9) });
  }
  const batch = makeBatch(m, T, B, new Rng(6), cs.lengths);
  const lossAt = (): number => m.forward(batch, cloneState(m, state), { train: true, rng: new Rng(4) })!.loss;

  const st = cloneState(m, state);
  m.forward(batch, st, { train: true, rng: new Rng(4) });
  m.zeroGrads();
  m.backward({ inputGrad: cs.inputGrad }); // includes a learned h0's gradient for the streams that started fresh
  const analytic = Float64Array.from(m.grads.data);
  const dx = cs.inputGrad ? Float64Array.from(m.dx.subarray(0, T * B * m.config.inputSize)) : null;

  const { checked, maxAbs } = checkParamGrads(m, analytic, lossAt, JSON.stringify(cs.config));
  if (dx && batch.inputs) checkInputGrads(batch.inputs as number[], dx, lossAt);
  assert.ok(checked > 20 && maxAbs > 1e-4, 'the check must exercise real gradients');
  state = st;
}

const simple = ['elman', 'jordan', 'elman+jordan'] as const;
const heads = [
  { head: 'softmax', outputMode: 'every' },
  { head: 'mse', outputMode: 'every' },
  { head: 'softmax', outputMode: 'last' },
  { head: 'mse', outputMode: 'last' },
] as const;

for (const cell of [...simple, 'lstm', 'gru'] as const) {
  const acts = cell === 'lstm' || cell === 'gru' ? (['tanh'] as const) : (['tanh', 'sigmoid', 'relu'] as const);
  for (const activation of acts) for (const h of heads) for (const h0 of ['zero', 'random', 'learned'] as const) {
    test(`gradcheck ${cell}/${activation} ${h.head}-${h.outputMode} h0=${h0}`, () => {
      gradcheck({ config: { cell, activation, ...h, h0, inputKind: 'dense', inputSize: 2 }, inputGrad: true });
    });
  }
  test(`gradcheck ${cell}: one-hot tokens, truncated BPTT (carried state, cut gradient)`, () => {
    gradcheck({ config: { cell, inputKind: 'tokens', inputSize: 5, outputSize: 5 }, truncated: true });
  });
  test(`gradcheck ${cell}: embedding, 2 layers, dropout, learned h0`, () => {
    gradcheck({ config: { cell, inputKind: 'tokens', inputSize: 5, outputSize: 5, embed: 3, layers: 2, dropout: 0.3, h0: 'learned' } });
  });
  test(`gradcheck ${cell}: padded sequences, target at each real end`, () => {
    gradcheck({ config: { cell, inputKind: 'dense', inputSize: 2, outputMode: 'last', h0: 'learned' }, T: 5, B: 3, lengths: [5, 2, 4], inputGrad: true });
  });
  test(`gradcheck ${cell}: padded sequences, targets at every real step`, () => {
    gradcheck({ config: { cell, inputKind: 'dense', inputSize: 2 }, T: 5, B: 3, lengths: [3, 5, 1] });
  });
  if (cell === 'lstm' || cell === 'gru' || cell === 'elman') {
    test(`gradcheck ${cell}: bidirectional, 2 layers, padded`, () => {
      gradcheck({ config: { cell, inputKind: 'dense', inputSize: 2, bidirectional: true, layers: 2, outputMode: 'last', dropout: 0.2 }, T: 4, B: 3, lengths: [4, 1, 3], inputGrad: true });
    });
  }
}

// GRU with the reset gate before the recurrent product (ONNX's default GRU): its own backward pass.
test('gradcheck gru reset-before: dense inputs, every head and h0 mode, truncated, stacked, bidirectional, padded', () => {
  const gru = { cell: 'gru', gruReset: 'before' } as const;
  for (const h of heads) for (const h0 of ['zero', 'random', 'learned'] as const) gradcheck({ config: { ...gru, ...h, h0, inputKind: 'dense', inputSize: 2 }, inputGrad: true });
  gradcheck({ config: { ...gru, inputKind: 'tokens', inputSize: 5, outputSize: 5 }, truncated: true });
  gradcheck({ config: { ...gru, inputKind: 'tokens', inputSize: 5, outputSize: 5, embed: 3, layers: 2, dropout: 0.3, h0: 'learned' } });
  gradcheck({ config: { ...gru, inputKind: 'dense', inputSize: 2 }, T: 5, B: 3, lengths: [3, 5, 1] });
  gradcheck({ config: { ...gru, inputKind: 'dense', inputSize: 2, bidirectional: true, layers: 2, outputMode: 'last' }, T: 4, B: 3, lengths: [4, 1, 3], inputGrad: true });
});

// LSTM with peepholes (ONNX's P): every gradient, the peephole weights' included.
test('gradcheck lstm peephole: dense inputs, every head and h0 mode, truncated, stacked, bidirectional, padded', () => {
  const lstm = { cell: 'lstm', peephole: true } as const;
  for (const h of heads) for (const h0 of ['zero', 'random', 'learned'] as const) gradcheck({ config: { ...lstm, ...h, h0, inputKind: 'dense', inputSize: 2 }, inputGrad: true });
  gradcheck({ config: { ...lstm, inputKind: 'tokens', inputSize: 5, outputSize: 5, h0: 'random' }, truncated: true });
  gradcheck({ config: { ...lstm, inputKind: 'tokens', inputSize: 5, outputSize: 5, embed: 3, layers: 2, dropout: 0.3, h0: 'learned' } });
  gradcheck({ config: { ...lstm, inputKind: 'dense', inputSize: 2 }, T: 5, B: 3, lengths: [3, 5, 1] });
  gradcheck({ config: { ...lstm, inputKind: 'dense', inputSize: 2, bidirectional: true, layers: 2, outputMode: 'last' }, T: 4, B: 3, lengths: [4, 1, 3], inputGrad: true });
});

for (const cell of ['elman', 'elman+jordan'] as const) {
  test(`gradcheck ${cell}: lags [2, 3], full and truncated, learned h0`, () => {
    gradcheck({ config: { cell, lags: [2, 3], h0: 'learned', inputKind: 'dense', inputSize: 2 }, T: 6, inputGrad: true });
    gradcheck({ config: { cell, lags: [2, 3], inputKind: 'tokens', inputSize: 4, outputSize: 4 }, T: 5, truncated: true });
  });
}

for (const cell of ['jordan', 'elman+jordan'] as const) {
  test(`gradcheck ${cell}: teacher forcing (previous target fed back)`, () => {
    gradcheck({ config: { cell, jordanFeed: 'target', inputKind: 'tokens', inputSize: 4, outputSize: 4 } });
    gradcheck({ config: { cell, jordanFeed: 'target', head: 'mse', inputKind: 'dense', inputSize: 2 }, truncated: true });
  });
  test(`gradcheck ${cell}: 2 layers with feedback into layer 0, truncated`, () => {
    gradcheck({ config: { cell, layers: 2, inputKind: 'tokens', inputSize: 4, outputSize: 4, dropout: 0.25 }, truncated: true });
  });
}

test('gradcheck catches a wrong gradient (the check itself can fail)', () => {
  const orig = JsBackend.prototype.elmanBackward;
  JsBackend.prototype.elmanBackward = function (this: JsBackend, ...args: Parameters<typeof orig>) {
    orig.apply(this, args);
    const [, B, H, , , , , dpre, dpreOff] = args;
    dpre[dpreOff + B * H - 1] *= 1.01;
  };
  try {
    assert.throws(() => gradcheck({ config: { cell: 'elman', inputKind: 'dense', inputSize: 2 } }), /analytic/);
  } finally {
    JsBackend.prototype.elmanBackward = orig;
  }
});
