/**
 * End-to-end sanity of the core: an Elman language model trained by truncated BPTT on a short
 * repetitive text gets far below the unigram entropy (it must use its recurrence to do that), and the
 * same seed gives bit-identical weights.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { Optimizer } from '../../src/train/optim.js';
import { Trainer } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

const text = 'the cat sat on the mat. '.repeat(40);
const chars = [...new Set(text)].sort();
const ids = Int32Array.from(text, (ch) => chars.indexOf(ch));

function unigramEntropy(): number {
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) { const p = c / ids.length; h -= p * Math.log(p); }
  return h;
}

function train(seed: number, steps: number, cell: 'elman' | 'jordan' | 'elman+jordan' = 'elman'): { model: Model; loss: number } {
  const be = new JsBackend('f32');
  const V = chars.length, B = 4, T = 12;
  const model = new Model({ cell, hidden: 32, inputKind: 'tokens', inputSize: V, outputSize: V }, be).init(new Rng(seed));
  const trainer = new Trainer(model, new Optimizer(be, model.params, { name: 'adam', lr: 0.01 }), { clipNorm: 5 });
  const state = model.newState(B);
  const L = Math.floor((ids.length - 1) / B);
  let pos = 0, loss = Infinity;
  for (let s = 0; s < steps; s++) {
    if (pos + T >= L) { pos = 0; model.resetState(state); }
    const tokens = new Int32Array(T * B), targets = new Int32Array(T * B);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) {
      tokens[t * B + b] = ids[b * L + pos + t];
      targets[t * B + b] = ids[b * L + pos + t + 1];
    }
    pos += T;
    loss = trainer.step({ T, B, tokens, targets }, state).loss;
  }
  return { model, loss };
}

test('an Elman language model learns a repetitive text far below the unigram entropy', () => {
  const h = unigramEntropy();
  const { loss } = train(1, 300);
  assert.ok(loss < 0.25 * h, `loss ${loss.toFixed(3)} nats should be well below the unigram entropy ${h.toFixed(3)}`);
});

test('Jordan and Elman+Jordan networks learn it too', () => {
  const h = unigramEntropy();
  for (const cell of ['jordan', 'elman+jordan'] as const) {
    const { loss } = train(2, 300, cell);
    assert.ok(loss < 0.5 * h, `${cell}: loss ${loss.toFixed(3)} vs unigram ${h.toFixed(3)}`);
  }
});

test('the same seed gives bit-identical weights; another seed does not', () => {
  const a = train(5, 20).model.params.data, b = train(5, 20).model.params.data, c = train(6, 20).model.params.data;
  assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer));
  assert.notDeepEqual(Buffer.from(a.buffer), Buffer.from(c.buffer));
});
