/**
 * Seeded mutation fuzzing of the model-file decoder: whatever the bytes, decoding either yields a
 * checkpoint that satisfies every invariant or throws ModelFileError; never another exception, a hang
 * or a huge allocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.js';
import { ModelFileError, type Tensor } from '../../src/io/safetensors.js';
import { prng } from './prng.js';

const ITERATIONS = 3000;
const SEED = 0x5eed;


function specsFor(config: unknown): { name: string; shape: number[] }[] {
  const c = config as { vocabSize?: unknown; hidden?: unknown };
  if (!Number.isSafeInteger(c.vocabSize) || !Number.isSafeInteger(c.hidden)) throw new Error('vocabSize and hidden must be integers');
  const V = c.vocabSize as number, H = c.hidden as number;
  return [
    { name: 'rnn.weight_ih_l0', shape: [3 * H, V] },
    { name: 'rnn.weight_hh_l0', shape: [3 * H, H] },
    { name: 'rnn.bias_ih_l0', shape: [3 * H] },
    { name: 'rnn.bias_hh_l0', shape: [3 * H] },
    { name: 'head.weight', shape: [V, H] },
    { name: 'head.bias', shape: [V] },
  ];
}

function validFile(): Uint8Array {
  const config = { cell: 'gru', vocabSize: 4, hidden: 2 };
  const tensors = new Map<string, Tensor>();
  const optim = new Map<string, Tensor>();
  for (const s of specsFor(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    tensors.set(s.name, { shape: s.shape, data: Float32Array.from({ length: n }, (_, i) => Math.cos(i) / 2) });
    optim.set(`exp_avg.${s.name}`, { shape: s.shape, data: new Float32Array(n).fill(0.01) });
  }
  const ck: Checkpoint = {
    config, vocab: ['a', 'b', 'c', '\n'], tensors, optim,
    training: { step: 10, position: 12345, rng: [1, 2, 3, 4, 0, 0] }, task: { kind: 'char-lm' },
  };
  return encodeCheckpoint(ck);
}

/** What a successful decode must guarantee. */
function checkInvariants(ck: Checkpoint): void {
  const specs = specsFor(ck.config);
  assert.deepEqual([...ck.tensors.keys()].sort(), specs.map((s) => s.name).sort());
  for (const s of specs) {
    const t = ck.tensors.get(s.name)!;
    assert.deepEqual(t.shape, s.shape);
    assert.equal(t.data.length, s.shape.reduce((a, b) => a * b, 1));
    assert.ok(t.data.every(Number.isFinite));
  }
  for (const [key, t] of ck.optim) {
    const param = ck.tensors.get(key.slice(key.indexOf('.') + 1));
    assert.ok(param && key.indexOf('.') > 0);
    assert.deepEqual(t.shape, param.shape);
    assert.equal(t.data.length, param.data.length);
  }
  if (ck.vocab) for (const v of ck.vocab) assert.equal([...v].length, 1);
}

const INTERESTING_BYTES = [0x00, 0xff, 0x7f, 0x80, 0x39 /* 9 */, 0x30, 0x2d /* - */, 0x22 /* " */, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x65 /* e */];
const INTERESTING_NUMBERS = ['-1', '0', '1', '3', '-0', '1.5', '1e400', '-1e400', '2147483648', '4294967296', '4294967300',
  '9007199254740993', '99999999999999999999', '1e15', '4e9'];
/** The header length field, clamped to the file (mutators must cope with any bytes, too). */
const headerLen = (b: Uint8Array): number =>
  b.length < 8 ? 0 : Math.min(b.length - 8, Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true)));

/** Replace the JSON header text, keeping the data section. */
function withHeader(b: Uint8Array, header: string): Uint8Array {
  const h = new TextEncoder().encode(header);
  const n = headerLen(b);
  const out = new Uint8Array(8 + h.length + Math.max(0, b.length - 8 - n));
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(b.subarray(8 + n), 8 + h.length);
  return out;
}

