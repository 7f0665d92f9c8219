import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Vocab } from '../../../src/data/text.js';
import { buildTokenizer } from '../../../src/data/tokens/build.js';
import {
  BpeTokenizer, ByteTokenizer, CharTokenizer, tokenizerFromJSON, UNK, WordTokenizer, type Tokenizer,
} from '../../../src/data/tokens/index.js';
import { MAX_PIECE, pieces } from '../../../src/data/tokens/pieces.js';
import { TextOut } from '../../../src/data/tokens/text-out.js';
import { Rng } from '../../../src/util/rng.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const MIXED = 'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money,\n\n'
  + "  I thought I'd sail about a little and see the watery part of the world. 吾輩は猫である。名前はまだ無い。"
  + ' Ça va? 😀 emoji, tabs\tand  double  spaces, numbers 1851 and e\u0301 (a combining accent).\r\n';

/** Random text over letters, spaces, newlines, punctuation, digits, CJK, accents and astral characters. */
function randomText(rng: Rng, n: number): string {
  const alphabet = [...'aaaabcdeeefghiiklmnooprsstuw    \n\n,.;\'-!?0123456789猫吾輩はである名前é\u0301😀\t'];
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

const all = (text: string): Tokenizer[] => [
  buildTokenizer('char', text), buildTokenizer('byte', text), buildTokenizer('word', text, 5000), buildTokenizer('bpe', text, 400),
];

test('pieces concatenate to the text; words keep their leading space; Han and Kana stand alone', () => {
  const rng = new Rng(1);
  for (let k = 0; k < 50; k++) { const t = randomText(rng, 200); assert.equal(pieces(t).join(''), t); }
  assert.equal(pieces(MIXED).join(''), MIXED);
  assert.deepEqual(pieces("I'd  sail, 1851."), ['I', "'d", ' ', ' sail', ',', ' 1851', '.']);
  assert.deepEqual(pieces('吾輩は猫 cat'), ['吾', '輩', 'は', '猫', ' cat']);
});

test('char tokens are the Vocab ids exactly; --vocab-size keeps the most frequent characters and adds <unk> last', () => {
  const text = 'abracadabra 😀!';
  const t = CharTokenizer.fromText(text), v = Vocab.fromText(text);
  assert.deepEqual([...t.encode(text)], [...v.encode(text)]);
  assert.equal(t.size, v.size);
  assert.throws(() => t.encode('abz'), /"z" \(U\+007A\) at position 2/);
  const small = CharTokenizer.fromText(text, 4); // a (5), b (2), r (2) and <unk>
  assert.deepEqual(small.vocab.chars, ['a', 'b', 'r']);
  assert.equal(small.size, 4);
  assert.equal(small.unk, 3);
  assert.deepEqual([...small.encode('bar😀z')], [1, 0, 2, 3, 3]);
  assert.equal(small.decode(small.encode('bar😀')), 'bar\ufffd');
  assert.deepEqual(tokenizerFromJSON(JSON.parse(JSON.stringify(small))), small);
});

test('byte tokens take any bytes; decode shows invalid UTF-8 as U+FFFD', () => {
  const b = new ByteTokenizer();
  assert.deepEqual([...b.encode('é')], [0xc3, 0xa9]);
  assert.deepEqual([...b.encodeBytes(Uint8Array.of(0xff, 0x00, 0xc3))], [0xff, 0, 0xc3]);
  assert.equal(b.decode([0x61, 0xff, 0xc3, 0xa9, 0xe6]), 'a\ufffdé\ufffd');
  assert.throws(() => b.decode([256]), /id 256 at position 0/);
});

test('word tokens: decode(encode(x)) == x within the vocabulary, rare pieces are <unk>', () => {
  const w = WordTokenizer.fromText(MIXED, 5000);
  assert.equal(w.decode(w.encode(MIXED)), MIXED);
  assert.equal(w.words[0], UNK);
  // " and" and " the" twice; then the pieces seen once in code-unit order: " bird" first.
  const small = WordTokenizer.fromText('the cat and the dog and the bird', 4);
  assert.deepEqual(small.words, [UNK, ' and', ' the', ' bird']);
  assert.equal(small.decode(small.encode('the bird and the cat')), `${UNK} bird and the${UNK}`);
});

test('BPE round-trips any text, merges the frequent pairs first, and trains the same merges every time', () => {
  const text = 'low low low low low lower lower newest newest newest newest newest newest widest widest widest';
  const a = buildTokenizer('bpe', text, 270) as BpeTokenizer, b = buildTokenizer('bpe', text, 270) as BpeTokenizer;
  assert.deepEqual(a.merges, b.merges);
  // The most frequent pair over the pieces (" low"×4 + "low"... " newest"×6): e, s, t and w pairs come early.
  const first = a.decode(a.merges[0] as unknown as number[]);
  assert.ok(['es', 'st', ' n', 'ne', 'ew', 'we', 'lo', 'ow', ' l'].includes(first), `first merge ${JSON.stringify(first)}`);
  assert.ok(a.encode(' newest').length === 1, 'a frequent word becomes one token');
  const rng = new Rng(2);
  for (let k = 0; k < 20; k++) { const t = randomText(rng, 300); assert.equal(a.decode(a.encode(t)), t); }
  assert.equal(a.decode(a.encode(MIXED)), MIXED);
});

/** Reference BPE trainer: recount every pair of every word after each merge (quadratic, obviously right). */
function naiveBpe(text: string, vocabSize: number): [number, number][] {
  const counts = new Map<string, number>();
  for (const p of pieces(text)) counts.set(p, (counts.get(p) ?? 0) + 1);
  const words = [...counts].map(([p, n]) => ({ s: Array.from(utf8(p)), n }));
  const merges: [number, number][] = [];
  while (merges.length < vocabSize - 256) {
    const pc = new Map<string, number>();
    for (const { s, n } of words) for (let i = 0; i + 1 < s.length; i++) { const k = `${s[i]},${s[i + 1]}`; pc.set(k, (pc.get(k) ?? 0) + n); }
    let best: [number, number] | null = null, bestN = 1;
    for (const [k, n] of pc) {
      const [x, y] = k.split(',').map(Number);
      if (n > bestN || (n === bestN && best && (x < best[0] || (x === best[0] && y < best[1])))) { best = [x, y]; bestN = n; }
    }
    if (!best) break;
    const z = 256 + merges.length;
    merges.push(best);
    for (const w of words) {
      const next: number[] = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === best[0] && w.s[i + 1] === best[1]) { next.push(z); i++; } else next.push(w.s[i]);
      }
      w.s = next;
    }
  }
  return merges;
}

