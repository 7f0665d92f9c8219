/**
 * Streamed corpora (issue 19): the streamed batcher gives the in-memory StreamBatcher's batches on
 * single-byte text, reads the same tokens whatever its read size, resumes exactly from its position
 * record, and the split point, vocabulary scans, validation scoring and errors keep the contract.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryByteSource, fingerprint } from '../../src/data/byte-source.js';
import { CharTokenizer } from '../../src/data/tokens/index.js';
import { scanChars, scanRanges, splitPoint } from '../../src/data/corpus-scan.js';
import { StreamedBatcher } from '../../src/data/streamed-batcher.js';
import { StreamBatcher, Vocab } from '../../src/data/text.js';
import { nextCut, ReadBuffer, TokenCursor } from '../../src/data/token-cursor.js';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { evaluateStream } from '../../src/tasks/lm-eval.js';
import { evaluateTokens } from '../../src/tasks/lm-stream-eval.js';
import { Rng } from '../../src/util/rng.js';

const ASCII = 'It is a way I have of driving off the spleen, and regulating the circulation. '.repeat(7);
/** Two-, three- and four-byte characters among ASCII ones. */
const MIXED = 'Ahab é 船長 says 🐋! naïve café — '.repeat(23);

const tokOf = (text: string): CharTokenizer => new CharTokenizer(Vocab.fromText(text));
const src = (text: string): MemoryByteSource => MemoryByteSource.fromText(text, 'test.txt');

test('on single-byte text the streamed batcher gives StreamBatcher\'s batches, epochs and resets', () => {
  const tok = tokOf(ASCII);
  const old = new StreamBatcher(tok.encode(ASCII), 5, 11);
  const streamed = new StreamedBatcher(src(ASCII), tok, { batch: 5, seq: 11, chunk: 16 });
  for (let i = 0; i < 3 * old.batchesPerEpoch + 2; i++) {
    const a = old.next(), b = streamed.next();
    assert.deepEqual(b.inputs, a.inputs, `batch ${i} inputs`);
    assert.deepEqual(b.targets, a.targets, `batch ${i} targets`);
    assert.equal(b.reset, a.reset, `batch ${i} reset`);
  }
});

test('multi-byte text: each stream reads its region\'s tokens in order, the same for any read size', () => {
  const tok = tokOf(MIXED), ids = tok.encode(MIXED), s = src(MIXED);
  const B = 4, T = 9;
  const small = new StreamedBatcher(s, tok, { batch: B, seq: T, chunk: 5 });
  const large = new StreamedBatcher(s, tok, { batch: B, seq: T, chunk: 1 << 16 });
  assert.deepEqual(small.bounds, large.bounds);
  // Region starts are character boundaries: decoding each region gives whole characters.
  const bytes = new TextEncoder().encode(MIXED);
  const regions = small.bounds.slice(0, B).map((a, b) => tok.encode(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(a, small.bounds[b + 1]))));
  const seen: number[][] = regions.map(() => []);
  let first = true;
  for (;;) {
    const x = small.next(), y = large.next();
    assert.deepEqual(x, y);
    if (x.reset && !first) break;
    first = false;
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
      seen[b].push(x.inputs[t * B + b]);
      if (t > 0) assert.equal(x.inputs[t * B + b], x.targets[(t - 1) * B + b], 'targets are the inputs shifted by one');
    }
  }
  for (let b = 0; b < B; b++) {
    const want = regions[b].subarray(0, Math.floor(regions[b].length / T) * T);
    // An epoch serves every whole seq of the region (the last one only with a token after it).
    assert.deepEqual(Int32Array.from(seen[b]).subarray(0, want.length - (seen[b].length < want.length ? T : 0)), want.subarray(0, Math.min(want.length, seen[b].length)));
    assert.ok(regions[b].length - seen[b].length < T + 1, `stream ${b} leaves fewer than seq + 1 tokens unread`);
  }
  assert.ok(ids.length > 0);
});

test('the position record continues exactly, across epochs and with another read size', () => {
  const tok = tokOf(MIXED), s = src(MIXED);
  const straight = new StreamedBatcher(s, tok, { batch: 3, seq: 7 });
  const want = Array.from({ length: 60 }, () => straight.next());
  for (const cut of [1, 17, 29, 41]) {
    const a = new StreamedBatcher(s, tok, { batch: 3, seq: 7, chunk: 64 });
    for (let i = 0; i < cut; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.position));
    const b = new StreamedBatcher(s, tok, { batch: 3, seq: 7, chunk: 9 });
    b.position = saved;
    for (let i = cut; i < want.length; i++) assert.deepEqual(b.next(), want[i], `resumed after ${cut}: batch ${i}`);
  }
  const c = new StreamedBatcher(s, tok, { batch: 3, seq: 7 });
  assert.throws(() => { c.position = { epoch: 0, streams: [{ offset: 0, skip: 0 }] }; }, /expected an epoch and 3 streams/);
  assert.throws(() => { c.position = { epoch: 0, streams: [0, 1, 2].map(() => ({ offset: 1e9, skip: 0 })) }; }, /bad stream position/);
});

