import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/io/checkpoint.js';
import { decodeSafetensors, encodeSafetensors, ModelFileError, type Tensor } from '../../src/io/safetensors.js';
import { atomicWriteFile, readFileLimited } from '../../src/node/files.js';

/** A tiny LSTM language model's parameter list, as the model layer would derive it from its config. */
function lstmSpecs(config: unknown): { name: string; shape: number[] }[] {
  const c = config as { vocabSize?: unknown; hidden?: unknown };
  const V = c.vocabSize, H = c.hidden;
  if (!Number.isSafeInteger(V) || !Number.isSafeInteger(H)) throw new Error('vocabSize and hidden must be integers');
  const v = V as number, h = H as number;
  return [
    { name: 'rnn.weight_ih_l0', shape: [4 * h, v] },
    { name: 'rnn.weight_hh_l0', shape: [4 * h, h] },
    { name: 'rnn.bias_ih_l0', shape: [4 * h] },
    { name: 'rnn.bias_hh_l0', shape: [4 * h] },
    { name: 'head.weight', shape: [v, h] },
    { name: 'head.bias', shape: [v] },
  ];
}

const filled = (shape: number[], f: (i: number) => number): Tensor =>
  ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) });

function sampleCheckpoint(): Checkpoint {
  const config = { cell: 'lstm', vocabSize: 5, hidden: 3, layers: 1 };
  const tensors = new Map<string, Tensor>();
  for (const s of lstmSpecs(config)) tensors.set(s.name, filled(s.shape, (i) => Math.sin(i + s.name.length)));
  const optim = new Map<string, Tensor>();
  for (const [name, t] of tensors) {
    optim.set(`exp_avg.${name}`, filled(t.shape, (i) => i / 100));
    optim.set(`exp_avg_sq.${name}`, filled(t.shape, (i) => i / 1e4));
  }
  return {
    config,
    vocab: ['a', 'b', ' ', '\n', '😀'],
    tensors,
    optim,
    training: { step: 1234, position: 56789, rng: [1, 2, 3, 4, 0, 0], optimizer: { name: 'adam', lr: 0.002, betas: [0.9, 0.999] } },
    task: { kind: 'char-lm', seqLen: 64 },
  };
}

function refuses(bytes: Uint8Array, pattern: RegExp, specs: ((c: unknown) => { name: string; shape: number[] }[]) | undefined = lstmSpecs): void {
  assert.throws(() => decodeCheckpoint(bytes, { expectedSpecs: specs }), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    return true;
  });
}

/** Re-encode a sample checkpoint after editing its raw safetensors metadata / tensors. */
function withRaw(edit: (meta: Record<string, string>, tensors: Map<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(sampleCheckpoint()));
  edit(metadata, tensors);
  return encodeSafetensors([...tensors].map(([name, t]) => ({ name, ...t })), metadata);
}

// ------------------------------------------------------------------------------ round trips

test('checkpoint round trip with optimizer state, training and task', () => {
  const ck = sampleCheckpoint();
  const back = decodeCheckpoint(encodeCheckpoint(ck), { expectedSpecs: lstmSpecs });
  assert.deepEqual(back, ck);
});

test('checkpoint round trip without vocab, training, task or optimizer state', () => {
  const ck: Checkpoint = { ...sampleCheckpoint(), vocab: null, training: null, task: null, optim: new Map() };
  const bytes = encodeCheckpoint(ck);
  assert.deepEqual(Object.keys(decodeSafetensors(bytes).metadata), ['format', 'version', 'config']);
  assert.deepEqual(decodeCheckpoint(bytes, { expectedSpecs: lstmSpecs }), ck);
});

test('the file is plain safetensors: state_dict names plus optim.-prefixed moments', () => {
  const { tensors, metadata } = decodeSafetensors(encodeCheckpoint(sampleCheckpoint()));
  assert.equal(metadata.format, 'recur');
  assert.equal(metadata.version, '1');
  assert.deepEqual(JSON.parse(metadata.vocab), ['a', 'b', ' ', '\n', '😀']);
  assert.ok(tensors.has('rnn.weight_ih_l0'));
  assert.ok(tensors.has('optim.exp_avg.rnn.weight_ih_l0'));
  assert.ok(tensors.has('optim.exp_avg_sq.head.bias'));
});

