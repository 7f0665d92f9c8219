import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import {
  ADDING_BASELINE_MSE, addingBatch, COPY_BLANK, COPY_CLASSES, COPY_DELIMITER, COPY_RECALL, COPY_SYMBOLS, copyBaseline, copyBatch,
  copyLength, evaluateLab, labModelConfig, recurrentBlock, recurrentSpectralRadius, trainLab,
} from '../../src/tasks/lab.js';
import { Rng } from '../../src/util/rng.js';

test('adding problem: two markers, one per half; the target is the sum of the marked numbers', () => {
  const T = 9, B = 200, batch = addingBatch(T, B, new Rng(3));
  const x = batch.inputs!, y = batch.targetValues!;
  assert.equal(x.length, T * B * 2);
  assert.equal(y.length, B);
  for (let b = 0; b < B; b++) {
    const marked: number[] = [];
    let sum = 0;
    for (let t = 0; t < T; t++) {
      const v = x[(t * B + b) * 2], m = x[(t * B + b) * 2 + 1];
      assert.ok(v >= 0 && v < 1);
      assert.ok(m === 0 || m === 1);
      if (m === 1) { marked.push(t); sum += v; }
    }
    assert.equal(marked.length, 2, `sequence ${b} has ${marked.length} markers`);
    assert.ok(marked[0] < Math.floor(T / 2) && marked[1] >= Math.floor(T / 2), `markers at ${marked}`);
    assert.ok(Math.abs(y[b] - sum) < 1e-6);
  }
});

test('adding problem: predicting the mean gives the stated baseline MSE ≈ 0.167', () => {
  const batch = addingBatch(20, 20000, new Rng(11)), y = Array.from(batch.targetValues!);
  let mean = 0;
  for (const v of y) mean += v / y.length;
  let mse = 0, mseOne = 0;
  for (const v of y) { mse += (v - mean) ** 2 / y.length; mseOne += (v - 1) ** 2 / y.length; }
  // Standard error of the estimate is about 0.0014 here.
  assert.ok(Math.abs(mean - 1) < 0.01, `mean target ${mean}`);
  assert.ok(Math.abs(mse - ADDING_BASELINE_MSE) < 0.005, `empirical baseline ${mse}`);
  assert.ok(Math.abs(mseOne - ADDING_BASELINE_MSE) < 0.005, `MSE of predicting 1: ${mseOne}`);
  assert.ok(Math.abs(ADDING_BASELINE_MSE - 0.167) < 0.001);
});

test('copy task: layout of Arjovsky et al. (symbols, blanks, delimiter, recall)', () => {
  const delay = 7, B = 50, batch = copyBatch(delay, B, new Rng(5)), T = copyLength(delay);
  assert.equal(batch.T, delay + 20);
  assert.equal(batch.tokens!.length, T * B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const x = batch.tokens![t * B + b], y = batch.targets![t * B + b];
      if (t < COPY_RECALL) { assert.ok(x >= 0 && x < COPY_SYMBOLS); assert.equal(y, COPY_BLANK); }
      else if (t === delay + COPY_RECALL - 1) { assert.equal(x, COPY_DELIMITER); assert.equal(y, COPY_BLANK); }
      else if (t < delay + COPY_RECALL) { assert.equal(x, COPY_BLANK); assert.equal(y, COPY_BLANK); }
      else { assert.equal(x, COPY_BLANK); assert.equal(y, batch.tokens![(t - delay - COPY_RECALL) * B + b]); }
      assert.ok(y < COPY_CLASSES);
    }
  }
});

test('copy task: the entropy-optimal memoryless predictor attains 10·ln 8 / (T + 20)', () => {
  // Without memory the best prediction at step t is the distribution of targets at t (over all
  // sequences); its cross-entropy is the empirical entropy per step, averaged over the steps.
  for (const delay of [5, 40]) {
    const B = 8000, batch = copyBatch(delay, B, new Rng(delay)), T = batch.T;
    let total = 0;
    for (let t = 0; t < T; t++) {
      const counts = new Array<number>(COPY_CLASSES).fill(0);
      for (let b = 0; b < B; b++) counts[batch.targets![t * B + b]]++;
      for (const n of counts) if (n > 0) total -= (n / B) * Math.log(n / B);
    }
    const ce = total / T, want = copyBaseline(delay);
    assert.ok(Math.abs(ce - want) < 0.002 * want + 1e-3, `delay ${delay}: memoryless CE ${ce}, baseline ${want}`);
    assert.ok(Math.abs(want - (10 * Math.log(8)) / (delay + 20)) < 1e-12);
  }
});

test('generators are seeded: same seed, same data; refuse impossible sizes', () => {
  assert.deepEqual(addingBatch(6, 4, new Rng(9)), addingBatch(6, 4, new Rng(9)));
  assert.deepEqual(copyBatch(3, 4, new Rng(9)), copyBatch(3, 4, new Rng(9)));
  assert.notDeepEqual(addingBatch(6, 4, new Rng(9)).inputs, addingBatch(6, 4, new Rng(10)).inputs);
  assert.throws(() => addingBatch(1, 4, new Rng(0)), /length of at least 2/);
  assert.throws(() => copyBatch(0, 4, new Rng(0)), /delay of at least 1/);
});