test('the split point is floor(size × (1 − f)) moved forward to a character boundary', () => {
  const text = 'ab船cd', s = src(text), tok = tokOf(text); // bytes: a b E8 88 B9 c d
  assert.equal(splitPoint(s, tok, 0), 7);
  assert.equal(splitPoint(s, tok, 1 - 2 / 7), 2); // floor(2) is a boundary
  assert.equal(splitPoint(s, tok, 1 - 3 / 7), 5); // byte 3 continues 船: the next boundary is 5
  assert.equal(splitPoint(s, tok, 1 - 4.5 / 7), 5);
  assert.equal(nextCut(s, tok, 6, 7), 6);
  assert.throws(() => splitPoint(s, tok, 1), /valFraction/);
});

test('the vocabulary scan: a pass finds every character; a sample never invents one; bad UTF-8 names its byte', () => {
  const big = MIXED.repeat(40);
  assert.deepEqual(scanChars(src(big)).chars, Vocab.fromText(big).chars);
  const sample = scanChars(src(big), { sample: 300 });
  for (const ch of sample.chars) assert.ok(Vocab.fromText(big).index(ch) >= 0, `${ch} is in the text`);
  assert.ok(sample.size >= 5);
  const ranges = scanRanges(1_000_000, 100_000);
  assert.equal(ranges[0][0], 0);
  assert.equal(ranges[ranges.length - 1][1], 1_000_000);
  assert.ok(ranges.reduce((n, [a, b]) => n + b - a, 0) >= 100_000);
  const bad = new Uint8Array([...new TextEncoder().encode('hello wörld '), 0xff, 0x41]);
  assert.throws(() => scanChars(new MemoryByteSource(bad, 'bad.txt')), /^Error: bad\.txt: invalid UTF-8 at byte 13 \(for text that is not UTF-8, use --tokens byte\)$/);
});

test('a cursor names the file and byte of a character outside the vocabulary, in any piece', () => {
  const text = `${'abc '.repeat(100)}é${'abc '.repeat(10)}Q`;
  const tok = new CharTokenizer(Vocab.fromText('abc é'));
  const cursor = new TokenCursor(src(text), tok, 0, new TextEncoder().encode(text).length, new ReadBuffer(), 16);
  assert.throws(() => { while (cursor.fill(64) > 0) cursor.advance(cursor.fill(64)); }, /^Error: test\.txt: character "Q" \(U\+0051\) at byte 442 is not in the vocabulary$/);
});

test('validation read through a cursor scores exactly what evaluateStream scores in memory', () => {
  const be = new JsBackend('f64');
  const tok = tokOf(MIXED), ids = tok.encode(MIXED);
  const model = new Model({ cell: 'lstm', hidden: 6, inputKind: 'tokens', inputSize: tok.size, outputSize: tok.size, head: 'softmax', outputMode: 'every' }, be).init(new Rng(3));
  const size = new TextEncoder().encode(MIXED).length;
  for (const max of [0, 50]) {
    const cursor = new TokenCursor(src(MIXED), tok, 0, size, new ReadBuffer(), 13);
    const streamed = evaluateTokens(model, cursor, { chunk: 16, maxTokens: max });
    const inMemory = evaluateStream(model, max ? ids.subarray(0, max) : ids, { chunk: 16 });
    assert.equal(streamed.chars, inMemory.chars);
    assert.ok(Math.abs(streamed.loss - inMemory.loss) < 1e-12, `${streamed.loss} vs ${inMemory.loss}`);
  }
});

test('the fingerprint changes with the bytes and the size', () => {
  const a = fingerprint(src(MIXED)), b = fingerprint(src(`${MIXED} `)), c = fingerprint(src(MIXED.replace('Ahab', 'Ahav')));
  assert.notEqual(a, b);
  assert.notEqual(a, c);
  assert.equal(a, fingerprint(src(MIXED)));
});

test('a text in memory with a lone surrogate is refused: it has no UTF-8 form', () => {
  assert.throws(() => MemoryByteSource.fromText('ab\ud83dcd', 'pasted'), /^Error: pasted: a lone surrogate \(U\+D83D\) at position 2 is not a character/);
  assert.equal(MemoryByteSource.fromText('ab\ud83d\udc0bcd').size, 8);
});