test('optimizer tensors may hold non-finite values', () => {
  const ck = sampleCheckpoint();
  ck.optim.get('exp_avg.head.bias')!.data[0] = NaN;
  assert.ok(Number.isNaN(decodeCheckpoint(encodeCheckpoint(ck)).optim.get('exp_avg.head.bias')!.data[0]));
});

test('encoder refuses model tensor names with the optim. prefix', () => {
  const ck = sampleCheckpoint();
  ck.tensors.set('optim.x', filled([1], () => 0));
  assert.throws(() => encodeCheckpoint(ck), /reserved prefix/);
});

// ------------------------------------------------------------------------------------ refusals

test('refuses files that are not recur model files', () => {
  refuses(encodeSafetensors([], {}), /not a recur model file \(metadata format is null\)/);
  refuses(encodeSafetensors([], { format: 'pt' }), /not a recur model file \(metadata format is "pt"\)/);
  refuses(new TextEncoder().encode('hello world, not a model'), /header length .* exceeds the limit/);
});

test('refuses unsupported versions', () => {
  refuses(withRaw((m) => { m.version = '2'; }), /unsupported recur model file version "2" \(this build reads version 1\)/);
  refuses(withRaw((m) => { delete m.version; }), /version null/);
});

test('refuses bad config, vocab, training and task metadata', () => {
  refuses(withRaw((m) => { delete m.config; }), /no config/);
  refuses(withRaw((m) => { m.config = '{oops'; }), /"config" is not valid JSON/);
  refuses(withRaw((m) => { m.config = '[1]'; }), /"config" is not a JSON object/);
  refuses(withRaw((m) => { m.config = 'null'; }), /"config" is not a JSON object/);
  refuses(withRaw((m) => { m.vocab = '"abc"'; }), /"vocab" is not a JSON array/);
  refuses(withRaw((m) => { m.vocab = '["a","bc"]'; }), /vocab entry 1 is not a single character: "bc"/);
  refuses(withRaw((m) => { m.vocab = '["a",""]'; }), /vocab entry 1 is not a single character: ""/);
  refuses(withRaw((m) => { m.vocab = '["a",7]'; }), /vocab entry 1 is not a single character: 7/);
  refuses(withRaw((m) => { m.vocab = '["e\\u0301"]'; }), /vocab entry 0 is not a single character/); // two code points
  refuses(withRaw((m) => { m.vocab = '["a","b","a"]'; }), /duplicate entry "a" at 2/);
  refuses(withRaw((m) => { m.training = '5'; }), /"training" is not a JSON object/);
  refuses(withRaw((m) => { m.task = '{'; }), /"task" is not valid JSON/);
});

test('refuses tensors that do not match the model config, naming the first mismatch', () => {
  refuses(withRaw((_, t) => { t.delete('rnn.bias_hh_l0'); t.delete('optim.exp_avg.rnn.bias_hh_l0'); t.delete('optim.exp_avg_sq.rnn.bias_hh_l0'); }),
    /missing tensor "rnn.bias_hh_l0" \(shape \[12\]\)/);
  refuses(withRaw((m) => { m.config = JSON.stringify({ cell: 'lstm', vocabSize: 5, hidden: 4 }); }),
    /tensor "rnn.weight_ih_l0" has shape \[12, 5\] but the model config needs \[16, 5\]/);
  refuses(withRaw((_, t) => { t.set('rnn.weight_ih_l1', filled([2], () => 0)); }), /has tensor "rnn.weight_ih_l1" that this model config does not have/);
  refuses(withRaw((m) => { m.config = '{"hidden":"three"}'; }), /config is not usable: vocabSize and hidden must be integers/);
  // Without expectedSpecs the same file decodes (the caller checks later).
  assert.equal(decodeCheckpoint(withRaw((_, t) => { t.set('extra', filled([2], () => 0)); })).tensors.size, 7);
});

test('refuses non-finite model parameters', () => {
  refuses(withRaw((_, t) => { t.get('head.weight')!.data[4] = NaN; }), /model tensor "head.weight" contains NaN at index 4/);
  refuses(withRaw((_, t) => { t.get('head.bias')!.data[0] = -Infinity; }), /contains -Infinity at index 0/, undefined);
});