test('irnn starts with W_hh = I (spectral radius 1); gate blocks of LSTM and GRU are addressable', () => {
  const be = new JsBackend('f64');
  const irnn = new Model(labModelConfig('adding', 'irnn', 6), be).init(new Rng(1));
  const { W, H } = recurrentBlock(irnn);
  for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) assert.equal(W[i * H + j], i === j ? 1 : 0);
  assert.ok(Math.abs(recurrentSpectralRadius(irnn) - 1) < 1e-12);
  assert.equal(irnn.config.activation, 'relu');

  const lstm = new Model(labModelConfig('adding', 'lstm', 3), be).init(new Rng(2));
  const full = lstm.params.get('rnn.weight_hh_l0');
  const g = recurrentBlock(lstm); // default: the candidate block g, rows 2H..3H
  assert.equal(g.gate, 'g');
  assert.deepEqual([...g.W], [...full.subarray(2 * 9, 3 * 9)]);
  assert.deepEqual([...recurrentBlock(lstm, { gate: 'f' }).W], [...full.subarray(9, 18)]);
  assert.throws(() => recurrentBlock(lstm, { gate: 'n' }), /no gate 'n'/);
  assert.throws(() => recurrentBlock(lstm, { layer: 1 }), /layer 1 does not exist/);
  const gru = new Model(labModelConfig('copy', 'gru', 3), be).init(new Rng(2));
  assert.equal(recurrentBlock(gru).gate, 'n');
});

test('trainLab logs step, loss, gradient norm before clipping and spectral radius, and keeps to the step budget', () => {
  const logs: unknown[] = [];
  const { result } = trainLab({
    task: 'copy', cell: 'elman', length: 3, hidden: 8, batch: 4, optimizer: 'adam', clipNorm: 0.5,
    steps: 7, seconds: 0, logEvery: 3, testSize: 10, seed: 4,
  }, new JsBackend('f32'), (l) => logs.push(l));
  assert.equal(result.steps, 7);
  assert.deepEqual(result.history.map((h) => h.step), [1, 3, 6]);
  assert.deepEqual(logs, result.history);
  for (const h of result.history) {
    assert.ok(h.loss > 0 && Number.isFinite(h.loss));
    assert.ok(h.spectral_radius > 0 && Number.isFinite(h.spectral_radius));
    assert.ok(h.grad_norm > 0);
  }
  // A threshold of 0.5 is far below a fresh model's gradient norm: the logged norm is the one before clipping.
  assert.ok(result.history[0].grad_norm > 0.5, `grad norm ${result.history[0].grad_norm}`);
  assert.equal(result.baseline, copyBaseline(3));
  assert.ok(result.recall_accuracy! >= 0 && result.recall_accuracy! <= 1);
});

test('the time budget stops training (injected clock)', () => {
  let ms = 0;
  const { result } = trainLab({
    task: 'adding', cell: 'gru', length: 4, hidden: 4, batch: 2, optimizer: 'adam', clipNorm: 1,
    steps: 0, seconds: 1, logEvery: 100, testSize: 4, seed: 1, now: () => (ms += 100),
  }, new JsBackend('f32'));
  // The budget counts the updates only (the loop reads the clock before and after each: 0.1 s an
  // update); ten of them make a second, give or take the rounding of ten sums of 0.1.
  assert.ok(result.steps >= 10 && result.steps <= 11, `${result.steps} steps`);
});

test('an LSTM learns the adding problem at T = 10 far below the baseline', () => {
  const be = new JsBackend('f32');
  const { model, result } = trainLab({
    task: 'adding', cell: 'lstm', length: 10, hidden: 16, batch: 32, optimizer: 'adam', clipNorm: 1,
    steps: 400, seconds: 0, logEvery: 100, testSize: 500, seed: 1,
  }, be);
  assert.ok(result.test_loss < 0.03, `test MSE ${result.test_loss} (baseline ${ADDING_BASELINE_MSE})`);
  // The reported test loss is the one evaluateLab measures on the seed's test set.
  assert.ok(Math.abs(evaluateLab(model, 'adding', 10, 500, 1).loss - result.test_loss) < 1e-9);
});

test('a diverging lab run stops, says why, and ends with the last good model', () => {
  const { model, result } = trainLab({
    task: 'adding', cell: 'elman', length: 10, hidden: 8, batch: 8, lr: 5, optimizer: 'adam', clipNorm: 0,
    steps: 300, seconds: 0, logEvery: 10, testSize: 50, seed: 1,
  }, new JsBackend('f32'));
  assert.match(result.diverged ?? '', /^training diverged at step \d+: /);
  assert.ok(result.steps < 300);
  assert.ok([...model.params.data].every(Number.isFinite));
  assert.ok(Number.isFinite(result.test_loss) && Number.isFinite(result.spectral_radius_end));
});