test('the incremental BPE trainer learns exactly the merges of a full recount', () => {
  const rng = new Rng(3);
  for (let k = 0; k < 6; k++) {
    const t = randomText(rng, 1500) + ' aaaa aaa aa bbbb'.repeat(k);
    const fast = (buildTokenizer('bpe', t, 256 + 80) as BpeTokenizer).merges;
    assert.deepEqual(fast, naiveBpe(t, 256 + 80), `text ${k}`);
  }
});

test('a cut point never changes the tokens: encode(a) + encode(b) == encode(a + b)', () => {
  const rng = new Rng(4);
  for (let k = 0; k < 8; k++) {
    const text = randomText(rng, 400) + MIXED;
    const bytes = utf8(text);
    for (const tok of all(text)) {
      const whole = [...tok.encodeBytes(bytes)];
      for (let j = 0; j < 25; j++) {
        // `start` is a cut point itself (cut falls back to it when there is none after it).
        const end = rng.int(bytes.length + 1), start = tok.cut(bytes, 0, rng.int(end + 1));
        const c = tok.cut(bytes, start, end);
        assert.ok(c >= start && c <= end, `${tok.kind}: cut ${c} outside [${start}, ${end}]`);
        const parts = [...tok.encodeBytes(bytes.subarray(0, c)), ...tok.encodeBytes(bytes.subarray(c))];
        assert.deepEqual(parts, whole, `${tok.kind}: cut at ${c} of ${bytes.length}`);
      }
    }
  }
  // Cut points are found: English has them at every space, Japanese after every Han or Kana character.
  const w = buildTokenizer('word', MIXED, 100), en = utf8('Call me Ishmael'), ja = utf8('吾輩は猫である');
  assert.equal(w.cut(en, 0, 10), 7);
  assert.equal(w.cut(ja, 0, 8), 6);
  assert.equal(buildTokenizer('char', MIXED).cut(ja, 0, 8), 6);
  assert.equal(new ByteTokenizer().cut(ja, 0, 8), 8);
});

