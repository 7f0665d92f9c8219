import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gradFlow } from '../../src/analysis/gradflow.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Model, type Batch } from '../../src/nn/model.js';
import { sliceTime } from '../../src/train/bptt.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f64');

function denseBatch(T: number, B: number, F: number, O: number, every: boolean, rng: Rng): Batch {
  const inputs = Float64Array.from({ length: T * B * F }, () => rng.normal());
  const targetValues = Float64Array.from({ length: (every ? T * B : B) * O }, () => rng.normal());
  return { T, B, inputs, targetValues };
}

/**
 * An independent BPTT for a one-layer tanh Elman network with an MSE head on the last step, written
 * from the equations with plain arrays: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),
 * y = W_dec h_{T−1} + b_dec, L = mean over (b, o) of (y − z)², then dh_{t−1} = W_hhᵀ ((1 − h_t²) ⊙ dh_t).
 */
function manualElmanGradNorms(model: Model, batch: Batch): number[] {
  const { T, B } = batch, c = model.config, H = c.hidden, F = c.inputSize, O = c.outputSize;
  const p = (n: string) => Array.from(model.params.get(n));
  const Wih = p('rnn.weight_ih_l0'), Whh = p('rnn.weight_hh_l0'), bih = p('rnn.bias_ih_l0'), bhh = p('rnn.bias_hh_l0');
  const Wd = p('decoder.weight'), bd = p('decoder.bias');
  const x = batch.inputs!, z = batch.targetValues!;
  const hs: number[][][] = []; // [t][b][j]
  for (let t = 0; t < T; t++) {
    hs.push([]);
    for (let b = 0; b < B; b++) {
      const row: number[] = [];
      for (let j = 0; j < H; j++) {
        let s = bih[j] + bhh[j];
        for (let k = 0; k < F; k++) s += Wih[j * F + k] * x[(t * B + b) * F + k];
        if (t > 0) for (let k = 0; k < H; k++) s += Whh[j * H + k] * hs[t - 1][b][k];
        row.push(Math.tanh(s));
      }
      hs[t].push(row);
    }
  }
  let dh: number[][] = [];
  for (let b = 0; b < B; b++) {
    const d = new Array<number>(H).fill(0);
    for (let o = 0; o < O; o++) {
      let y = bd[o];
      for (let j = 0; j < H; j++) y += Wd[o * H + j] * hs[T - 1][b][j];
      const dy = (2 * (y - z[b * O + o])) / (B * O);
      for (let j = 0; j < H; j++) d[j] += dy * Wd[o * H + j];
    }
    dh.push(d);
  }
  const norms = new Array<number>(T);
  for (let t = T - 1; t >= 0; t--) {
    norms[t] = Math.hypot(...dh.flat());
    if (t === 0) break;
    dh = dh.map((d, b) => {
      const dpre = d.map((v, j) => v * (1 - hs[t][b][j] ** 2));
      return Array.from({ length: H }, (_, k) => dpre.reduce((s, v, j) => s + v * Whh[j * H + k], 0));
    });
  }
  return norms;
}

function assertClose(got: number[], want: number[], tol: number): void {
  assert.equal(got.length, want.length);
  got.forEach((g, t) => assert.ok(Math.abs(g - want[t]) <= tol * Math.max(1e-12, Math.abs(want[t])), `t=${t}: ${g} vs ${want[t]}`));
}

test('gradflow equals an independent hand-written BPTT (tanh Elman, loss at the end)', () => {
  const rng = new Rng(1);
  const model = new Model({ cell: 'elman', hidden: 5, inputKind: 'dense', inputSize: 2, outputSize: 2, head: 'mse', outputMode: 'last' }, be).init(rng);
  const batch = denseBatch(12, 3, 2, 2, false, rng);
  const g = gradFlow(model, batch);
  assertClose(g.grad_norms, manualElmanGradNorms(model, batch), 1e-10);
  assert.ok(Math.abs(g.ratio - g.grad_norms[11] / g.grad_norms[0]) < 1e-12);
  assert.ok(Math.abs(g.per_step ** 11 - g.grad_norms[0] / g.grad_norms[11]) < 1e-9);
});

/**
 * Finite differences that never touch the backward pass: run the model forward to step t, perturb one
 * coordinate of the carried top-layer state h_t, run the rest forward, and read the loss at the last step
 * off the outputs (other carried state, e.g. the LSTM cell c_t, held fixed: ∂L/∂h_t is a partial derivative).
 */
function finiteDifferenceNorms(model: Model, batch: Batch, lossAtEnd: (m: Model, chunk: Batch) => number): number[] {
  const c = model.config, { T, B } = batch, H = c.hidden, eps = 1e-6;
  const F = c.inputKind === 'dense' ? c.inputSize : 1, every = c.outputMode === 'every';
  const top = (c.layers - 1) * model.D;
  const norms: number[] = [];
  for (let t = 0; t < T - 1; t++) {
    const head = sliceTime(batch, 0, t + 1, F, c.outputSize, every), rest = sliceTime(batch, t + 1, T, F, c.outputSize, every);
    const base = model.newState(B);
    model.forward(head, base, { carry: true });
    let sq = 0;
    for (let i = 0; i < B * H; i++) {
      const f = (delta: number): number => {
        const st = model.newState(B);
        st.h.forEach((h, k) => h.set(base.h[k]));
        st.c.forEach((cc, k) => cc.set(base.c[k]));
        st.fresh.fill(0);
        st.h[top][i] += delta; // block 0 of the top layer's history is h_t
        model.forward(rest, st, { carry: false });
        return lossAtEnd(model, rest);
      };
      const d = (f(eps) - f(-eps)) / (2 * eps);
      sq += d * d;
    }
    norms.push(Math.sqrt(sq));
  }
  return norms;
}