test('refuses optimizer tensors that do not fit their parameter', () => {
  refuses(withRaw((_, t) => { t.set('optim.exp_avg.head.bias', filled([4], () => 0)); }),
    /optimizer tensor "optim.exp_avg.head.bias" has shape \[4\] but its parameter has \[5\]/);
  refuses(withRaw((_, t) => { t.set('optim.exp_avg.nothing', filled([1], () => 0)); }), /"optim.exp_avg.nothing" does not name a slot and a model tensor/);
  refuses(withRaw((_, t) => { t.set('optim.head.bias', filled([5], () => 0)); }), /does not name a slot/, undefined);
  refuses(withRaw((_, t) => { t.set('optim.', filled([1], () => 0)); }), /does not name a slot/, undefined);
  // Names from the file are quoted, so even a newline in one keeps the message on one line.
  refuses(withRaw((_, t) => { t.set('optim.a\nb', filled([1], () => 0)); }), /tensor "optim.a\\nb" does not/, undefined);
});

// ------------------------------------------------------------------------------------ files

function withTempDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'recur-io-'));
  try { f(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('atomicWriteFile creates and replaces files, leaving no temporary file', () => {
  withTempDir((dir) => {
    const p = join(dir, 'model.safetensors');
    atomicWriteFile(p, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...readFileSync(p)], [1, 2, 3]);
    const big = Uint8Array.from({ length: (5 << 20) / 2 + 17 }, (_, i) => i & 0xff); // several write chunks
    atomicWriteFile(p, big);
    assert.deepEqual(new Uint8Array(readFileSync(p)), big);
    atomicWriteFile(p, new Uint8Array(0));
    assert.equal(readFileSync(p).length, 0);
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  });
});

test('atomicWriteFile keeps the old file when writing fails midway', () => {
  /** Bytes whose second chunk cannot be produced: the write fails after part of the file is written. */
  class FailingBytes extends Uint8Array {
    calls = 0;
    override subarray(begin?: number, end?: number): Uint8Array<ArrayBuffer> {
      if (++this.calls > 1) throw new Error('simulated write failure');
      return super.subarray(begin, end);
    }
  }
  withTempDir((dir) => {
    const p = join(dir, 'model.safetensors');
    writeFileSync(p, 'old model');
    assert.throws(() => atomicWriteFile(p, new FailingBytes(3 << 20)), /simulated write failure/);
    assert.equal(readFileSync(p, 'utf8'), 'old model');
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  });
});

test('atomicWriteFile removes its temporary file when the rename fails', () => {
  withTempDir((dir) => {
    const p = join(dir, 'target');
    mkdirSync(p); // renaming a file over a non-empty directory fails
    writeFileSync(join(p, 'inside'), 'keep');
    assert.throws(() => atomicWriteFile(p, new Uint8Array([1, 2])), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
    assert.deepEqual(readdirSync(dir), ['target']);
    assert.equal(readFileSync(join(p, 'inside'), 'utf8'), 'keep');
  });
});

test('atomicWriteFile fails cleanly when the directory does not exist', () => {
  withTempDir((dir) => {
    assert.throws(() => atomicWriteFile(join(dir, 'no', 'model'), new Uint8Array(1)), { code: 'ENOENT' });
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('readFileLimited reads files and gives one-line reasons for refusals', () => {
  withTempDir((dir) => {
    const p = join(dir, 'm.safetensors');
    writeFileSync(p, new Uint8Array([9, 8, 7]));
    assert.deepEqual([...readFileLimited(p)], [9, 8, 7]);
    assert.throws(() => readFileLimited(p, 2), new ModelFileError(`cannot read model file ${p}: it is 3 bytes, more than the limit of 2`));
    assert.throws(() => readFileLimited(join(dir, 'nope')), new ModelFileError(`cannot read model file ${join(dir, 'nope')}: no such file`));
    assert.throws(() => readFileLimited(dir), new ModelFileError(`cannot read model file ${dir}: is a directory`));
    assert.throws(() => readFileLimited(join(p, 'x')), /a parent of it is not a directory/);
    if (process.getuid?.() !== 0) { // root reads anything
      chmodSync(p, 0o000);
      assert.throws(() => readFileLimited(p), new ModelFileError(`cannot read model file ${p}: permission denied`));
    }
  });
});

test('a checkpoint survives a save and load through the file helpers', () => {
  withTempDir((dir) => {
    const p = join(dir, 'model.safetensors');
    atomicWriteFile(p, encodeCheckpoint(sampleCheckpoint()));
    assert.deepEqual(decodeCheckpoint(readFileLimited(p), { expectedSpecs: lstmSpecs }), sampleCheckpoint());
  });
});
