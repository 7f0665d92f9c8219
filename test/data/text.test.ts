import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vocab, decodeUtf8Strict, splitTrainVal, StreamBatcher, sequencesBatcher, SEQ_MARK } from '../../src/data/text.js';

test('vocab: code points, sorted, astral round trip', () => {
  const text = 'héllo 😀 wörld 𝄞\n';
  const v = Vocab.fromText(text);
  assert.equal(v.size, new Set([...text]).size);
  assert.equal(v.index('😀') >= 0, true);
  assert.equal(v.index('\ud83d'), -1, 'no lone surrogate halves');
  // Code-point order puts U+1F600 after U+FFFD even though its UTF-16 lead unit is smaller.
  const w = new Vocab(['😀', '\ufffd', 'a']);
  assert.deepEqual(w.chars, ['a', '\ufffd', '😀']);
  const ids = v.encode(text);
  assert.equal(ids.length, [...text].length);
  assert.equal(v.decode(ids), text);
  assert.deepEqual(new Vocab(JSON.parse(JSON.stringify(v)).chars).chars, v.chars);
});

test('vocab: encode names the first unknown character and its position', () => {
  const v = Vocab.fromText('abc');
  assert.throws(() => v.encode('ab😀cz'), /"😀" \(U\+1F600\) at position 2/);
  assert.throws(() => v.decode([0, 7]), /id 7 at position 1/);
  assert.throws(() => new Vocab(['ab']), /not a single code point/);
});

test('decodeUtf8Strict reports the byte offset', () => {
  const ok = new TextEncoder().encode('aé😀');
  assert.equal(decodeUtf8Strict(ok), 'aé😀');
  const cases: [number[], number][] = [
    [[0x61, 0x62, 0xff], 2], // never valid
    [[0x61, 0xc3, 0x28], 1], // bad continuation
    [[0xc0, 0xaf], 0], // overlong
    [[0x61, 0xed, 0xa0, 0x80], 1], // surrogate
    [[0x61, 0x62, 0x63, 0xf0, 0x9f, 0x98], 3], // truncated at end
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[...ok, 0x80], ok.length], // stray continuation
  ];
  for (const [bytes, at] of cases) {
    assert.throws(() => decodeUtf8Strict(new Uint8Array(bytes)), { message: `invalid UTF-8 at byte ${at}` }, JSON.stringify(bytes));
  }
});

test('splitTrainVal keeps the tail for validation', () => {
  const ids = Int32Array.from({ length: 100 }, (_, i) => i);
  const { train, val } = splitTrainVal(ids, 0.1);
  assert.equal(train.length, 90);
  assert.deepEqual([...val!], [90, 91, 92, 93, 94, 95, 96, 97, 98, 99]);
  assert.equal(splitTrainVal(ids, 0).val, null);
  assert.throws(() => splitTrainVal(ids, 1), /valFraction/);
  assert.throws(() => splitTrainVal(ids.subarray(0, 3), 0.1), /too short/);
});

test('StreamBatcher: contiguous streams, shifted targets, wraparound', () => {
  const n = 103, batch = 4, seq = 5;
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const sb = new StreamBatcher(ids, batch, seq);
  const L = Math.floor((n - 1) / batch);
  assert.equal(sb.streamLength, L); // 25
  assert.equal(sb.batchesPerEpoch, 5);
  for (let k = 0; k < sb.batchesPerEpoch; k++) {
    const { inputs, targets, reset } = sb.next();
    assert.equal(reset, k === 0);
    assert.equal(inputs.length, seq * batch);
    for (let b = 0; b < batch; b++) {
      for (let t = 0; t < seq; t++) {
        // stream b starts at b*L; batch k covers its characters k*seq .. k*seq+seq-1.
        assert.equal(inputs[t * batch + b], b * L + k * seq + t);
        assert.equal(targets[t * batch + b], inputs[t * batch + b] + 1);
      }
    }
  }
  assert.deepEqual(sb.position, { epoch: 1, offset: 0 });
  const again = sb.next();
  assert.equal(again.reset, true);
  assert.equal(again.inputs[0], 0);
});

