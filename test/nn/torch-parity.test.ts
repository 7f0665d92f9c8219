/**
 * recur against PyTorch: forward values and every gradient, from fixtures written by
 * tools/gen_fixtures.py (torch.nn.RNN/LSTM/GRU, stacked, bidirectional, packed sequences, heads).
 * Tolerance as the issue states: relative 1e-4, absolute 1e-5.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { JsBackend } from '../../src/kernels/js.js';
import type { Backend, Buf } from '../../src/kernels/backend.js';
import { Model, type Batch } from '../../src/nn/model.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { backends } from '../helpers/backends.js';
import { assertClose } from '../helpers/close.js';

interface T { shape: number[]; data: number[] }
type Fixture = Record<string, any>;

const dir = new URL('../fixtures/torch/', import.meta.url);
const load = (name: string): Fixture => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
const cases = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'optim.json').map((f) => f.slice(0, -5));

function configOf(f: Fixture): Partial<ModelConfig> {
  const cell = f.module === 'LSTM' ? 'lstm' : f.module === 'GRU' ? 'gru' : 'elman';
  const base = { cell, activation: f.nonlinearity ?? 'tanh', hidden: f.hidden_size, layers: f.num_layers, bidirectional: f.bidirectional } as const;
  if (f.case.startsWith('lm_')) return { ...base, inputKind: 'tokens', inputSize: f.vocab_size, embed: f.embedding_dim, outputSize: f.vocab_size, head: 'softmax' };
  if (f.case.startsWith('reg_')) return { ...base, inputKind: 'dense', inputSize: f.input_size, outputSize: f.output_size, head: 'mse' };
  return { ...base, inputKind: 'dense', inputSize: f.input_size, outputSize: 1, head: 'mse' };
}

function runCase(be: Backend, f: Fixture): void {
  const model = new Model(configOf(f), be);
  const prefix = f.prefixed ? '' : 'rnn.';
  for (const [name, t] of Object.entries(f.params as Record<string, T>)) model.params.set(prefix + name, t.data);
  const T_ = f.seq_len, B = f.batch, H = f.hidden_size, D = f.bidirectional ? 2 : 1, L = f.num_layers;
  const state = model.newState(B);
  state.fresh.fill(0);
  state.h.forEach((h, i) => { for (let j = 0; j < B * H; j++) h[j] = f.h0.data[i * B * H + j]; });
  if (f.c0) state.c.forEach((c, i) => { for (let j = 0; j < B * H; j++) c[j] = f.c0.data[i * B * H + j]; });
  const batch: Batch = { T: T_, B };
  if (f.tokens) { batch.tokens = Int32Array.from(f.tokens.data); batch.targets = Int32Array.from(f.targets.data); }
  else batch.inputs = f.x.data;
  if (f.case.startsWith('reg_')) batch.targetValues = f.targets.data;
  if (f.lengths) batch.lengths = Int32Array.from(f.lengths);

  const loss = model.forward(batch, state, { train: true });
  model.zeroGrads();
  // Output (padded steps are zero in PyTorch; recur holds the state there, which no loss reads).
  const out = model.output(), W = D * H;
  const y = Array.from(out.buf.subarray(out.off, out.off + T_ * B * W));
  if (f.lengths) for (let t = 0; t < T_; t++) for (let b = 0; b < B; b++) if (t >= f.lengths[b]) for (let j = 0; j < W; j++) y[(t * B + b) * W + j] = 0;
  assertClose(y, f.output.data, `${f.case} output`);
  const hn = state.h.flatMap((h) => Array.from(h.subarray(0, B * H)));
  assertClose(hn, f.h_n.data, `${f.case} h_n`);
  if (f.c_n) assertClose(state.c.flatMap((c) => Array.from(c)), f.c_n.data, `${f.case} c_n`);

  if (f.logits) assertClose(model.logits.subarray(0, T_ * B * f.vocab_size), f.logits.data, `${f.case} logits`);
  if (f.pred) assertClose(model.logits.subarray(0, T_ * B), f.pred.data, `${f.case} pred`);

  if (f.loss_weights) {
    // loss = Σ output·R + Σ h_n·R_h (+ Σ c_n·R_c): its gradients are R on each of those tensors.
    const R = f.loss_weights;
    const dOutput = be.alloc(T_ * B * W);
    dOutput.set(R.output.data);
    const slice = (a: number[], i: number): Buf => { const b = be.alloc(B * H); b.set(a.slice(i * B * H, (i + 1) * B * H)); return b; };
    const n = L * D;
    const dhFinal = Array.from({ length: n }, (_, i) => slice(R.h_n.data, i));
    const dcFinal = R.c_n ? Array.from({ length: n }, (_, i) => slice(R.c_n.data, i)) : undefined;
    let expected = 0;
    for (let i = 0; i < y.length; i++) expected += y[i] * R.output.data[i];
    for (let i = 0; i < hn.length; i++) expected += hn[i] * R.h_n.data[i];
    if (f.c_n) { const cn = state.c.flatMap((c) => Array.from(c)); for (let i = 0; i < cn.length; i++) expected += cn[i] * R.c_n.data[i]; }
    assertClose([expected], [f.loss], `${f.case} loss`, 1e-4, 1e-4);
    model.backward({ dOutput, dhFinal, dcFinal, inputGrad: true });
  } else {
    assertClose([loss!.loss], [f.loss], `${f.case} loss`);
    model.backward({ inputGrad: true });
  }

  for (const [name, t] of Object.entries(f.grads as Record<string, T>)) {
    if (name === 'x') assertClose(model.dx.subarray(0, t.data.length), t.data, `${f.case} grad x`);
    else if (name === 'h0' || name === 'c0') {
      const g = model.initialStateGrads();
      assertClose((name === 'h0' ? g.h : g.c).flatMap((b) => Array.from(b)), t.data, `${f.case} grad ${name}`);
    } else assertClose(model.grads.get(prefix + name), t.data, `${f.case} grad ${name}`);
  }
}

for (const { name: beName, make } of backends()) {
  for (const name of cases) {
    test(`PyTorch parity [${beName}]: ${name}`, async () => runCase(await make(), load(`${name}.json`)));
  }
}

test('the fixtures cover every cell, stack, direction, packing and head', () => {
  for (const want of ['rnn_tanh_l2_bi', 'rnn_relu_l1_uni', 'lstm_l2_bi_packed', 'gru_l1_uni_packed', 'lm_lstm', 'lm_gru', 'lm_rnn_tanh', 'reg_gru']) {
    assert.ok(cases.includes(want), `missing fixture ${want}`);
  }
  void JsBackend;
});
