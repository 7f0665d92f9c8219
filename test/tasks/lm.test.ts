/**
 * The language-model job in process: it learns, an interrupted run resumes bit-identically, the model
 * file round-trips, evaluation carries state correctly across chunks, sampling follows the model's
 * distribution (temperature, top-k), and bad setups are refused with one sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend } from '../../src/kernels/js.js';
import { Model } from '../../src/nn/model.js';
import { ModelFileError } from '../../src/io/safetensors.js';
import { encodeModel } from '../../src/io/model-file.js';
import { Vocab } from '../../src/data/text.js';
import { Rng } from '../../src/util/rng.js';
import {
  DEFAULT_ARCH, DEFAULT_SETTINGS, evaluateStream, LmJob, recurrentSpectrum, settingsProblem,
  type LmArch, type LmCadence, type LmData, type LmSettings,
} from '../../src/tasks/lm.js';
import { decodeLm, encodeLm } from '../../src/tasks/lm-file.js';
import { base64ToF32, f32ToBase64 } from '../../src/tasks/lm-resume.js';
import { generate, generateLines, Sampler } from '../../src/tasks/sample.js';

const be = new JsBackend('f32');
const PANGRAM = 'the quick brown fox jumps over the lazy dog. ';
const QUIET: LmCadence = {
  log: { steps: 1 }, val: null, save: null, sample: null, spectrum: null, sampleLength: 0, finalSampleLength: 0, temperature: 1,
};
const NAMES = ['anna', 'bob', 'carla', 'dave', 'eve', 'frank', 'gina', 'hal', 'ida', 'jon', 'kim', 'lea', 'max', 'nora', 'otto', 'pia'];

function settings(over: Partial<LmSettings> = {}): LmSettings {
  return { ...DEFAULT_SETTINGS, batch: 4, seq: 16, lr: 1e-2, lrMin: 1e-3, steps: 20, time: null, seed: 7, valChars: 0, ...over };
}
function arch(over: Partial<LmArch> = {}): LmArch {
  return { ...DEFAULT_ARCH, hidden: 16, ...over };
}
const streamData = (text: string): LmData => ({ mode: 'stream', text, source: 'test' });

/** Entropy (nats) of the character frequencies of a text: what a model that ignores context can reach. */
function unigramEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) { const p = c / text.length; h -= p * Math.log(p); }
  return h;
}

test('learns a repetitive text far below the unigram entropy', async () => {
  const text = PANGRAM.repeat(60);
  const job = new LmJob({ data: streamData(text), backend: be, settings: settings({ steps: 150, valFraction: 0.1 }), arch: arch({ hidden: 24 }) });
  const losses: number[] = [];
  const sum = await job.run({ onLog: (l) => losses.push(l.loss) }, QUIET);
  const h = unigramEntropy(text);
  assert.ok(losses[0] > 0.8 * h, `starts near chance: ${losses[0]} vs entropy ${h}`);
  assert.ok(sum.val_loss! < 0.35 * h, `validation loss ${sum.val_loss} should be far below the unigram entropy ${h}`);
  assert.equal(sum.steps, 150);
});

/** Train `total` steps in one go, and in two runs with an interruption after `cut` steps; return both files. */
async function interruptedVsStraight(data: LmData, s: LmSettings, a: LmArch, cut: number): Promise<[Uint8Array, Uint8Array]> {
  let straight: Uint8Array | null = null;
  await new LmJob({ data, backend: be, settings: s, arch: a }).run({ onSave: (b) => { straight = b; } }, QUIET);
  let first: Uint8Array | null = null;
  const job1 = new LmJob({ data, backend: be, settings: s, arch: a });
  const sum1 = await job1.run({ onSave: (b) => { first = b; }, shouldStop: () => job1.step >= cut }, QUIET);
  assert.equal(sum1.stopped, 'interrupted');
  assert.equal(sum1.steps, cut);
  const loaded = decodeLm(first!, be);
  let resumed: Uint8Array | null = null;
  const job2 = new LmJob({ data, backend: be, settings: settings({ seed: 999, lr: 5 }), resume: loaded });
  assert.equal(job2.step, cut);
  await job2.run({ onSave: (b) => { resumed = b; } }, QUIET);
  return [straight!, resumed!];
}

