/**
 * The feed-forward baselines: finite-difference gradient checks of every pooling × (hidden layer or
 * linear) × head, in float64 so that a wrong term anywhere shows; what each pooling sees; and the
 * refusals of impossible configurations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import type { Batch } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { featureSize, makeMlpConfig, Mlp, type MlpConfig } from '../../src/tasks/baselines.js';

const be64 = new JsBackend('f64');
const be32 = new JsBackend('f32');

/** A padded time-major batch: sequences of the given lengths, padding −1 (tokens) or 0 (dense). */
function makeBatch(c: MlpConfig, lengths: number[], rng: Rng): Batch {
  const B = lengths.length, T = Math.max(...lengths);
  const batch: Batch = { T, B, lengths: Int32Array.from(lengths) };
  if (c.inputKind === 'tokens') {
    batch.tokens = new Int32Array(T * B).fill(-1);
    for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) batch.tokens[t * B + b] = rng.int(c.inputSize);
  } else {
    const x = new Float64Array(T * B * c.inputSize);
    for (let b = 0; b < B; b++) for (let t = 0; t < lengths[b]; t++) for (let j = 0; j < c.inputSize; j++) x[(t * B + b) * c.inputSize + j] = rng.normal();
    batch.inputs = x;
  }
  if (c.head === 'softmax') batch.targets = Int32Array.from({ length: B }, () => rng.int(c.outputSize));
  else batch.targetValues = Float64Array.from({ length: B * c.outputSize }, () => rng.normal());
  return batch;
}

function gradcheck(partial: Partial<MlpConfig>): void {
  const m = new Mlp(partial, be64).init(new Rng(3));
  const P = m.params.data, rng = new Rng(5);
  for (let i = 0; i < m.params.size; i++) P[i] += 0.1 * rng.normal(); // non-zero biases: every term matters
  // Repeated tokens in one sequence (vocabulary 5) exercise the accumulation into shared embedding rows.
  const batch = makeBatch(m.config, [5, 2, 4], new Rng(9));
  m.forward(batch, null, { train: true });
  m.zeroGrads();
  m.backward();
  const analytic = Float64Array.from(m.grads.data);
  const loss = () => m.forward(batch)!.loss;
  const eps = 1e-6;
  let checked = 0;
  for (let i = 0; i < m.params.size; i++) {
    const keep = P[i];
    P[i] = keep + eps; const up = loss();
    P[i] = keep - eps; const down = loss();
    P[i] = keep;
    const numeric = (up - down) / (2 * eps);
    assert.ok(Math.abs(numeric - analytic[i]) <= 1e-8 + 1e-6 * Math.abs(numeric),
      `${JSON.stringify(partial)}: parameter ${i}: analytic ${analytic[i]}, numeric ${numeric}`);
    if (numeric !== 0) checked++;
  }
  assert.ok(checked > m.params.size / 3, 'most gradients are non-zero');
}

const heads = [{ head: 'softmax' as const, outputSize: 3 }, { head: 'mse' as const, outputSize: 2 }];
for (const h of heads) for (const hidden of [0, 4]) {
  test(`gradcheck: window over embedded tokens, hidden ${hidden}, ${h.head}`, () => gradcheck({ pooling: 'window', inputKind: 'tokens', inputSize: 5, embed: 3, window: 3, hidden, ...h }));
  test(`gradcheck: mean of embedded tokens, hidden ${hidden}, ${h.head}`, () => gradcheck({ pooling: 'mean', inputKind: 'tokens', inputSize: 5, embed: 3, hidden, ...h }));
  test(`gradcheck: window over dense inputs, hidden ${hidden}, ${h.head}`, () => gradcheck({ pooling: 'window', inputKind: 'dense', inputSize: 2, window: 3, hidden, ...h }));
  test(`gradcheck: mean of dense inputs, hidden ${hidden}, ${h.head}`, () => gradcheck({ pooling: 'mean', inputKind: 'dense', inputSize: 2, hidden, ...h }));
}
test('gradcheck: bag of words (logistic regression and an MLP over counts)', () => {
  gradcheck({ pooling: 'bow', inputKind: 'tokens', inputSize: 5, hidden: 0, outputSize: 3 });
  gradcheck({ pooling: 'bow', inputKind: 'tokens', inputSize: 5, hidden: 4, outputSize: 2 });
});