test('StreamBatcher: leftover shorter than seq wraps to a new epoch', () => {
  const ids = Int32Array.from({ length: 2 * 7 + 1 }, (_, i) => i); // L = 7, seq 3: two batches, 1 left over
  const sb = new StreamBatcher(ids, 2, 3);
  assert.equal(sb.next().reset, true);
  assert.equal(sb.next().reset, false);
  const b = sb.next();
  assert.equal(b.reset, true);
  assert.equal(sb.position.epoch, 1);
});

test('StreamBatcher: position save/restore continues identically', () => {
  const ids = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 61);
  const a = new StreamBatcher(ids, 3, 16);
  for (let i = 0; i < 27; i++) a.next(); // crosses an epoch boundary (20 batches per epoch)
  const saved = JSON.parse(JSON.stringify(a.position));
  const expected = Array.from({ length: 30 }, () => a.next());
  const b = new StreamBatcher(ids, 3, 16);
  b.position = saved;
  for (const e of expected) assert.deepEqual(b.next(), e);
  assert.throws(() => { b.position = { epoch: 0, offset: 1000 }; }, /bad stream position/);
});

test('StreamBatcher: too short text is refused', () => {
  assert.throws(() => new StreamBatcher(new Int32Array(20), 4, 5), /need at least batch\*seq\+1 = 21/);
  assert.doesNotThrow(() => new StreamBatcher(new Int32Array(21), 4, 5));
});

test('sequencesBatcher: marker framing, padding, lengths', () => {
  const names = ['Ann', 'Bo', 'Christopher', 'Dé'];
  const sb = sequencesBatcher(names, { batch: 3, seed: 1 });
  const v = sb.vocab;
  const mark = v.index(SEQ_MARK);
  assert.ok(mark >= 0);
  assert.equal(sb.batchesPerEpoch, 2);
  const seen: string[] = [];
  for (let k = 0; k < 2; k++) {
    const { inputs, targets, lengths, batch, steps } = sb.next();
    assert.equal(inputs.length, steps * batch);
    assert.equal(steps, Math.max(...lengths));
    for (let b = 0; b < batch; b++) {
      const inp: number[] = [], tgt: number[] = [];
      for (let t = 0; t < steps; t++) { inp.push(inputs[t * batch + b]); tgt.push(targets[t * batch + b]); }
      const L = lengths[b];
      assert.equal(inp[0], mark);
      assert.equal(tgt[L - 1], mark);
      assert.ok(tgt.slice(L).every((x) => x === -1));
      assert.deepEqual(inp.slice(1, L), tgt.slice(0, L - 1));
      seen.push(v.decode(tgt.slice(0, L - 1)));
    }
  }
  assert.deepEqual(seen.sort(), [...names].sort());
  assert.deepEqual(sb.position, { epoch: 1, offset: 0 });
  assert.throws(() => sequencesBatcher(['a\nb'], { batch: 1, seed: 0 }), /marker/);
});

test('sequencesBatcher: seeded per-epoch shuffles, resumable', () => {
  const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
  // The names of the next k batches, read back from the time-major targets.
  const order = (s: ReturnType<typeof sequencesBatcher>, k: number): string[][] =>
    Array.from({ length: k }, () => {
      const { targets, lengths, batch } = s.next();
      return [...lengths].map((L, b) => s.vocab.decode(Array.from({ length: L - 1 }, (_, t) => targets[t * batch + b])));
    });
  const a = sequencesBatcher(names, { batch: 8, seed: 42 });
  const e1 = order(a, 7), e2 = order(a, 7);
  assert.notDeepEqual(e1, e2, 'a new order every epoch');
  assert.deepEqual(order(sequencesBatcher(names, { batch: 8, seed: 42 }), 7), e1);
  assert.notDeepEqual(order(sequencesBatcher(names, { batch: 8, seed: 43 }), 7), e1);
  const b = sequencesBatcher(names, { batch: 8, seed: 42 });
  order(b, 10);
  const saved = JSON.parse(JSON.stringify(b.position));
  const c = sequencesBatcher(names, { batch: 8, seed: 42 });
  c.position = saved;
  assert.deepEqual(order(c, 9), order(b, 9));
  const d = sequencesBatcher(names, { batch: 8, seed: 1, dropLast: true });
  assert.equal(d.batchesPerEpoch, 6);
  for (let i = 0; i < 6; i++) assert.equal(d.next().batch, 8);
  assert.equal(d.position.epoch, 1);
});