function assertSameTensors(a: Uint8Array, b: Uint8Array): void {
  const A = decodeLm(a, be).checkpoint, B = decodeLm(b, be).checkpoint;
  assert.ok(A.optim.size > 0, 'optimizer moments are saved');
  for (const [name, t] of [...A.tensors, ...[...A.optim].map(([k, v]) => [`optim.${k}`, v] as const)]) {
    const u = name.startsWith('optim.') ? B.optim.get(name.slice(6)) : B.tensors.get(name);
    assert.ok(u, `${name} present`);
    assert.deepEqual(new Uint8Array(u!.data.buffer), new Uint8Array(t.data.buffer), `${name} is bit-identical`);
  }
  assert.equal(A.training!.step, B.training!.step);
  assert.deepEqual(A.training!.rng, B.training!.rng);
  assert.deepEqual(A.training!.position, B.training!.position);
}

test('an interrupted stream run resumes bit-identically (cosine schedule, dropout, random h0, 2 layers)', async () => {
  const s = settings({ steps: 14, schedule: 'cosine', warmup: 3 });
  const [a, b] = await interruptedVsStraight(streamData(PANGRAM.repeat(8)), s, arch({ cell: 'gru', layers: 2, dropout: 0.3, h0: 'random' }), 6);
  assertSameTensors(a, b);
});

test('an interrupted one-per-line run resumes bit-identically (reshuffled epochs)', async () => {
  const data: LmData = { mode: 'lines', text: NAMES.join('\n'), source: 'test' };
  const [a, b] = await interruptedVsStraight(data, settings({ steps: 11, batch: 3, valFraction: 0.2 }), arch({ cell: 'lstm', h0: 'learned' }), 5);
  assertSameTensors(a, b);
});

test('resume refuses different data', async () => {
  let bytes: Uint8Array | null = null;
  await new LmJob({ data: streamData(PANGRAM.repeat(8)), backend: be, settings: settings({ steps: 2 }), arch: arch() }).run({ onSave: (b) => { bytes = b; } }, QUIET);
  const loaded = decodeLm(bytes!, be);
  assert.throws(() => new LmJob({ data: streamData(PANGRAM.repeat(9)), backend: be, settings: settings(), resume: loaded }), /not the text this run was trained on/);
});

test('the model file round-trips: weights, vocabulary, task, and the samples they give', async () => {
  const job = new LmJob({ data: streamData(PANGRAM.repeat(8)), backend: be, settings: settings({ steps: 5 }), arch: arch({ cell: 'elman', embed: 5, lags: [2] }) });
  let bytes: Uint8Array | null = null;
  await job.run({ onSave: (b) => { bytes = b; } }, QUIET);
  const back = decodeLm(bytes!, be);
  assert.deepEqual(back.tokens.toJSON(), job.tokens.toJSON());
  assert.deepEqual(back.task, { kind: 'lm', mode: 'stream', source: 'test' });
  assert.deepEqual(back.model.config, job.model.config);
  assert.deepEqual(Array.from(back.model.params.data), Array.from(job.model.params.data));
  const s1 = generate(new Sampler(job.model, job.tokens, new Rng(3)), { length: 80 });
  const s2 = generate(new Sampler(back.model, back.tokens, new Rng(3)), { length: 80 });
  assert.equal(s1, s2);
  assert.equal([...s1].length, 80);
});

