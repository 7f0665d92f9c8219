/** The playground's seq2seq session in Node: it trains through the library's loop, and its output and attention fit the input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Seq2SeqSession } from '../../web/src/seq2seq-session.js';

test('seq2seq session: trains reverse, lowers the loss, translates with attention rows summing to 1', () => {
  const s = Seq2SeqSession.create({ task: 'reverse', length: 3, hidden: 16, batch: 16, lr: 0.02, seed: 3 }, new JsBackend());
  const first = s.trainStep().loss;
  let last = first;
  for (let i = 0; i < 150; i++) last = s.trainStep().loss;
  assert.equal(s.step, 151);
  assert.ok(last < first * 0.8, `loss ${first} -> ${last}`);
  const sc = s.score(20);
  assert.ok(sc.exact >= 0 && sc.exact <= 1 && sc.count === 20);
  const t = s.translate('abc');
  assert.deepEqual(t.input, ['a', 'b', 'c']);
  assert.ok(t.output.length >= 1 && t.output.length <= 4);
  assert.ok(t.attention);
  assert.equal(t.attention.length, t.output.length * 3);
  for (let r = 0; r < t.output.length; r++) {
    const sum = t.attention[r * 3] + t.attention[r * 3 + 1] + t.attention[r * 3 + 2];
    assert.ok(Math.abs(sum - 1) < 1e-4, `row ${r} sums to ${sum}`);
  }
  assert.throws(() => s.translate('ab1'), /cannot read "1"/);
  assert.throws(() => s.translate(''), /type an input/);
  assert.throws(() => Seq2SeqSession.create({ task: 'nope', length: 3, hidden: 16, batch: 16, lr: 0.02, seed: 3 }, new JsBackend()), /unknown task/);
});