const mseLast = (m: Model, chunk: Batch): number => {
  const O = m.config.outputSize, B = chunk.B, every = m.config.outputMode === 'every', row0 = every ? (chunk.T - 1) * B : 0;
  let s = 0;
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) {
    s += (m.logits[(row0 + b) * O + o] - chunk.targetValues![(row0 + b) * O + o]) ** 2;
  }
  return s / (B * O);
};

const ceLast = (m: Model, chunk: Batch): number => {
  const O = m.config.outputSize, B = chunk.B, row0 = (chunk.T - 1) * B;
  let s = 0;
  for (let b = 0; b < B; b++) {
    const r = (row0 + b) * O;
    let mx = -Infinity;
    for (let k = 0; k < O; k++) mx = Math.max(mx, m.logits[r + k]);
    let z = 0;
    for (let k = 0; k < O; k++) z += Math.exp(m.logits[r + k] - mx);
    s += mx + Math.log(z) - m.logits[r + chunk.targets![row0 + b]];
  }
  return s / B;
};

const cases: { name: string; cfg: Partial<ModelConfig>; every: boolean }[] = [
  { name: 'LSTM, MSE on the last step', cfg: { cell: 'lstm', forgetBias: 1 }, every: false },
  { name: 'GRU, regression at every step (only the last one counted)', cfg: { cell: 'gru' }, every: true },
  { name: 'two-layer ReLU Elman with identity W_hh (top layer)', cfg: { cell: 'elman', activation: 'relu', init: 'identity', layers: 2 }, every: false },
];

for (const { name, cfg, every } of cases) {
  test(`gradflow equals finite differences on h_t: ${name}`, () => {
    const rng = new Rng(7);
    const model = new Model({ ...cfg, hidden: 4, inputKind: 'dense', inputSize: 3, outputSize: 2, head: 'mse', outputMode: every ? 'every' : 'last' }, be).init(rng);
    if (cfg.init === 'identity') for (let i = 0; i < model.params.size; i++) model.params.data[i] += 0.05 * rng.normal(); // off the ReLU kinks' symmetry
    const batch = denseBatch(7, 2, 3, 2, every, rng);
    const g = gradFlow(model, batch);
    assertClose(g.grad_norms.slice(0, -1), finiteDifferenceNorms(model, batch, mseLast), 1e-6);
  });
}

test('gradflow equals finite differences for a token model with a softmax at every step (loss only at the end)', () => {
  const rng = new Rng(3);
  const model = new Model({ cell: 'elman', hidden: 4, inputKind: 'tokens', inputSize: 5, embed: 3, outputSize: 5, head: 'softmax', outputMode: 'every' }, be).init(rng);
  const T = 6, B = 2;
  const tokens = Int32Array.from({ length: T * B }, () => rng.int(5)), targets = Int32Array.from({ length: T * B }, () => rng.int(5));
  const batch: Batch = { T, B, tokens, targets };
  const g = gradFlow(model, batch);
  assertClose(g.grad_norms.slice(0, -1), finiteDifferenceNorms(model, batch, ceLast), 1e-6);
  // The loss is the last step's only: targets elsewhere make no difference.
  const other = Int32Array.from(targets);
  for (let i = 0; i < (T - 1) * B; i++) other[i] = (other[i] + 1) % 5;
  assert.deepEqual(gradFlow(model, { ...batch, targets: other }).grad_norms, g.grad_norms);
});

test('gradflow leaves the caller\'s state and the gradient buffer alone', () => {
  const rng = new Rng(4);
  const model = new Model({ cell: 'gru', hidden: 3, inputKind: 'dense', inputSize: 2, outputSize: 1, head: 'mse', outputMode: 'last' }, be).init(rng);
  const batch = denseBatch(5, 2, 2, 1, false, rng);
  const st = model.newState(2);
  st.h[0].fill(0.3);
  const a = gradFlow(model, batch, { state: st });
  assert.deepEqual([...st.h[0]], new Array(6).fill(0.3));
  assert.ok(model.grads.data.every((v) => v === 0));
  const b = gradFlow(model, batch);
  assert.notDeepEqual(a.grad_norms, b.grad_norms); // the start state matters…
  assert.deepEqual(gradFlow(model, batch, { state: st }).grad_norms, a.grad_norms); // …and the probe is repeatable
  assert.throws(() => gradFlow(model, batch, { layer: 1 }), /layer 1 does not exist/);
});

test('a small W_hh makes the gradient vanish and a large one makes it grow', () => {
  // ReLU units kept in their linear region (positive weights and inputs), W_hh = scale·I: every step
  // back multiplies the gradient by exactly `scale`.
  for (const [scale, vanishing] of [[0.5, true], [1.5, false]] as const) {
    const model = new Model({ cell: 'elman', activation: 'relu', hidden: 3, inputKind: 'dense', inputSize: 1, outputSize: 1, head: 'mse', outputMode: 'last' }, be).init(new Rng(1));
    model.params.get('rnn.weight_ih_l0').fill(1);
    model.params.get('rnn.bias_ih_l0').fill(0);
    model.params.get('rnn.bias_hh_l0').fill(0);
    const W = model.params.get('rnn.weight_hh_l0');
    W.fill(0);
    for (let i = 0; i < 3; i++) W[i * 4] = scale;
    const inputs = Float64Array.from({ length: 10 }, (_, t) => 1 + t / 10);
    const g = gradFlow(model, { T: 10, B: 1, inputs, targetValues: [0] });
    assert.ok(Math.abs(g.per_step - scale) < 1e-9, `per step ${g.per_step}`);
    assert.equal(g.ratio > 1, vanishing);
  }
});