test('window pooling: the last N real steps, right-aligned, zeros before the start', () => {
  const m = new Mlp({ pooling: 'window', inputKind: 'dense', inputSize: 1, window: 3, outputSize: 1, head: 'mse' }, be32).init(new Rng(1));
  // B = 2: sequence 0 is [1, 2, 3, 4], sequence 1 is [5, 6] then padding (time-major).
  m.forward({ T: 4, B: 2, inputs: [1, 5, 2, 6, 3, 99, 4, 99], lengths: Int32Array.from([4, 2]) });
  assert.deepEqual([...m.feat.subarray(0, 6)], [2, 3, 4, 0, 5, 6]);
});

test('mean and bag-of-words pooling ignore padding and order', () => {
  const mean = new Mlp({ pooling: 'mean', inputKind: 'dense', inputSize: 1, outputSize: 1, head: 'mse' }, be32).init(new Rng(1));
  mean.forward({ T: 3, B: 2, inputs: [1, 4, 2, 8, 6, 99], lengths: Int32Array.from([3, 2]) });
  assert.deepEqual([...mean.feat.subarray(0, 2)], [3, 6]);
  const bow = new Mlp({ pooling: 'bow', inputKind: 'tokens', inputSize: 3, outputSize: 2 }, be32).init(new Rng(1));
  bow.forward({ T: 3, B: 1, tokens: Int32Array.from([0, 2, 0]) });
  const logitsA = Float32Array.from(bow.logits.subarray(0, 2));
  bow.forward({ T: 4, B: 1, tokens: Int32Array.from([2, 0, 0, -1]), lengths: Int32Array.from([3]) });
  assert.deepEqual([...bow.logits.subarray(0, 2)], [...logitsA]);
  assert.ok(Math.abs(bow.feat[0] - Math.log(3)) < 1e-6 && bow.feat[1] === 0 && Math.abs(bow.feat[2] - Math.log(2)) < 1e-6);
});

test('config: impossible baselines are refused in one sentence', () => {
  assert.throws(() => makeMlpConfig({ pooling: 'bow', inputKind: 'dense', inputSize: 3 }), /needs token inputs/);
  assert.throws(() => makeMlpConfig({ pooling: 'window', inputKind: 'tokens', inputSize: 3, embed: 0 }), /need an embedding/);
  assert.throws(() => makeMlpConfig({ pooling: 'window', inputKind: 'dense', inputSize: 3, window: 0 }), /window must be a positive integer/);
  assert.throws(() => makeMlpConfig({ pooling: 'mean' as never, inputKind: 'dense', inputSize: 3, hidden: -1 }), /hidden size/);
  assert.throws(() => makeMlpConfig({ pooling: 'max' as never }), /unknown pooling 'max'/);
  assert.equal(featureSize(makeMlpConfig({ pooling: 'window', inputKind: 'tokens', inputSize: 9, embed: 4, window: 5 })), 20);
  const m = new Mlp({ pooling: 'window', inputKind: 'tokens', inputSize: 4, embed: 2, window: 2, outputSize: 2 }, be32).init(new Rng(1));
  assert.throws(() => m.forward({ T: 2, B: 1, tokens: Int32Array.from([1, 4]) }), /token id 4 at step 1 of sequence 0 is outside the vocabulary of 4/);
  assert.throws(() => m.forward({ T: 2, B: 1, tokens: Int32Array.from([1, 2]), lengths: Int32Array.from([3]) }), /length 3, outside 1…2/);
});
