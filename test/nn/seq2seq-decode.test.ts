/**
 * Decoding: beam search with K = 1 is greedy decoding; a model trained on a task with one right answer
 * (reversal) decodes it with greedy and beam search; the model agrees across backends (forward, backward,
 * decoding steps).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import type { Backend } from '../../src/kernels/backend.js';
import { makePairBatch } from '../../src/nn/seq2seq/batch.js';
import type { Seq2SeqConfig } from '../../src/nn/seq2seq/config.js';
import { beam, greedy } from '../../src/nn/seq2seq/decode.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { Optimizer } from '../../src/train/optim.js';
import { Rng } from '../../src/util/rng.js';
import { backends } from '../helpers/backends.js';
import { assertClose } from '../helpers/close.js';

const be = new JsBackend('f32');

function randomPair(rng: Rng, maxLen: number): [Int32Array, Int32Array] {
  const x = Int32Array.from({ length: 1 + rng.int(maxLen) }, () => 4 + rng.int(4));
  return [x, x.slice().reverse()];
}

test('beam search with K = 1 is greedy decoding, on every kind of model', () => {
  const kinds: Partial<Seq2SeqConfig>[] = [
    { attention: 'none' }, { attention: 'dot', input_feeding: true }, { attention: 'general', bidirectional: true, cell: 'gru' },
    { attention: 'additive', layers: 2, cell: 'elman' },
  ];
  for (const k of kinds) {
    const m = new Seq2Seq({ src_vocab: 8, tgt_vocab: 8, embed: 4, hidden: 6, ...k }, be).init(new Rng(3));
    const rng = new Rng(9);
    for (let i = 0; i < 5; i++) {
      const [x] = randomPair(rng, 5);
      const g = greedy(m, x, Int32Array.of(x.length), 1, x.length, 7);
      const b = beam(m, x, x.length, 1, 7);
      assert.deepEqual(Array.from(b.ids), Array.from(g.ids[0]), JSON.stringify(k));
      if (g.attention) assertClose(b.attention!, g.attention[0], 'attention');
    }
  }
});

test('a model trained to reverse its input decodes the answer (greedy and beam search)', () => {
  const m = new Seq2Seq({ src_vocab: 8, tgt_vocab: 8, embed: 8, hidden: 24, attention: 'additive' }, be).init(new Rng(1));
  const opt = new Optimizer(be, m.params, { name: 'adam', lr: 0.01 });
  const rng = new Rng(2);
  let loss = Infinity;
  for (let step = 0; step < 400; step++) {
    const b = makePairBatch(Array.from({ length: 16 }, () => randomPair(rng, 4)));
    m.zeroGrads();
    loss = m.forward(b, { train: true }).loss;
    m.backward();
    opt.update(m.grads.data);
  }
  assert.ok(loss < 0.1, `trained to a loss of ${loss}`);
  for (let i = 0; i < 10; i++) {
    const [x, y] = randomPair(rng, 4);
    const g = greedy(m, x, Int32Array.of(x.length), 1, x.length, 8);
    const b = beam(m, x, x.length, 3, 8);
    assert.deepEqual(Array.from(g.ids[0]), Array.from(y));
    assert.deepEqual(Array.from(b.ids), Array.from(y));
    assert.ok(b.score <= 0 && b.score > -0.5, `score ${b.score}`);
    assert.equal(b.attention!.length, y.length * x.length);
  }
  // several sequences at once decode as each alone
  const xs = [Int32Array.of(4, 5, 6), Int32Array.of(7), Int32Array.of(6, 4)];
  const batch = makePairBatch(xs.map((x) => [x, x]));
  const all = greedy(m, batch.src, batch.srcLen, 3, batch.S, 8);
  xs.forEach((x, i) => assert.deepEqual(Array.from(all.ids[i]), Array.from(greedy(m, x, Int32Array.of(x.length), 1, x.length, 8).ids[0])));
});

test('the seq2seq model agrees across backends: loss, gradients, decoding', async () => {
  const pairs = [randomPair(new Rng(4), 6), randomPair(new Rng(5), 6), randomPair(new Rng(6), 6)];
  const batch = makePairBatch(pairs);
  for (const config of [{ attention: 'additive', bidirectional: true, layers: 2 }, { attention: 'general', input_feeding: true, cell: 'gru' }] as Partial<Seq2SeqConfig>[]) {
    const run = (b: Backend) => {
      const m = new Seq2Seq({ src_vocab: 8, tgt_vocab: 8, embed: 5, hidden: 7, attention_size: 6, ...config }, b).init(new Rng(7));
      m.zeroGrads();
      const loss = m.forward(batch, { train: true }).loss;
      m.backward();
      const st = m.start(batch.src, batch.srcLen, batch.B, batch.S);
      const s = m.step(st, Int32Array.of(1, 1, 1));
      m.freeState(st);
      return { loss, grads: Float32Array.from(m.grads.data), att: m.attention()!, logits: s.logits };
    };
    const ref = run(be);
    for (const nb of backends()) {
      const got = run(await nb.make());
      assertClose([got.loss], [ref.loss], `${nb.name} loss`);
      assertClose(got.grads, ref.grads, `${nb.name} gradients`);
      assertClose(got.att, ref.att, `${nb.name} attention`);
      assertClose(got.logits, ref.logits, `${nb.name} step logits`);
    }
  }
});

test('decoding step by step computes what the teacher-forced forward computes', () => {
  const pairs = [randomPair(new Rng(11), 6), randomPair(new Rng(12), 6), randomPair(new Rng(13), 6)];
  const b = makePairBatch(pairs);
  const kinds: Partial<Seq2SeqConfig>[] = [
    { attention: 'additive', bidirectional: true, layers: 2 }, { attention: 'dot', input_feeding: true, cell: 'gru', layers: 2 },
    { attention: 'general', input_feeding: true, bidirectional: true, cell: 'elman' },
  ];
  for (const k of kinds) {
    const m = new Seq2Seq({ src_vocab: 8, tgt_vocab: 8, embed: 5, hidden: 6, ...k }, be).init(new Rng(5));
    m.forward(b);
    const full = m.attention()!;
    const st = m.start(b.src, b.srcLen, b.B, b.S);
    for (let t = 0; t < b.T; t++) {
      const { attention } = m.step(st, b.tgtIn.subarray(t * b.B, (t + 1) * b.B));
      for (let i = 0; i < b.B; i++) {
        assertClose(attention!.subarray(i * b.S, (i + 1) * b.S), full.subarray((i * b.T + t) * b.S, (i * b.T + t + 1) * b.S), `${JSON.stringify(k)} step ${t} row ${i}`);
      }
    }
    m.freeState(st);
    // decoding reused the buffers of the last forward: its gradients are gone
    m.forward(b, { train: true });
    m.freeState(m.start(b.src, b.srcLen, b.B, b.S));
    assert.throws(() => m.backward(), /backward needs a forward pass with train: true/);
  }
});
