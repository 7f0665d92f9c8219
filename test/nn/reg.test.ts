/**
 * Exact properties of the regularisers: locked masks are the same at every step of a chunk and new
 * for the next one, embedding dropout removes whole symbols, DropConnect runs on W ⊙ m in training
 * and on W in evaluation, AR/TAR never change the reported loss and equal their formulas, tied
 * weights are one tensor (in the model and in the file) read under both names, and impossible
 * settings are refused with one sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeModel, encodeModel } from '../../src/io/model-file.js';
import { ConfigError, makeConfig, type ModelConfig } from '../../src/nn/config.js';
import { LockedDropout } from '../../src/nn/locked-dropout.js';
import { Model, tensorSpecs, type Batch } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f64');
const T = 6, B = 4, V = 7;

function lm(extra: Partial<ModelConfig>): Model {
  return new Model({ cell: 'lstm', hidden: 8, embed: 8, inputKind: 'tokens', inputSize: V, outputSize: V, ...extra }, be).init(new Rng(1));
}
function batch(seed = 2): Batch {
  const r = new Rng(seed);
  return { T, B, tokens: Int32Array.from({ length: T * B }, () => r.int(V)), targets: Int32Array.from({ length: T * B }, () => r.int(V)) };
}
const dense = (m: Model, l: number): Float64Array => {
  const inp = m.layers[l][0].input!;
  assert.equal(inp.kind, 'dense');
  if (inp.kind !== 'dense') throw new Error('dense input expected');
  return Float64Array.from(inp.buf.subarray(inp.off, inp.off + T * B * inp.ld));
};
/** Which (stream, unit) pairs are zero at step t of a [T·B×W] block. */
const zeros = (x: Float64Array, W: number, t: number): string =>
  Array.from(x.subarray(t * B * W, (t + 1) * B * W), (v) => (v === 0 ? '0' : '1')).join('');

test('locked dropout: one mask per stream per chunk, values 0 or 1/(1−p), about p dropped', () => {
  const d = new LockedDropout(be, 50);
  d.ensure(T, 40);
  d.draw(new Rng(3), 0.3);
  const n = 40 * 50, m = d.mask;
  for (let t = 1; t < T; t++) for (let i = 0; i < n; i++) assert.equal(m[t * n + i], m[i]);
  let dropped = 0;
  for (let i = 0; i < n; i++) { assert.ok(m[i] === 0 || Math.abs(m[i] - 1 / 0.7) < 1e-12); if (m[i] === 0) dropped++; }
  assert.ok(Math.abs(dropped / n - 0.3) < 0.04, `dropped ${dropped / n}`);
});

test('between layers, on the input and on the output: the same units dropped at every step, fresh masks next chunk', () => {
  const m = lm({ layers: 2, dropout: 0.5, dropoutInput: 0.5, dropoutOutput: 0.5 });
  const st = m.newState(B), rng = new Rng(5), W = 8;
  m.forward(batch(), st, { train: true, rng });
  const head = m.stack.headInput(), top = m.output();
  const first = [dense(m, 0), dense(m, 1), Float64Array.from(head.buf.subarray(head.off, head.off + T * B * W))];
  assert.notEqual(head.buf, top.buf, 'the head reads the dropped output');
  for (const x of first) {
    const z0 = zeros(x, W, 0);
    assert.ok(z0.includes('0') && z0.includes('1'));
    for (let t = 1; t < T; t++) assert.equal(zeros(x, W, t), z0, 'a locked mask drops the same units at every step');
  }
  // The head reads the top output through the same kind of mask: logits differ from evaluation's.
  m.forward(batch(), st, { train: true, rng });
  assert.notEqual(zeros(dense(m, 1), W, 0), zeros(first[1], W, 0), 'the next chunk draws a new mask');
});

test('embedding dropout drops whole symbols: a symbol is zero at every occurrence or at none', () => {
  const m = lm({ dropoutEmbed: 0.4 });
  const b = batch(7);
  m.forward(b, m.newState(B), { train: true, rng: new Rng(8) });
  const x = dense(m, 0), E = 8, seen = new Map<number, boolean>();
  let dropped = 0;
  for (let i = 0; i < T * B; i++) {
    const row = x.subarray(i * E, (i + 1) * E), zero = row.every((v) => v === 0), id = b.tokens![i];
    if (seen.has(id)) assert.equal(zero, seen.get(id), `symbol ${id}`);
    seen.set(id, zero);
    if (zero) dropped++;
  }
  assert.ok(dropped > 0 && dropped < T * B);
});