test('decodeLm refuses files that are not character language models', () => {
  const vocab = Vocab.fromText('abc');
  const good = new Model({ cell: 'lstm', hidden: 4, inputSize: 3, outputSize: 3 }, be).init(new Rng(1));
  assert.doesNotThrow(() => decodeLm(encodeLm(good, vocab, { kind: 'lm', mode: 'stream', source: '' }, null, null), be));
  const cases: [Uint8Array, RegExp][] = [
    [encodeModel(good, { vocab: [...vocab.chars], task: { kind: 'classify' } }), /"classify" model, not a character language model/],
    [encodeModel(good, { vocab: [...vocab.chars] }), /not a language model/],
    [encodeModel(good, { task: { kind: 'lm', mode: 'stream' } }), /no vocabulary/],
    [encodeModel(good, { vocab: ['c', 'b', 'a'], task: { kind: 'lm', mode: 'stream' } }), /code-point order/],
    [encodeModel(good, { vocab: ['a', 'b', 'c'], task: { kind: 'lm', mode: 'lines' } }), /lacks the line marker/],
    [encodeModel(good, { vocab: ['a', 'b', 'c'], task: { kind: 'lm', mode: 'poem' } }), /unknown language-model mode/],
    [encodeModel(new Model({ cell: 'gru', hidden: 4, inputSize: 3, outputSize: 3, bidirectional: true }, be).init(new Rng(1)),
      { vocab: ['a', 'b', 'c'], task: { kind: 'lm', mode: 'stream' } }), /bidirectional/],
    [encodeModel(new Model({ cell: 'gru', hidden: 4, inputSize: 4, outputSize: 4 }, be).init(new Rng(1)),
      { vocab: ['a', 'b', 'c'], task: { kind: 'lm', mode: 'stream' } }), /do not match its 3-character vocabulary/],
  ];
  for (const [bytes, re] of cases) assert.throws(() => decodeLm(bytes, be), (e: Error) => e instanceof ModelFileError && re.test(e.message) && !e.message.includes('\n'));
});

test('evaluating in chunks carries the state exactly; several streams score what they cover', () => {
  const vocab = Vocab.fromText(PANGRAM);
  const model = new Model({ cell: 'lstm', hidden: 8, inputSize: vocab.size, outputSize: vocab.size }, be).init(new Rng(2));
  const ids = vocab.encode(PANGRAM.repeat(5));
  const whole = evaluateStream(model, ids, { chunk: 10_000 });
  const pieces = evaluateStream(model, ids, { chunk: 7 });
  assert.equal(whole.chars, ids.length - 1);
  assert.ok(Math.abs(whole.loss - pieces.loss) < 1e-5, `${whole.loss} vs ${pieces.loss}`);
  const three = evaluateStream(model, ids, { streams: 3, chunk: 16 });
  assert.equal(three.chars, 3 * Math.floor((ids.length - 1) / 3));
  assert.ok(Math.abs(three.loss - whole.loss) < 0.2);
  assert.throws(() => evaluateStream(model, ids.subarray(0, 1)), /at least 2/);
});

/** A model whose next-character distribution is fixed: zero decoder weights, bias = log p. */
function fixedModel(p: number[]): { model: Model; vocab: Vocab } {
  const vocab = new Vocab('abcdef'.slice(0, p.length));
  const model = new Model({ cell: 'elman', hidden: 2, inputSize: p.length, outputSize: p.length }, be).init(new Rng(1));
  model.params.set('decoder.weight', new Float32Array(2 * p.length));
  model.params.set('decoder.bias', p.map(Math.log));
  return { model, vocab };
}

test('sampling follows the model: frequencies, temperature, top-k, greedy', () => {
  const p = [0.5, 0.25, 0.15, 0.1];
  const { model, vocab } = fixedModel(p);
  const count = (opts: { temperature?: number; topK?: number }, n: number): number[] => {
    const s = new Sampler(model, vocab, new Rng(11));
    s.feedOne(0);
    const c = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) c[s.next(opts)]++;
    return c.map((x) => x / n);
  };
  const n = 4000, tol = 0.03;
  const f1 = count({}, n);
  p.forEach((pi, i) => assert.ok(Math.abs(f1[i] - pi) < tol, `frequency ${f1[i]} vs ${pi}`));
  // Top-2 renormalises the two most likely: 2/3 and 1/3.
  const f2 = count({ topK: 2 }, n);
  assert.ok(Math.abs(f2[0] - 2 / 3) < tol && Math.abs(f2[1] - 1 / 3) < tol && f2[2] === 0 && f2[3] === 0, `${f2}`);
  // Temperature 0.5 squares the probabilities before normalising.
  const sq = p.map((x) => x * x), z = sq.reduce((a, b) => a + b);
  const f3 = count({ temperature: 0.5 }, n);
  sq.forEach((q, i) => assert.ok(Math.abs(f3[i] - q / z) < tol, `t=0.5: ${f3[i]} vs ${q / z}`));
  assert.deepEqual(count({ temperature: 0 }, 50), [1, 0, 0, 0]);
  assert.deepEqual(count({ topK: 1 }, 50), [1, 0, 0, 0]);
});

