/**
 * Seq2seq export: greedy decoding driven by the two exported graphs in onnxruntime (the encoder once, the
 * one-step decoder with its state, the encoder states and the source mask fed back) gives recur's output
 * ids exactly and its logits, attention weights and states within float32 rounding, for every cell, every
 * attention kind, both encoder directions and input feeding, on padded sources.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { JsBackend } from '../../src/kernels/js.js';
import { BOS, EOS, type Seq2SeqConfig } from '../../src/nn/seq2seq/config.js';
import { greedy } from '../../src/nn/seq2seq/decode.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { exportSeq2SeqOnnx } from '../../src/onnx/export-seq2seq.js';
import { encodeSeq2Seq } from '../../src/io/seq2seq-file.js';
import { Rng } from '../../src/util/rng.js';
import { recur, tempDir } from '../cli/lm-helpers.js';

const be = new JsBackend('f32');
const S = 5, B = 3, STEPS = 6, lengths = [5, 2, 4];

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function source(V: number, seed: number): Int32Array {
  const rng = new Rng(seed), src = new Int32Array(S * B);
  for (let s = 0; s < S; s++) for (let b = 0; b < B; b++) src[s * B + b] = s < lengths[b] ? 4 + Math.floor(rng.uniform(0, 1) * (V - 4)) : 0;
  return src;
}

const argmax = (x: ArrayLike<number>, b: number, V: number): number => {
  let best = 0;
  for (let j = 1; j < V; j++) if (x[b * V + j] > x[b * V + best]) best = j;
  return best;
};

/** Greedy over the graphs: per step the tokens, logits and attention; then the ids up to <eos>, as decode.ts's greedy. */
async function decodeOnnx(encoder: Uint8Array, decoder: Uint8Array, m: Seq2Seq, src: Int32Array) {
  const c = m.config, V = c.tgt_vocab, H = c.hidden;
  const enc = await ort.InferenceSession.create(encoder), dec = await ort.InferenceSession.create(decoder);
  const e = await enc.run({ src: new ort.Tensor('int64', BigInt64Array.from(src, BigInt), [S, B]), src_lengths: new ort.Tensor('int32', Int32Array.from(lengths), [B]) });
  const mask = new ort.Tensor('bool', Uint8Array.from({ length: S * B }, (_, i) => (Math.floor(i / B) < lengths[i % B] ? 1 : 0)), [S, B]);
  let h = e.h0, cell = e.c0, feed: ort.Tensor = new ort.Tensor('float32', new Float32Array(B * H), [B, H]);
  const tokens = new Int32Array(B).fill(BOS), steps: { logits: Float32Array; attention: Float32Array | null }[] = [];
  for (let t = 0; t < STEPS; t++) {
    const feeds: Record<string, ort.Tensor> = { prev_token: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [B]), h };
    if (cell) feeds.c = cell;
    if (dec.inputNames.includes('encoder_states')) { feeds.encoder_states = e.encoder_states; feeds.src_mask = mask; }
    if (dec.inputNames.includes('feed')) feeds.feed = feed;
    const r = await dec.run(feeds);
    const logits = r.logits.data as Float32Array;
    steps.push({ logits, attention: r.attention ? (r.attention.data as Float32Array) : null });
    for (let b = 0; b < B; b++) tokens[b] = argmax(logits, b, V);
    h = r.hn; cell = r.cn; if (r.h_tilde) feed = r.h_tilde;
  }
  await enc.release(); await dec.release();
  const ids = Array.from({ length: B }, (_, b) => {
    const out: number[] = [];
    for (const st of steps) { const k = argmax(st.logits, b, V); if (k === EOS) break; out.push(k); }
    return out;
  });
  return { steps, ids };
}

const CONFIGS: Partial<Seq2SeqConfig>[] = [];
for (const cell of ['lstm', 'gru', 'elman'] as const) {
  for (const attention of ['none', 'dot', 'general', 'additive'] as const) {
    for (const bidirectional of attention === 'dot' ? [false] : [false, true]) {
      for (const input_feeding of attention === 'none' ? [false] : [false, true]) {
        CONFIGS.push({ cell, attention, bidirectional, input_feeding, layers: bidirectional === input_feeding ? 2 : 1, attention_size: attention === 'additive' ? 5 : null });
      }
    }
  }
}

test(`seq2seq export: greedy decoding through the two graphs is recur's (${CONFIGS.length} configurations)`, async () => {
  for (const [i, cfg] of CONFIGS.entries()) {
    const m = new Seq2Seq({ src_vocab: 9, tgt_vocab: 8, embed: 4, hidden: 6, ...cfg }, be).init(new Rng(i + 1));
    const src = source(9, i), what = JSON.stringify(cfg);
    const { encoder, decoder } = exportSeq2SeqOnnx(m);
    const onnx = await decodeOnnx(encoder.bytes, decoder.bytes, m, src);
    // recur, step by step on the same tokens (the graphs' argmax), then its own greedy decoder
    const st = m.start(src, Int32Array.from(lengths), B, S), tokens = new Int32Array(B).fill(BOS), V = m.config.tgt_vocab;
    try {
      for (const [t, step] of onnx.steps.entries()) {
        const r = m.step(st, tokens);
        assert.ok(maxDiff(r.logits, step.logits) < 5e-5, `${what} step ${t} logits: ${maxDiff(r.logits, step.logits)}`);
        assert.equal(r.attention === null, step.attention === null, what);
        if (r.attention) assert.ok(maxDiff(r.attention, step.attention!) < 1e-5, `${what} step ${t} attention: ${maxDiff(r.attention, step.attention!)}`);
        for (let b = 0; b < B; b++) tokens[b] = argmax(r.logits, b, V);
      }
    } finally { m.freeState(st); }
    const g = greedy(m, src, Int32Array.from(lengths), B, S, STEPS);
    assert.deepEqual(onnx.ids, g.ids.map((x) => [...x]), what);
  }
});

test('recur export --format onnx of a seq2seq file writes PREFIX.encoder.onnx and PREFIX.decoder.onnx', async () => {
  const dir = tempDir('recur-onnx-s2s-'), m = new Seq2Seq({ src_vocab: 7, tgt_vocab: 7, embed: 3, hidden: 4, bidirectional: true, attention: 'general' }, be).init(new Rng(2));
  const symbols = ['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'b', 'c'];
  const file = join(dir, 's2s.safetensors');
  writeFileSync(file, encodeSeq2Seq(m, symbols, symbols));
  const r = await recur(['export', '--format', 'onnx', '--model', file, '--out', join(dir, 'rev'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.deepEqual(info.encoder.inputs, ['src', 'src_lengths']);
  assert.deepEqual(info.decoder.outputs, ['logits', 'hn', 'cn', 'attention', 'h_tilde']);
  const src = source(7, 1);
  const onnx = await decodeOnnx(readFileSync(join(dir, 'rev.encoder.onnx')), readFileSync(join(dir, 'rev.decoder.onnx')), m, src);
  assert.deepEqual(onnx.ids, greedy(m, src, Int32Array.from(lengths), B, S, STEPS).ids.map((x) => [...x]));
});