test('every tokenizer survives its JSON and encodes the same ids after it', () => {
  for (const tok of all(MIXED)) {
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    assert.equal(back.kind, tok.kind);
    assert.equal(back.size, tok.size);
    assert.deepEqual([...back.encode(MIXED)], [...tok.encode(MIXED)]);
  }
});

test('fromJSON refuses what a file should not say, in one line', () => {
  const bad: [unknown, RegExp][] = [
    [null, /tokens is not an object/],
    [[], /tokens is not an object/],
    [{ kind: 'sentencepiece' }, /unknown kind "sentencepiece"/],
    [{ kind: 'byte', extra: 1 }, /unknown field "extra"/],
    [{ kind: 'char' }, /no chars list/],
    [{ kind: 'char', chars: ['b', 'a'] }, /not in code-point order/],
    [{ kind: 'char', chars: ['a', 'a'] }, /repeats a character/],
    [{ kind: 'char', chars: ['ab'] }, /character 0 is not a single character/],
    [{ kind: 'char', chars: ['a'], unk: 'x' }, /unk is "x"/],
    [{ kind: 'word', words: ['the', UNK] }, /starts with <unk>/],
    [{ kind: 'word', words: [UNK, 'a', 'a'] }, /word 2 repeats "a"/],
    [{ kind: 'word', words: [UNK, 7] }, /word 1 is not a piece/],
    [{ kind: 'word', words: [UNK, 'x'.repeat(300)] }, /word 1 is not a piece/],
    [{ kind: 'word', words: [UNK] }, /word list has 1 entries/],
    [{ kind: 'bpe', merges: [97] }, /merge list has 1 numbers/],
    [{ kind: 'bpe', merges: [97, 256] }, /merge 0 is not a pair of earlier ids/],
    [{ kind: 'bpe', merges: [97, 98, 97, 98] }, /merge 1 repeats merge 0/],
    [{ kind: 'bpe', merges: [97, -1] }, /merge 0 is not a pair/],
    [{ kind: 'bpe', merges: [97, 1.5] }, /merge 0 is not a pair/],
    [{ kind: 'bpe', merges: new Array(2 ** 21 + 2).fill(0) }, /more than the limit/],
  ];
  for (const [json, re] of bad) assert.throws(() => tokenizerFromJSON(json), (e: Error) => re.test(e.message) && !e.message.includes('\n'), JSON.stringify(json)?.slice(0, 60));
});

test('sampled ids print as valid text: an unfinished character waits for its bytes, invalid ones show as U+FFFD', () => {
  const out = new TextOut(new ByteTokenizer());
  assert.equal(out.push(0xe7), '');
  assert.equal(out.push(0x8c), '');
  assert.equal(out.push(0xab), '猫');
  assert.equal(out.push(0xff) + out.push(0x61), '\ufffda');
  assert.equal(out.push(0xe7), '');
  assert.equal(out.end(), '\ufffd');
  const rng = new Rng(5);
  const bpe = buildTokenizer('bpe', MIXED, 300), text = new TextOut(bpe);
  let s = '';
  for (let i = 0; i < 2000; i++) s += text.push(rng.int(bpe.size));
  s += text.end();
  assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(utf8(s)), s, 'well-formed UTF-16 that encodes and decodes back');
  assert.equal(new TextOut(buildTokenizer('word', MIXED, 100)).push(0), UNK);
});

test('a run without spaces (DNA, base64) is cut into pieces of at most MAX_PIECE, so BPE stays fast on it', () => {
  const rng = new Rng(6);
  let dna = '';
  for (let i = 0; i < 200_000; i++) dna += 'ACGT'[rng.int(4)];
  const ps = pieces(`x ${dna}😀${dna.slice(0, 300)}`);
  assert.ok(ps.every((p) => p.length <= MAX_PIECE));
  assert.equal(ps.join(''), `x ${dna}😀${dna.slice(0, 300)}`);
  const t0 = performance.now();
  const bpe = buildTokenizer('bpe', dna, 300);
  assert.equal(bpe.decode(bpe.encode(dna)), dna);
  assert.ok(performance.now() - t0 < 20_000, `BPE on 200 kB without a space took ${performance.now() - t0} ms`);
  // A surrogate pair is never split between two pieces.
  const astral = '😀'.repeat(300);
  assert.ok(pieces(astral).every((p) => !/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p)));
});