test('one-per-line sampling stops at the marker and shares the prime', async () => {
  const job = new LmJob({ data: { mode: 'lines', text: NAMES.join('\n'), source: 'test' }, backend: be, settings: settings({ steps: 60, batch: 4, lr: 2e-2 }), arch: arch({ hidden: 24 }) });
  await job.run({}, QUIET);
  const lines = generateLines(new Sampler(job.model, job.tokens, new Rng(5)), 6, 30, { temperature: 0.5, prime: 'o' });
  assert.equal(lines.length, 6);
  for (const l of lines) { assert.ok(l.startsWith('o')); assert.ok(!l.includes('\n')); assert.ok(l.length <= 31); }
});

test('the spectral radius is reported per gate block, the largest first', () => {
  const model = new Model({ cell: 'lstm', hidden: 6, inputSize: 3, outputSize: 3 }, be).init(new Rng(4));
  // Scale the forget-gate block so that it dominates.
  const w = model.params.get('rnn.weight_hh_l0');
  for (let i = 36; i < 72; i++) w[i] *= 10;
  const s = recurrentSpectrum(model)!;
  assert.equal(s.gates.length, 4);
  assert.equal(s.radius, s.gates[1]);
  assert.ok(s.gates[1] > 5 * Math.max(s.gates[0], s.gates[2], s.gates[3]));
  assert.equal(recurrentSpectrum(new Model({ cell: 'jordan', hidden: 3, inputSize: 3, outputSize: 3 }, be)), null);
});

test('bad setups are refused in one sentence', () => {
  const mk = (text: string, s: Partial<LmSettings> = {}, a: Partial<LmArch> = {}) => () => new LmJob({ data: streamData(text), backend: be, settings: settings(s), arch: arch(a) });
  assert.throws(mk(''), /empty/);
  assert.throws(mk('abcdefghij'.repeat(5), { batch: 4, seq: 16 }), /fewer than one batch needs \(batch × seq \+ 1 = 65\)/);
  assert.throws(mk(PANGRAM.repeat(8), {}, { bidirectional: true }), /bidirectional/);
  assert.throws(() => new LmJob({ data: { mode: 'lines', text: 'ab\ncd', source: 't' }, backend: be, settings: settings({ batch: 4 }), arch: arch() }), /fewer than the batch/);
  assert.match(settingsProblem(settings({ steps: null, time: null }))!, /budget/);
  assert.match(settingsProblem(settings({ valFraction: 1 }))!, /validation fraction/);
});

test('--init: a model from a file refuses text with characters outside its vocabulary', async () => {
  let bytes: Uint8Array | null = null;
  await new LmJob({ data: streamData(PANGRAM.repeat(8)), backend: be, settings: settings({ steps: 1 }), arch: arch() }).run({ onSave: (b) => { bytes = b; } }, QUIET);
  const from = decodeLm(bytes!, be);
  assert.throws(() => new LmJob({ data: streamData(`${PANGRAM.repeat(8)}Q`), backend: be, settings: settings(), from }), /character "Q" \(U\+0051\)/);
  const job = new LmJob({ data: streamData(PANGRAM.repeat(9)), backend: be, settings: settings(), from, regularisation: { dropout: 0 } });
  assert.deepEqual(Array.from(job.model.params.data), Array.from(from.model.params.data));
});

test('float32 state survives base64 exactly', () => {
  const x = Float32Array.from([0, -0, 1.5, 3.4028234663852886e38, 1e-45, -7.25]);
  assert.deepEqual(new Uint8Array(base64ToF32(f32ToBase64(x), x.length)!.buffer), new Uint8Array(x.buffer));
  assert.equal(base64ToF32(f32ToBase64(x), x.length + 1), null);
  assert.equal(base64ToF32('@@@@', 1), null);
  assert.equal(base64ToF32(f32ToBase64([NaN]), 1), null);
});