type Mutator = (b: Uint8Array, r: ReturnType<typeof prng>) => Uint8Array;
const MUTATORS: Record<string, Mutator> = {
  bitFlip(b, r) {
    const c = b.slice();
    // Half the flips hit the header, which is where most of the structure is.
    const i = r.int(2) ? r.int(Math.min(c.length, 8 + headerLen(c))) : r.int(c.length);
    c[i] ^= 1 << r.int(8);
    return c;
  },
  overwrite(b, r) {
    const c = b.slice();
    const i = r.int(2) ? r.int(Math.min(c.length, 8 + headerLen(c))) : r.int(c.length);
    for (let k = 0, n = 1 + r.int(4); k < n && i + k < c.length; k++) c[i + k] = r.pick(INTERESTING_BYTES);
    return c;
  },
  truncate(b, r) { return b.slice(0, r.int(b.length)); },
  extend(b, r) { const c = new Uint8Array(b.length + 1 + r.int(16)); c.set(b); return c; },
  lengthField(b, r) {
    if (b.length < 8) return b;
    const c = b.slice();
    const n = headerLen(b);
    const values = [0n, 1n, 7n, 8n, BigInt(n - 1), BigInt(n + 1), BigInt(n + 4), BigInt(b.length), 2n ** 31n, 2n ** 32n,
      2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(r.int(2 ** 30))];
    new DataView(c.buffer).setBigUint64(0, r.pick(values), true);
    return c;
  },
  jsonNumber(b, r) {
    const header = new TextDecoder().decode(b.subarray(8, 8 + headerLen(b)));
    const numbers = [...header.matchAll(/-?\d+(\.\d+)?([eE][+-]?\d+)?/g)];
    if (numbers.length === 0) return b;
    const m = r.pick(numbers);
    return withHeader(b, header.slice(0, m.index) + r.pick(INTERESTING_NUMBERS) + header.slice(m.index! + m[0].length));
  },
  jsonText(b, r) {
    const header = new TextDecoder().decode(b.subarray(8, 8 + headerLen(b)));
    const edits: [RegExp, string][] = [[/"F32"/, '"F16"'], [/"shape":\[/, '"shape":[1,'], [/"shape":\[[^\]]*\]/, '"shape":[]'],
      [/"data_offsets":\[\d+/, '"data_offsets":[0'], [/,\d+\]/, ']'], [/"rnn\./, '"optim.x.rnn.'], [/"head\.bias"/, '"head.weight"'],
      [/"recur"/, '"other"'], [/\\"a\\"/, '\\"ab\\"'], [/\\"a\\"/, '\\"b\\"'], [/"__metadata__"/, '"__meta__"'], [/\}\s*$/, ''], [/"/, '']];
    const [re, repl] = r.pick(edits);
    return withHeader(b, header.replace(re, repl));
  },
};

test(`fuzz: ${ITERATIONS} seeded mutations of a model file decode or fail with ModelFileError`, () => {
  const base = validFile();
  checkInvariants(decodeCheckpoint(base, { expectedSpecs: specsFor }));
  const r = prng(SEED);
  const names = Object.keys(MUTATORS);
  const outcomes = new Map<string, number>();
  const start = performance.now();
  for (let it = 0; it < ITERATIONS; it++) {
    let bytes = base;
    const applied: string[] = [];
    for (let k = 0, n = 1 + r.int(3); k < n; k++) {
      const name = r.pick(names);
      applied.push(name);
      bytes = MUTATORS[name](bytes, r);
    }
    let ck: Checkpoint;
    try {
      ck = decodeCheckpoint(bytes, { expectedSpecs: specsFor });
    } catch (e) {
      if (!(e instanceof ModelFileError)) assert.fail(`iteration ${it} (${applied.join('+')}): ${String(e)}`);
      assert.ok(e.message.length > 0 && !e.message.includes('\n'));
      const kind = e.message.replace(/[\d"[\]].*$/, '').trim();
      outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
      continue;
    }
    checkInvariants(ck);
    outcomes.set('decoded', (outcomes.get('decoded') ?? 0) + 1);
  }
  const elapsed = performance.now() - start;
  // Both outcomes must actually occur, or the fuzzer is not exercising anything.
  assert.ok((outcomes.get('decoded') ?? 0) > 50, `too few successful decodes: ${outcomes.get('decoded')}`);
  assert.ok(outcomes.size > 15, `too few distinct refusals: ${[...outcomes.keys()].join(' | ')}`);
  assert.ok(elapsed < 5000, `fuzzing took ${elapsed} ms`);
});
