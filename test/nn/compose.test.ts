/**
 * A model that is not Model: an encoder-decoder composed from the nn parts (two stacks with their own
 * tensor prefixes, their stream states, a linear head with its own name), the encoder's final state
 * handed to the decoder as its initial state and the gradient handed back. Checked by finite
 * differences in float64, so the parts' contract (getFinal/setInitial, getInitialGrad/addFinalGrad,
 * extra state, learned h0) holds for code outside model.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import type { CellType, StackConfig } from '../../src/nn/config.js';
import { Decoder } from '../../src/nn/heads.js';
import { meanSquaredError } from '../../src/nn/loss.js';
import { Params } from '../../src/nn/params.js';
import { Stack, stackSpecs } from '../../src/nn/stack.js';
import { StreamState } from '../../src/nn/state.js';
import { Rng } from '../../src/util/rng.js';

const be = new JsBackend('f64');

function seq2seq(cell: CellType) {
  const H = 3, F = 2, O = 2, S = 4, T = 3, B = 2;
  const base = { cell, activation: 'tanh' as const, hidden: H, layers: 2, bidirectional: false, lags: [], dropout: 0, feedback: 0, feedbackGrad: false };
  const enc: StackConfig = { ...base, h0: 'learned', input: F, prefix: 'encoder' };
  const dec: StackConfig = { ...base, h0: 'zero', input: F, prefix: 'decoder' };
  const specs = [...stackSpecs(enc), ...stackSpecs(dec), { name: 'out.weight', shape: [O, H] }, { name: 'out.bias', shape: [O] }];
  const params = new Params(specs, be), grads = new Params(specs, be);
  const encoder = new Stack(enc, be, params, grads), decoder = new Stack(dec, be, params, grads);
  const encStreams = new StreamState(be, encoder, params, grads, { mode: 'learned', scale: 0 });
  const decStreams = new StreamState(be, decoder, params, grads, { mode: 'zero', scale: 0 });
  const out = new Decoder(be, params, grads, H, O, 'out');
  const rng = new Rng(5);
  for (let i = 0; i < params.size; i++) params.data[i] = 0.5 * rng.normal();
  const src = be.alloc(S * B * F), tgtIn = be.alloc(T * B * F), tgt = be.alloc(T * B * O);
  for (const b of [src, tgtIn, tgt]) for (let i = 0; i < b.length; i++) b[i] = rng.normal();
  const logits = be.alloc(T * B * O), dlogits = be.alloc(T * B * O), tmp = be.alloc(B * H);

  const forward = (): number => {
    encoder.ensure(S, B); decoder.ensure(T, B);
    encoder.setMask(null); decoder.setMask(null);
    encoder.setInputs({ kind: 'dense', buf: src, off: 0, ld: F });
    decoder.setInputs({ kind: 'dense', buf: tgtIn, off: 0, ld: F });
    const es = encStreams.create(B), ds = decStreams.create(B);
    encStreams.load(es);
    encoder.forwardLayers();
    // The bridge: the decoder starts where the encoder ended, every layer, h and the extra state.
    encoder.all.forEach((layer, i) => { layer.getFinal(ds.h[i]); if (layer.extra) layer.extra.getFinal(ds.c[i]); });
    decStreams.load(ds);
    decoder.forwardLayers();
    out.forward(T * B, decoder.outBuf(1), decoder.outOff(1), H, logits, 0);
    return meanSquaredError(be, T * B * O, logits, tgt, null, dlogits).loss;
  };
  const backward = (): void => {
    be.fill(grads.data, 0, grads.size, 0);
    decoder.beginBackward();
    const g = decoder.gradTarget(1);
    out.backwardInput(T * B, dlogits, 0, g.buf, g.off, g.ld, g.beta);
    decoder.spreadGrad(1);
    out.backwardParams(T * B, dlogits, 0, decoder.outBuf(1), decoder.outOff(1), H);
    decoder.backwardLayers();
    encoder.beginBackward();
    decoder.all.forEach((layer, i) => {
      layer.getInitialGrad(tmp); encoder.all[i].addFinalGrad(tmp, 0);
      if (layer.extra) { layer.extra.getInitialGrad(tmp); encoder.all[i].extra!.addFinalGrad(tmp, 0); }
    });
    encoder.backwardLayers();
    encStreams.addH0Grads();
  };
  return { params, grads, forward, backward };
}

for (const cell of ['lstm', 'gru', 'elman'] as const) {
  test(`an encoder-decoder composed from stacks and stream states has exact gradients (${cell})`, () => {
    const m = seq2seq(cell);
    m.forward();
    m.backward();
    const analytic = Float64Array.from(m.grads.data), p = m.params.data, eps = 1e-6;
    let nonzero = 0;
    for (const v of m.params.views) for (let i = v.offset; i < v.offset + v.size; i++) {
      const old = p[i];
      p[i] = old + eps; const lp = m.forward();
      p[i] = old - eps; const lm = m.forward();
      p[i] = old;
      const num = (lp - lm) / (2 * eps);
      if (!(Math.abs(num - analytic[i]) <= 1e-8 + 1e-6 * Math.abs(num))) assert.fail(`d loss / d ${v.name}[${i - v.offset}]: analytic ${analytic[i]}, numeric ${num}`);
      if (Math.abs(num) > 1e-6 && /^encoder\.(weight|h0|c0)/.test(v.name)) nonzero++;
    }
    assert.ok(nonzero > 20, `the gradient reaches the encoder through the bridge (${nonzero} entries)`);
    assert.ok(m.params.has('encoder.h0_l1') && m.params.has('decoder.weight_hh_l1') && m.params.has('out.bias'));
  });
}
