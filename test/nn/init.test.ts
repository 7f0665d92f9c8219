import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { eigenvalues, spectralRadius } from '../../src/analysis/spectrum.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f64');
const make = (cfg: object) => new Model({ hidden: 6, inputSize: 3, outputSize: 3, ...cfg }, be).init(new Rng(3));

test('PyTorch default init: recurrent weights in ±1/√H, decoder in ±1/√fan_in', () => {
  const m = make({ cell: 'lstm' });
  const b = 1 / Math.sqrt(6);
  for (const name of ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0', 'decoder.weight']) {
    const v = Array.from(m.params.get(name));
    assert.ok(v.every((x) => Math.abs(x) <= b), name);
    assert.ok(Math.max(...v.map(Math.abs)) > b * 0.7, `${name} spans the range`);
  }
});

test('orthogonal recurrent blocks satisfy WᵀW = I', () => {
  const m = make({ cell: 'gru', init: 'orthogonal' });
  const W = m.params.get('rnn.weight_hh_l0'), H = 6;
  for (let g = 0; g < 3; g++) for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) {
    let s = 0;
    for (let k = 0; k < H; k++) s += W[g * H * H + k * H + i] * W[g * H * H + k * H + j];
    assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9);
  }
});

test('identity init (IRNN) and spectral-radius rescaling', () => {
  const irnn = make({ cell: 'elman', activation: 'relu', init: 'identity' });
  const W = irnn.params.get('rnn.weight_hh_l0');
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) assert.equal(W[i * 6 + j], i === j ? 1 : 0);
  assert.ok(Array.from(irnn.params.get('rnn.bias_ih_l0')).every((x) => x === 0));
  for (const rho of [0.5, 1.3]) {
    const m = make({ cell: 'elman', init: 'xavier', spectralRadius: rho });
    const r = spectralRadius(eigenvalues(m.params.get('rnn.weight_hh_l0'), 6));
    assert.ok(Math.abs(r - rho) < 1e-9, `radius ${r} vs ${rho}`);
  }
});

test('LSTM forget-gate bias initialisation', () => {
  const m = make({ cell: 'lstm', forgetBias: 1 });
  const bih = m.params.get('rnn.bias_ih_l0'), bhh = m.params.get('rnn.bias_hh_l0');
  for (let j = 6; j < 12; j++) assert.equal(bih[j] + bhh[j], 1);
});
