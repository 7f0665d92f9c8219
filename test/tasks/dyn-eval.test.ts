/**
 * Dynamic evaluation (tasks/lm-dynamic-eval.ts): recomputed step by step in float64 with the update
 * rules written out here element by element, equal to static evaluation when it takes no step (or
 * decays all the way back), better than static evaluation on a text that repeats itself, and it never
 * changes the model it is given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { Vocab } from '../../src/data/text.js';
import { evaluateStream } from '../../src/tasks/lm-eval.js';
import { dynamicProblem, evaluateDynamic, gradientMeanSquares, type DynamicOptions } from '../../src/tasks/lm-dynamic-eval.js';

const be = new JsBackend('f64');
const TEXT = 'abracadabra, said the cat to the bat; the rat sat on the mat. ';

function makeModel(cell: 'lstm' | 'gru' | 'elman', V: number, over: Record<string, unknown> = {}): Model {
  return new Model({ cell, hidden: 6, layers: 2, embed: 4, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax', outputMode: 'every', ...over }, be)
    .init(new Rng(11));
}

/** The same evaluation written out: θ per segment in plain arrays, the rules element by element. */
function reference(model: Model, ids: Int32Array, o: DynamicOptions): number {
  const ref = new Model({ ...model.config, dropout: 0, dropoutInput: 0, dropoutOutput: 0, dropoutEmbed: 0, weightDrop: 0, ar: 0, tar: 0 }, be);
  const n = model.params.size, theta0 = Float64Array.from(model.params.data), theta = Float64Array.from(theta0);
  const ms = o.ms ? Float64Array.from(o.ms) : new Float64Array(n), eps = o.eps ?? 1e-8;
  const steps = o.steps ?? 1, kappa = o.anchor ?? 0, anchor = Float64Array.from(theta0);
  // Krause et al.'s prior: with MS from other text, weight j decays by λ·min(RMS_j / mean RMS, 1/λ).
  let meanRms = 0;
  for (let j = 0; j < n; j++) meanRms += Math.sqrt(ms[j]) / n;
  const pull = (j: number): number => (o.ms ? o.decay * Math.min(Math.sqrt(ms[j]) / meanRms, 1 / o.decay) : o.decay);
  const state = ref.newState(1, new Rng(0));
  // A state's buffers copied by hand (the replay of a segment starts from where it started).
  const snapshot = (st: typeof state): typeof state => ({ B: 1, h: st.h.map((b) => b.slice()), c: st.c.map((b) => b.slice()), fb: st.fb?.slice() ?? null, fresh: st.fresh.slice() });
  let sum = 0, count = 0, k = 0;
  for (let t0 = 0; t0 < ids.length - 1; t0 += o.seq) {
    const T = Math.min(o.seq, ids.length - 1 - t0);
    const segment = { T, B: 1, tokens: ids.subarray(t0, t0 + T), targets: ids.subarray(t0 + 1, t0 + T + 1) };
    const before = snapshot(state);
    ref.params.data.set(theta); ref.params.touch();
    const l = ref.forward(segment, state, { train: true })!;
    sum += l.sum; count += l.count;
    for (let s = 0; s < steps; s++) {
      // Step s > 0: the segment read again, from the state it started in, with the weights reached.
      if (s > 0) { ref.params.data.set(theta); ref.params.touch(); ref.forward(segment, snapshot(before), { train: true }); }
      ref.zeroGrads(); ref.backward();
      const g = ref.grads.data;
      k++;
      for (let j = 0; j < n; j++) {
        if (!o.ms) ms[j] = (ms[j] * (k - 1) + g[j] * g[j]) / k;
        const u = o.rule === 'rms' ? g[j] / (Math.sqrt(ms[j]) + eps) : g[j];
        theta[j] = theta[j] - o.lr * u;
        theta[j] += pull(j) * (anchor[j] - theta[j]);
        anchor[j] += kappa * (theta[j] - anchor[j]);
      }
    }
  }
  return sum / count;
}

