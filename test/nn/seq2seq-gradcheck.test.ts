/**
 * Finite differences in float64 for the seq2seq model: every attention kind × cell × bidirectional × input
 * feeding (less the reference's refusals: dot with a bidirectional encoder, input feeding without attention),
 * on a batch with padded sources and targets; two layers in half of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { makePairBatch } from '../../src/nn/seq2seq/batch.js';
import type { AttentionKind, Seq2SeqCell } from '../../src/nn/seq2seq/config.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f64');
const ids = (...xs: number[]): Int32Array => Int32Array.from(xs);
// sources of lengths 3, 5, 1 and targets of lengths 2, 0, 4 (padded on both sides)
const batch = makePairBatch([[ids(4, 5, 6), ids(7, 4)], [ids(6, 5, 4, 4, 7), ids()], [ids(5), ids(4, 5, 6, 7)]]);

let n = 0;
for (const cell of ['lstm', 'gru', 'elman'] as Seq2SeqCell[]) for (const attention of ['none', 'dot', 'general', 'additive'] as AttentionKind[])
  for (const bidirectional of [false, true]) for (const input_feeding of [false, true]) {
    if ((attention === 'dot' && bidirectional) || (input_feeding && attention === 'none')) continue;
    const layers = n++ % 4 < 2 ? 2 : 1;
    test(`seq2seq gradients are exact: ${cell}, ${attention}, ${bidirectional ? 'bi' : 'uni'}, ${input_feeding ? 'feeding' : 'no feeding'}, ${layers} layers`, () => {
      const m = new Seq2Seq({ src_vocab: 8, tgt_vocab: 8, embed: 3, hidden: 4, cell, layers, bidirectional, attention, attention_size: 3, input_feeding }, be);
      const rng = new Rng(n);
      m.init(rng);
      for (let i = 0; i < m.params.size; i++) m.params.data[i] = 0.6 * rng.normal();
      m.zeroGrads();
      m.forward(batch, { train: true });
      m.backward();
      const analytic = Float64Array.from(m.grads.data), p = m.params.data, eps = 1e-6;
      for (const v of m.params.views) {
        let reached = 0;
        // every entry of small tensors, a spread of entries of large ones
        const step = Math.max(1, Math.floor(v.size / 24));
        for (let i = v.offset; i < v.offset + v.size; i += step) {
          const old = p[i];
          p[i] = old + eps; const lp = m.forward(batch).loss;
          p[i] = old - eps; const lm = m.forward(batch).loss;
          p[i] = old;
          const num = (lp - lm) / (2 * eps);
          if (!(Math.abs(num - analytic[i]) <= 1e-7 + 1e-5 * Math.abs(num))) assert.fail(`d loss / d ${v.name}[${i - v.offset}]: analytic ${analytic[i]}, numeric ${num}`);
          if (Math.abs(num) > 1e-9) reached++;
        }
        // PAD's and <unk>'s embedding rows get no gradient; every other tensor does
        if (!/_embedding/.test(v.name)) assert.ok(reached > 0, `the gradient reaches ${v.name}`);
      }
    });
  }