test('weight drop: training runs on W_hh ⊙ m, evaluation on the full weights', () => {
  const plain = lm({ layers: 2 }), m = lm({ layers: 2, weightDrop: 0.5 });
  m.params.data.set(plain.params.data);
  const evalLoss = (x: Model): number => x.forward(batch(), x.newState(B), { train: false })!.loss;
  assert.equal(evalLoss(m), evalLoss(plain));
  const trainLoss = m.forward(batch(), m.newState(B), { train: true, rng: new Rng(4) })!.loss;
  assert.notEqual(trainLoss, evalLoss(plain));
  for (const row of m.layers) {
    const L = row[0], r = L.whh, W = m.params.get(L.names.whh);
    let dropped = 0;
    for (let i = 0; i < W.length; i++) {
      const v = r.w[r.off + i];
      assert.ok(v === 0 || Math.abs(v - 2 * W[i]) < 1e-12);
      if (v === 0) dropped++;
    }
    assert.ok(dropped > 0.35 * W.length && dropped < 0.65 * W.length);
  }
  assert.equal(evalLoss(m), evalLoss(plain), 'after a training chunk, evaluation is back on the full weights');
});

test('AR and TAR: the reported loss stays the cross-entropy; regLoss is α·mean(y²) + β·mean(Δh²)', () => {
  const base = lm({ layers: 1 }), m = lm({ ar: 2, tar: 3 });
  m.params.data.set(base.params.data);
  const b = batch();
  const ce = base.forward(b, base.newState(B), { train: true })!.loss;
  assert.equal(m.forward(b, m.newState(B), { train: true })!.loss, ce);
  const o = m.output(), H = 8, n = T * B * H, h = o.buf.subarray(o.off, o.off + n);
  let ar = 0, tar = 0;
  for (let i = 0; i < n; i++) ar += h[i] * h[i];
  for (let i = B * H; i < n; i++) tar += (h[i] - h[i - B * H]) ** 2;
  const expected = (2 * ar) / n + (3 * tar) / (n - B * H);
  assert.ok(Math.abs(m.regLoss - expected) < 1e-12 * expected, `${m.regLoss} vs ${expected}`);
  m.forward(b, m.newState(B), { train: false });
  assert.equal(m.regLoss, 0, 'evaluation adds nothing');
});

test('tied weights: one tensor, decoder.weight names the embedding, logits = h Eᵀ + c, the file holds it once', () => {
  const m = lm({ tieWeights: true });
  const names = tensorSpecs(m.config).map((s) => s.name);
  assert.ok(names.includes('embedding.weight') && !names.includes('decoder.weight'));
  assert.deepEqual(m.params.names(), names);
  assert.equal(m.params.offset('decoder.weight'), m.params.offset('embedding.weight'));
  assert.equal(m.grads.offset('decoder.weight'), m.grads.offset('embedding.weight'));
  const b = batch();
  m.forward(b, m.newState(B), { train: false });
  const E = m.params.get('embedding.weight'), c = m.params.get('decoder.bias'), o = m.output();
  for (let r = 0; r < T * B; r += 5) for (let v = 0; v < V; v++) {
    let s = c[v];
    for (let j = 0; j < 8; j++) s += o.buf[o.off + r * 8 + j] * E[v * 8 + j];
    assert.ok(Math.abs(m.logits[r * V + v] - s) < 1e-12);
  }
  const back = decodeModel(encodeModel(m), be).model;
  assert.deepEqual(back.params.names(), names);
  assert.equal(back.config.tieWeights, true);
  // The file stores float32: the read-back model is the same up to that rounding.
  assert.deepEqual(Array.from(back.params.get('decoder.weight')), Array.from(E, Math.fround));
  back.forward(b, back.newState(B), { train: false });
  for (let i = 0; i < T * B * V; i++) assert.ok(Math.abs(back.logits[i] - m.logits[i]) < 1e-5);
});

test('defaults draw nothing: a training chunk without regularisers needs no generator and matches evaluation', () => {
  const m = lm({ layers: 2 }), b = batch();
  const a = m.forward(b, m.newState(B), { train: true })!.loss;
  assert.equal(a, m.forward(b, m.newState(B), { train: false })!.loss);
  assert.throws(() => lm({ weightDrop: 0.2 }).forward(b, m.newState(B), { train: true }), /random generator/);
});

test('impossible regularisation settings are refused with one sentence', () => {
  const base = { cell: 'lstm', hidden: 8, inputKind: 'tokens', inputSize: V, outputSize: V } as const;
  const cases: [Partial<ModelConfig>, RegExp][] = [
    [{ dropoutInput: 1 }, /input dropout must be in \[0, 1\)/],
    [{ dropoutOutput: -0.1 }, /output dropout/],
    [{ weightDrop: 1.5 }, /weight drop/],
    [{ ar: -1 }, /AR must be a non-negative number/],
    [{ tar: Number.NaN }, /TAR must be/],
    [{ dropoutEmbed: 0.1 }, /needs an embedding/],
    [{ dropoutInput: 0.1 }, /needs an embedding/],
    [{ embed: 8, dropoutOutput: 0.2, outputMode: 'last' }, /output dropout/],
    [{ cell: 'jordan', embed: 8, dropoutOutput: 0.2 }, /output dropout/],
    [{ tieWeights: true }, /need an embedding/],
    [{ embed: 4, tieWeights: true }, /embedding width \(4\) to equal the last layer's output width \(8\)/],
    [{ embed: 8, outputSize: 3, tieWeights: true }, /as many outputs as input symbols/],
  ];
  for (const [c, re] of cases) assert.throws(() => makeConfig({ ...base, ...c }), (e: Error) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'));
});