for (const [cell, rule] of [['lstm', 'sgd'], ['lstm', 'rms'], ['gru', 'rms'], ['elman', 'sgd']] as const) {
  test(`${cell}, ${rule} rule: equals the step-by-step recomputation`, () => {
    const vocab = Vocab.fromText(TEXT);
    const ids = vocab.encode(TEXT.repeat(2));
    const model = makeModel(cell, vocab.size, { dropout: 0.3, dropoutOutput: 0.2, weightDrop: 0.2, ar: 1 });
    const o: DynamicOptions = { seq: 9, lr: rule === 'rms' ? 3e-3 : 0.5, decay: 0.02, rule };
    const got = evaluateDynamic(model, ids, o).loss;
    const want = reference(model, ids, o);
    assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
    // It did adapt: the score differs from static evaluation.
    const stat = evaluateStream(model, ids, { chunk: 9 }).loss;
    assert.ok(Math.abs(got - stat) > 1e-4, `dynamic ${got} should differ from static ${stat}`);
  });

  test(`${cell}, ${rule} rule, 3 steps per segment and a moving anchor: equals the step-by-step recomputation`, () => {
    const vocab = Vocab.fromText(TEXT);
    const ids = vocab.encode(TEXT.repeat(2));
    const model = makeModel(cell, vocab.size, { h0: cell === 'gru' ? 'learned' : 'zero', dropout: 0.3 });
    const base: DynamicOptions = { seq: 9, lr: rule === 'rms' ? 3e-3 : 0.5, decay: 0.02, rule };
    const o: DynamicOptions = { ...base, steps: 3, anchor: 0.1 };
    const got = evaluateDynamic(model, ids, o).loss, want = reference(model, ids, o);
    assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
    // Each option changes the result: the further steps and the anchor are taken.
    const oneStep = evaluateDynamic(model, ids, { ...o, steps: 1 }).loss, fixed = evaluateDynamic(model, ids, { ...o, anchor: 0 }).loss;
    assert.ok(Math.abs(got - oneStep) > 1e-6 && Math.abs(got - fixed) > 1e-6, `${got} vs one step ${oneStep}, fixed anchor ${fixed}`);
    // steps 1 and anchor 0 are the plain rule.
    assert.equal(evaluateDynamic(model, ids, { ...base, steps: 1, anchor: 0 }).loss, evaluateDynamic(model, ids, base).loss);
  });
}

test('a tied model (one matrix for embedding and decoder) adapts the shared matrix: equals the recomputation', () => {
  const vocab = Vocab.fromText(TEXT);
  const ids = vocab.encode(TEXT.repeat(2));
  const model = makeModel('lstm', vocab.size, { embed: 6, tieWeights: true, dropoutEmbed: 0.2 });
  const o: DynamicOptions = { seq: 7, lr: 2e-3, decay: 0.05, rule: 'rms' };
  const got = evaluateDynamic(model, ids, o).loss, want = reference(model, ids, o);
  assert.ok(Math.abs(got - want) < 1e-12, `${got} vs ${want}`);
});

test('no step (lr 0, decay 0) or full decay back to θ0 is static evaluation, bit for bit', () => {
  const vocab = Vocab.fromText(TEXT);
  const ids = vocab.encode(TEXT.repeat(3));
  const model = makeModel('lstm', vocab.size);
  const stat = evaluateStream(model, ids, { chunk: 16 });
  const still = evaluateDynamic(model, ids, { seq: 16, lr: 0, decay: 0, rule: 'sgd' });
  const back = evaluateDynamic(model, ids, { seq: 16, lr: 0.3, decay: 1, rule: 'sgd' });
  assert.deepEqual(still, stat);
  assert.deepEqual(back, stat);
});

test('the first segment is scored before any step; the model given is never changed', () => {
  const vocab = Vocab.fromText(TEXT);
  const ids = vocab.encode(TEXT.repeat(3));
  const model = makeModel('lstm', vocab.size);
  const before = Float64Array.from(model.params.data);
  const first = evaluateDynamic(model, ids.subarray(0, 13), { seq: 12, lr: 5, decay: 0, rule: 'sgd' });
  assert.deepEqual(first, evaluateStream(model, ids.subarray(0, 13), { chunk: 12 }));
  evaluateDynamic(model, ids, { seq: 12, lr: 1, decay: 0, rule: 'rms' });
  assert.deepEqual(Float64Array.from(model.params.data), before);
});

