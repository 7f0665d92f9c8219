/**
 * Every kind of token through the streamed path (issue 19's two halves joined): a TokenCursor reads the
 * tokens of encode(whole text) whatever its read size (a read never cuts inside a character or a word),
 * the split point lies at a cut point, losses per character use the characters of the text scored, a
 * sample's text is cut at character boundaries, and a word tokenizer learned from a sample maps what it
 * never saw to <unk>.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryByteSource } from '../../../src/data/byte-source.js';
import { sampleText, splitPoint } from '../../../src/data/corpus-scan.js';
import { countChars } from '../../../src/data/text.js';
import { ReadBuffer, TokenCursor } from '../../../src/data/token-cursor.js';
import { utf8, type TokenKind, type Tokenizer } from '../../../src/data/tokens/index.js';
import { buildTokenizer } from '../../../src/data/tokens/build.js';
import { JsBackend } from '../../../src/kernels/js.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, LmJob, type LmSettings } from '../../../src/tasks/lm.js';
import { LmStreamData } from '../../../src/tasks/lm-stream.js';

const be = new JsBackend('f32');
const MIXED = 'Ahab é 船長 says 🐋! naïve café — the whale\'s wake,   deep.\n'.repeat(31);
const KINDS: TokenKind[] = ['char', 'byte', 'word', 'bpe'];
const tokOf = (kind: TokenKind): Tokenizer => buildTokenizer(kind, MIXED, kind === 'bpe' ? 300 : kind === 'word' ? 40 : undefined);

function readAll(src: MemoryByteSource, tok: Tokenizer, start: number, end: number, chunk: number): { ids: number[]; cursor: TokenCursor } {
  const cursor = new TokenCursor(src, tok, start, end, new ReadBuffer(), chunk);
  const ids: number[] = [];
  for (let n = cursor.fill(1); n > 0; n = cursor.fill(1)) { ids.push(cursor.peek(0)); cursor.advance(1); }
  return { ids, cursor };
}

test('a cursor reads encode(text) for every kind and any read size: no read ends inside a character or a word', () => {
  const src = MemoryByteSource.fromText(MIXED, 'mixed.txt');
  for (const kind of KINDS) {
    const tok = tokOf(kind), whole = [...tok.encode(MIXED)];
    for (const chunk of [5, 7, 13, 64, 1 << 16]) {
      assert.deepEqual(readAll(src, tok, 0, src.size, chunk).ids, whole, `${kind}, reads of ${chunk} bytes`);
    }
  }
});

test('the split point is a cut point: both parts encoded apart are the whole text\'s tokens', () => {
  const src = MemoryByteSource.fromText(MIXED, 'mixed.txt'), bytes = utf8(MIXED);
  for (const kind of KINDS) {
    const tok = tokOf(kind);
    for (const f of [0.1, 0.37, 0.5]) {
      const at = splitPoint(src, tok, f);
      assert.ok(at >= Math.floor(bytes.length * (1 - f)), `${kind} ${f}: split ${at} before the floor`);
      const parts = [...tok.encodeBytes(bytes.subarray(0, at)), ...tok.encodeBytes(bytes.subarray(at))];
      assert.deepEqual(parts, [...tok.encode(MIXED)], `${kind} at ${f}`);
    }
  }
});

test('characters per token are those of the text read: exact on a whole part, 1 for char tokens', () => {
  const src = MemoryByteSource.fromText(MIXED, 'mixed.txt'), bytes = utf8(MIXED);
  const settings: LmSettings = { ...DEFAULT_SETTINGS, batch: 2, seq: 8, valFraction: 0.2, valChars: 0 };
  for (const kind of KINDS) {
    const tok = tokOf(kind), data = new LmStreamData(src, tok, settings, true);
    const val = bytes.subarray(data.valStart), train = bytes.subarray(0, data.valStart);
    const expect = (b: Uint8Array): number => (kind === 'char' ? 1 : countChars(b) / tok.encodeBytes(b).length);
    assert.equal(data.trainCharsPerToken, expect(train), `${kind} training part`);
    assert.equal(data.valCharsPerToken, expect(val), `${kind} validation part`);
    const { cursor } = readAll(src, tok, data.valStart, src.size, 9);
    assert.equal(cursor.charsRead, countChars(val), `${kind}: the cursor counts the characters it read`);
  }
});

test('a streamed job scores per token and per character: bpc = loss × tokens / (chars × ln 2)', () => {
  const settings: LmSettings = { ...DEFAULT_SETTINGS, batch: 2, seq: 8, steps: 3, time: null, valFraction: 0.2, valChars: 0 };
  for (const kind of ['word', 'bpe'] as TokenKind[]) {
    const tok = tokOf(kind);
    const job = new LmJob({ data: { mode: 'stream', bytes: MemoryByteSource.fromText(MIXED, 'm'), source: 'm' }, tokens: tok, backend: be, settings, arch: { ...DEFAULT_ARCH, hidden: 8, embed: 4 } });
    for (let i = 0; i < 3; i++) job.trainStep();
    const r = job.validate()!;
    assert.equal(job.trainSize + job.valSize, utf8(MIXED).length, 'sizes in bytes');
    assert.ok(job.valCharsPerToken > 1.2, `${kind}: a token holds more than a character (${job.valCharsPerToken})`);
    assert.ok(Math.abs(r.loss_per_char - r.loss / job.valCharsPerToken) < 1e-12);
    // chars = round(tokens × chars per token): equal up to that rounding.
    assert.ok(Math.abs(r.bpc - (r.loss * r.tokens) / (r.chars * Math.LN2)) <= r.bpc / r.chars, `${kind}: bpc ${r.bpc}`);
  }
});

test('a sample\'s text is cut at character boundaries; a word tokenizer learned from it maps unseen words to <unk>', () => {
  const rare = 'zebra ', text = `${'船長 says é and 🐋 sails. '.repeat(400)}${rare}${'船長 says é and 🐋 sails. '.repeat(400)}`;
  const src = MemoryByteSource.fromText(text, 'big.txt');
  const sample = sampleText(src, 4096 * 2);
  assert.ok(sample.length < text.length / 2 && sample.length > 1000);
  assert.ok(!sample.includes('\uFFFD'), 'no character is cut');
  assert.ok(!sample.includes('zebra'));
  assert.equal(sampleText(src), text, 'without a sample: the whole text');
  const tok = buildTokenizer('word', sample, 64);
  const ids = readAll(src, tok, 0, src.size, 100).ids;
  assert.ok(tok.decode(ids).includes('<unk>') || ids.some((id) => tok.decode([id]) === '<unk>'), 'zebra is <unk>');
  assert.deepEqual(ids, [...tok.encode(text)]);
});
