/**
 * Sequence classification on data where the answer is known: a label that depends only on ORDER
 * (which token comes first), so that a bag of words (or an average of embeddings) is at chance while a
 * recurrent network learns it; padding never changes a prediction; the split is fixed and stratified;
 * a saved classifier predicts what the trained one did.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { LabeledText } from '../../src/data/jsonl.js';
import { Rng } from '../../src/util/rng.js';
import {
  buildNet, bucketBatches, CLASSIFY_DEFAULTS, padBatch, splitData, testClassifier, TextClassifier, trainClassifier,
  type ClassifierModel, type ClassifyOptions,
} from '../../src/tasks/classify.js';
import { trainForecaster } from '../../src/tasks/forecast.js';
import { forwardNet } from '../../src/tasks/net.js';
import { TokenVocab } from '../../src/tasks/tokenize.js';
import { backends } from '../helpers/backends.js';

/**
 * Texts of 8–15 filler words with one "a" and one "b" somewhere: the label says which comes first.
 * Both classes have the same bag of words, so only order tells them apart; "a" and "b" usually sit
 * far from the end, so a window of the last 4 tokens rarely sees both.
 */
function orderData(n: number, seed: number): LabeledText[] {
  const rng = new Rng(seed), out: LabeledText[] = [];
  for (let i = 0; i < n; i++) {
    const toks = Array.from({ length: 8 + rng.int(8) }, () => 'xyz'[rng.int(3)]);
    toks.splice(rng.int(toks.length + 1), 0, 'a');
    toks.splice(rng.int(toks.length + 1), 0, 'b');
    out.push({ text: toks.join(' '), label: toks.indexOf('a') < toks.indexOf('b') ? 'ab' : 'ba' });
  }
  return out;
}

const data = { train: orderData(600, 1), val: orderData(100, 2), test: orderData(300, 3), classes: ['ab', 'ba'] };
const small: Partial<ClassifyOptions> = { hidden: 16, embed: 8, window: 4, epochs: 10, time: 0, lr: 0.01, batch: 16, minCount: 1, seed: 1 };
const be = new JsBackend('f32');

function accuracy(model: ClassifierModel): number {
  const trained = trainClassifier(be, data, { ...small, model });
  return testClassifier(trained.classifier, data.test).metrics.accuracy;
}

test('order-dependent labels: a GRU and an Elman network learn them, a bag of words cannot', () => {
  const gru = accuracy('gru'), elman = accuracy('elman'), bow = accuracy('bow'), mean = accuracy('mean');
  assert.ok(gru >= 0.95, `GRU accuracy ${gru}`);
  assert.ok(elman >= 0.9, `Elman accuracy ${elman}`);
  // Same bag of tokens in both classes: chance level (0.5 ± sampling noise on 300 texts).
  assert.ok(bow <= 0.62, `bag-of-words accuracy ${bow}`);
  assert.ok(mean <= 0.62, `mean-of-embeddings accuracy ${mean}`);
});

const vocab = TokenVocab.build(['a b c d e f g h'], { mode: 'words', maxSize: 100, minCount: 1 });
const seqs = [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6, 7, 8, 1, 2]), Int32Array.from([8, 7, 6, 5, 4, 3, 2, 1, 1, 1, 1])];

/** The outputs for sequence 0 alone, and for it in a batch padded to the longest of three. */
function aloneAndPadded(bk: Backend, model: ClassifierModel, extra: Partial<ClassifyOptions> = {}): [number[], number[]] {
  const net = buildNet(bk, { ...CLASSIFY_DEFAULTS, hidden: 5, embed: 4, window: 4, model, ...extra }, vocab.size, 3).init(new Rng(2));
  forwardNet(net, padBatch(seqs, [0]));
  const alone = Array.from(net.logits.subarray(0, 3));
  forwardNet(net, padBatch(seqs, [1, 0, 2]));
  return [alone, Array.from(net.logits.subarray(3, 6))];
}