test('on a text that repeats itself, adapting beats static evaluation by a wide margin', () => {
  const vocab = Vocab.fromText(TEXT);
  const ids = vocab.encode(TEXT.repeat(12));
  const model = makeModel('lstm', vocab.size, { hidden: 24 });
  const stat = evaluateStream(model, ids, { chunk: 20 }).loss;
  const dyn = evaluateDynamic(model, ids, { seq: 20, lr: 2e-2, decay: 0, rule: 'rms' }).loss;
  assert.ok(dyn < 0.7 * stat, `dynamic ${dyn} vs static ${stat}`);
});

test('unusable options are refused in one sentence', () => {
  const ok: DynamicOptions = { seq: 10, lr: 1e-3, decay: 0, rule: 'rms' };
  assert.equal(dynamicProblem(ok), null);
  assert.match(dynamicProblem({ ...ok, seq: 0 })!, /segment length/);
  assert.match(dynamicProblem({ ...ok, lr: -1 })!, /learning rate/);
  assert.match(dynamicProblem({ ...ok, decay: 1.5 })!, /decay/);
  assert.match(dynamicProblem({ ...ok, rule: 'adam' as never })!, /rule/);
  assert.match(dynamicProblem({ ...ok, steps: 0 })!, /steps per segment/);
  assert.match(dynamicProblem({ ...ok, steps: 1.5 })!, /steps per segment/);
  assert.match(dynamicProblem({ ...ok, anchor: 2 })!, /anchor/);
});

test('MS from training text (Krause et al.): gradientMeanSquares is the mean squared segment gradient; the rule with it equals the recomputation', () => {
  const vocab = Vocab.fromText(TEXT);
  const train = vocab.encode(TEXT.repeat(3)), ids = vocab.encode(TEXT.repeat(2));
  const model = makeModel('lstm', vocab.size, { dropoutOutput: 0.2 });
  const ms = gradientMeanSquares(model, train, 7);
  // Recomputed: one stream, state carried, the gradient of each 7-character segment squared and averaged.
  const ref = new Model({ ...model.config, dropoutOutput: 0 }, be);
  ref.params.data.set(model.params.data); ref.params.touch();
  const state = ref.newState(1, new Rng(0)), want = new Float64Array(ms.length);
  let segments = 0;
  for (let t0 = 0; t0 < train.length - 1; t0 += 7) {
    const T = Math.min(7, train.length - 1 - t0);
    ref.forward({ T, B: 1, tokens: train.subarray(t0, t0 + T), targets: train.subarray(t0 + 1, t0 + T + 1) }, state, { train: true });
    ref.zeroGrads(); ref.backward();
    ref.grads.data.forEach((g, j) => { want[j] += g * g; });
    segments++;
  }
  let worst = 0;
  for (let j = 0; j < ms.length; j++) worst = Math.max(worst, Math.abs(ms[j] - want[j] / segments) / (want[j] / segments + 1e-12));
  assert.ok(worst < 1e-5, `relative error ${worst}`);
  assert.ok(ms.some((v) => v > 0));
  const o: DynamicOptions = { seq: 9, lr: 2e-3, decay: 0.05, rule: 'rms', ms };
  const got = evaluateDynamic(model, ids, o).loss, wantLoss = reference(model, ids, o);
  assert.ok(Math.abs(got - wantLoss) < 1e-8, `${got} vs ${wantLoss}`);
  assert.ok(Math.abs(got - evaluateDynamic(model, ids, { ...o, ms: undefined }).loss) > 1e-6, 'MS from training text changes the steps');
  assert.throws(() => evaluateDynamic(model, ids, { ...o, ms: ms.subarray(1) }), /mean squares have/);
});
