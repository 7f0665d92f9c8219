/** Classification scores computed by hand, and the tokenizer/vocabulary the classifiers read through. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classificationMetrics, errorMetrics } from '../../src/tasks/metrics.js';
import { tokenize, TokenVocab, UNK } from '../../src/tasks/tokenize.js';

test('two classes: accuracy, and precision/recall/F1 of the positive class', () => {
  // truth:  1 1 1 1 0 0 0 0 0 0 ; predicted: 1 1 1 0 1 0 0 0 0 0  → TP 3, FN 1, FP 1, TN 5
  const m = classificationMetrics([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], [1, 1, 1, 0, 1, 0, 0, 0, 0, 0], 2);
  assert.equal(m.accuracy, 0.8);
  assert.equal(m.precision, 0.75);
  assert.equal(m.recall, 0.75);
  assert.equal(m.f1, 0.75);
  assert.deepEqual(m.confusion, [[5, 1], [1, 3]]);
  const none = classificationMetrics([0, 0, 1], [0, 0, 0], 2);
  assert.equal(none.precision, 0, 'no positive prediction: precision 0, not NaN');
  assert.equal(none.f1, 0);
});

test('more classes: macro averages', () => {
  // class 0: P 1/2, R 1; class 1: P 1, R 1/2; class 2: P 1, R 1
  const m = classificationMetrics([0, 1, 1, 2], [0, 1, 0, 2], 3);
  assert.equal(m.positive, null);
  assert.ok(Math.abs(m.precision - (0.5 + 1 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(m.recall - (1 + 0.5 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(m.f1 - (2 / 3 + 2 / 3 + 1) / 3) < 1e-12);
  assert.throws(() => classificationMetrics([0], [0, 1], 2), /1 labels but 2 predictions/);
});

test('MAE and RMSE skip missing forecasts', () => {
  const e = errorMetrics([1, 2, 3, 4], [2, 2, NaN, 1]);
  assert.equal(e.count, 3);
  assert.ok(Math.abs(e.mae - 4 / 3) < 1e-12);
  assert.ok(Math.abs(e.rmse - Math.sqrt(10 / 3)) < 1e-12);
  assert.throws(() => errorMetrics([1], [NaN]), /no forecasts/);
});

test('tokenizer: lower-cased words, numbers, and every other symbol on its own', () => {
  assert.deepEqual(tokenize("Click HERE: win $1,000 now!!! Don't <b>wait</b>", 'words'),
    ['click', 'here', ':', 'win', '$', '1', ',', '000', 'now', '!', '!', '!', "don't", '<', 'b', '>', 'wait', '<', '/', 'b', '>']);
  assert.deepEqual(tokenize('Grüße, 東京', 'words'), ['grüße', ',', '東京']);
  assert.deepEqual(tokenize('a😀b', 'chars'), ['a', '😀', 'b']);
});

test('vocabulary: from training texts only, by frequency, unknown → <unk>, cut at maxLen', () => {
  const v = TokenVocab.build(['b a b c', 'b a d'], { mode: 'words', maxSize: 3, minCount: 1 });
  assert.deepEqual(v.tokens, [UNK, 'b', 'a']);
  assert.deepEqual([...v.encode('a b c zzz')], [2, 1, 0, 0]);
  assert.deepEqual([...v.encode('a b c zzz', 2)], [2, 1]);
  const rare = TokenVocab.build(['x y x'], { mode: 'words', maxSize: 10, minCount: 2 });
  assert.deepEqual(rare.tokens, [UNK, 'x']);
  const back = TokenVocab.fromJSON(JSON.parse(JSON.stringify(v)));
  assert.deepEqual(back.tokens, v.tokens);
  assert.throws(() => TokenVocab.fromJSON({ mode: 'words', tokens: ['x'] }), /starts with <unk>/);
  assert.throws(() => TokenVocab.fromJSON({ mode: 'words', tokens: [UNK, 'x', 'x'] }), /repeats "x"/);
});