for (const { name, make } of backends()) {
  test(`masking (${name}): padding never changes a prediction`, async () => {
    const bk = await make();
    const cases: [ClassifierModel, Partial<ClassifyOptions>][] = [
      ['gru', {}], ['lstm', {}], ['elman', {}], ['jordan', {}], ['gru', { bidirectional: true }], ['lstm', { bidirectional: true, layers: 2 }],
      ['window', {}], ['mean', {}], ['bow', {}],
    ];
    for (const [model, extra] of cases) {
      const [alone, padded] = aloneAndPadded(bk, model, extra);
      alone.forEach((v, k) => assert.ok(Math.abs(v - padded[k]) <= 1e-5 * (1 + Math.abs(v)), `${model} ${JSON.stringify(extra)}: ${alone} vs ${padded}`));
    }
  });
}

test('masking is what keeps padding out: the same tokens unmasked give another output', () => {
  const net = buildNet(be, { ...CLASSIFY_DEFAULTS, hidden: 5, embed: 4, model: 'gru' }, vocab.size, 3).init(new Rng(2));
  const batch = padBatch(seqs, [0, 2]);
  forwardNet(net, batch);
  const masked = Array.from(net.logits.subarray(0, 3));
  // Fill the padding with a real token and drop the lengths: the state now runs on past the end.
  forwardNet(net, { ...batch, tokens: batch.tokens!.map((t) => (t < 0 ? 1 : t)), lengths: undefined });
  assert.notDeepEqual(Array.from(net.logits.subarray(0, 3)), masked);
});

test('split: fixed by the seed, stratified, disjoint', () => {
  const recs = [...orderData(200, 7), ...orderData(40, 8).map((r) => ({ ...r, label: 'rare' }))];
  const a = splitData(recs, ['ab', 'ba', 'rare'], 5), b = splitData(recs, ['ab', 'ba', 'rare'], 5), c = splitData(recs, ['ab', 'ba', 'rare'], 6);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.test, c.test);
  assert.equal(a.train.length + a.val.length + a.test.length, recs.length);
  assert.equal(a.test.filter((r) => r.label === 'rare').length, 6); // 15 % of 40
  assert.equal(new Set([...a.train, ...a.val, ...a.test]).size, recs.length);
  assert.throws(() => splitData(recs.slice(0, 3), ['ab', 'ba'], 1), /too few to split/);
});

test('bucketing: every text once per epoch, batches of similar length', () => {
  const lengths = Array.from({ length: 500 }, (_, i) => (i * 37) % 101 + 1);
  const batches = bucketBatches(lengths, 10, new Rng(1));
  assert.deepEqual(batches.flat().sort((x, y) => x - y), [...lengths.keys()]);
  const spread = batches.map((bt) => Math.max(...bt.map((i) => lengths[i])) - Math.min(...bt.map((i) => lengths[i])));
  assert.ok(spread.reduce((s, v) => s + v, 0) / spread.length < 10, 'little padding within a batch');
});

test('a saved classifier reads back and predicts exactly what the trained one did', () => {
  for (const model of ['gru', 'bow'] as ClassifierModel[]) {
    const trained = trainClassifier(be, data, { ...small, model, epochs: 1 });
    const texts = data.test.slice(0, 20).map((r) => r.text);
    const before = trained.classifier.predict(texts);
    const loaded = TextClassifier.fromBytes(trained.classifier.toBytes(), be);
    const after = loaded.predict(texts);
    assert.deepEqual(after.labels, before.labels);
    assert.deepEqual(after.probs, before.probs);
    assert.deepEqual(loaded.classes, ['ab', 'ba']);
    assert.equal(loaded.modelName, model);
  }
});

test('a forecaster is not a text classifier', () => {
  const values = Float64Array.from({ length: 120 }, (_, t) => Math.sin(t));
  const fc = trainForecaster(be, { values }, { hidden: 4, steps: 1, time: 0, seqLen: 16 }).forecaster;
  assert.throws(() => TextClassifier.fromBytes(fc.toBytes(), be), /holds a "forecast" model, not a text classifier/);
});

test('scoring refuses a label the model does not know; training needs a budget', () => {
  const trained = trainClassifier(be, data, { ...small, model: 'bow', epochs: 1 });
  assert.throws(() => testClassifier(trained.classifier, [{ text: 'a b', label: 'cd' }]), /record 1 has label "cd"/);
  assert.throws(() => trainClassifier(be, data, { ...small, epochs: 0, time: 0 }), /time budget or a number of epochs/);
});
