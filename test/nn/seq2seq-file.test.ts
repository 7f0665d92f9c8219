/**
 * The seq2seq model file: a round trip keeps every tensor, the config and the vocabularies; the reader
 * refuses, with one line, files of another kind (a char-LM file here, a seq2seq file in the char-LM reader),
 * configs the reference refuses, vocabularies that do not match the config, and tensors that do not match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { decodeSeq2Seq, encodeSeq2Seq } from '../../src/io/seq2seq-file.js';
import { makePairBatch } from '../../src/nn/seq2seq/batch.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { Rng } from '../../src/util/rng.js';
import { legacyPath } from '../io/model-bytes.js';

const be = new JsBackend('f32');
const vocab = (n: number): string[] => ['<pad>', '<bos>', '<eos>', '<unk>', ...Array.from({ length: n - 4 }, (_, i) => String.fromCharCode(97 + i))];
const model = (): Seq2Seq => new Seq2Seq({ src_vocab: 7, tgt_vocab: 6, embed: 3, hidden: 4, bidirectional: true, attention: 'additive' }, be).init(new Rng(1));

/** The same file with its metadata (or tensors) edited. */
function edit(bytes: Uint8Array, f: (meta: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  f(metadata);
  return encodeSafetensors([...tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data })), metadata);
}
const oneLine = (fn: () => unknown, re: RegExp): void =>
  assert.throws(fn, (e: Error) => re.test(e.message) && !e.message.includes('\n'));

test('a seq2seq file round-trips: tensors, config, vocabularies, task; the loss is the same', () => {
  const m = model();
  const bytes = encodeSeq2Seq(m, vocab(7), vocab(6), { task: { name: 'reverse', length: 5 } });
  const { metadata } = decodeSafetensors(bytes);
  assert.equal(metadata.kind, 'seq2seq');
  assert.deepEqual(JSON.parse(metadata.config), m.config);
  assert.deepEqual(Object.keys(JSON.parse(metadata.config)), ['src_vocab', 'tgt_vocab', 'embed', 'hidden', 'cell', 'layers', 'bidirectional', 'attention', 'attention_size', 'input_feeding']);
  const back = decodeSeq2Seq(bytes, be);
  assert.deepEqual(back.srcVocab, vocab(7));
  assert.deepEqual(back.tgtVocab, vocab(6));
  assert.deepEqual(back.task, { name: 'reverse', length: 5 });
  assert.deepEqual(Array.from(back.model.params.data), Array.from(m.params.data));
  const b = makePairBatch([[Int32Array.of(4, 5, 6), Int32Array.of(5, 4)], [Int32Array.of(6), Int32Array.of(4, 4, 5)]]);
  assert.equal(back.model.forward(b).loss, m.forward(b).loss);
});

test('files of the other kind are refused with one line, both ways', () => {
  const lm = new Uint8Array(readFileSync(legacyPath('lstm.safetensors')));
  oneLine(() => decodeSeq2Seq(lm, be), /recurrent network, not a seq2seq model/);
  const s2s = encodeSeq2Seq(model(), vocab(7), vocab(6));
  oneLine(() => decodeLm(s2s, be), /"seq2seq" model, which this command does not read|seq2seq/);
});

test('bad seq2seq files are refused with one line', () => {
  const bytes = encodeSeq2Seq(model(), vocab(7), vocab(6));
  const withConfig = (c: Record<string, unknown>) => edit(bytes, (m) => { m.config = JSON.stringify({ ...JSON.parse(m.config), ...c }); });
  oneLine(() => decodeSeq2Seq(withConfig({ attention: 'dot' }), be), /dot scores need encoder width == hidden/);
  oneLine(() => decodeSeq2Seq(withConfig({ hidden: 5 }), be), /shape/);
  oneLine(() => decodeSeq2Seq(withConfig({ hidden: 1e9 }), be), /hidden/);
  oneLine(() => decodeSeq2Seq(withConfig({ src_vocab: 2 ** 40 }), be), /src_vocab/);
  oneLine(() => decodeSeq2Seq(withConfig({ dropout: 0.5 }), be), /unknown seq2seq setting 'dropout'/);
  oneLine(() => decodeSeq2Seq(edit(bytes, (m) => { m.src_vocab = JSON.stringify(vocab(6)); }), be), /src_vocab" has 6 symbols but the config says 7/);
  oneLine(() => decodeSeq2Seq(edit(bytes, (m) => { m.tgt_vocab = JSON.stringify(['a', 'a', 'b', 'c', 'd', 'e']); }), be), /duplicate/);
  oneLine(() => decodeSeq2Seq(edit(bytes, (m) => { delete m.tgt_vocab; }), be), /no tgt_vocab/);
  oneLine(() => decodeSeq2Seq(edit(bytes, (m) => { m.tgt_vocab = '[[[["a"]]]]'; }), be), /tgt_vocab/);
  assert.throws(() => encodeSeq2Seq(model(), vocab(6), vocab(6)), /src_vocab/);
});
