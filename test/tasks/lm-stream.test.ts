/**
 * The char-rnn job on streamed text: a corpus given as bytes trains exactly as the same text given
 * in memory, a vocabulary given in advance is used as is, and a run saved by the in-memory reader
 * (position in characters) is refused with one line instead of continuing somewhere else.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryByteSource } from '../../src/data/byte-source.js';
import { Vocab } from '../../src/data/text.js';
import { CharTokenizer } from '../../src/data/tokens/index.js';
import { JsBackend } from '../../src/kernels/js.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS, LmJob, type LmSettings } from '../../src/tasks/lm.js';
import { decodeLm, encodeLm } from '../../src/tasks/lm-file.js';

const be = new JsBackend('f32');
const TEXT = 'Call me Ishmael. Some years ago — never mind how long precisely — naïve café. '.repeat(12);
const settings: LmSettings = { ...DEFAULT_SETTINGS, batch: 3, seq: 10, lr: 1e-2, steps: 40, time: null, seed: 3, valChars: 0 };
const arch = { ...DEFAULT_ARCH, hidden: 12, embed: 4 };

test('bytes streamed from a source train exactly as the same text in memory', () => {
  const a = new LmJob({ data: { mode: 'stream', text: TEXT, source: 't' }, backend: be, settings, arch });
  const b = new LmJob({ data: { mode: 'stream', bytes: MemoryByteSource.fromText(TEXT, 't'), source: 't' }, backend: be, settings, arch });
  for (let i = 0; i < 40; i++) assert.equal(a.trainStep().loss, b.trainStep().loss, `step ${i}`);
  assert.equal(a.validate()!.loss, b.validate()!.loss);
  const floor = Math.floor(new TextEncoder().encode(TEXT).length * 0.9); // moved forward to a character boundary
  assert.ok(a.trainSize >= floor && a.trainSize < floor + 4, `split at ${a.trainSize}, floor ${floor}`);
  assert.ok(b.epoch > 1);
});

test('a vocabulary given in advance is the model\'s, and a character outside it is named by its byte', () => {
  const vocab = Vocab.fromText(`${TEXT}XYZ`);
  const job = new LmJob({ data: { mode: 'stream', bytes: MemoryByteSource.fromText(TEXT, 't'), source: 't' }, tokens: new CharTokenizer(vocab), backend: be, settings, arch });
  assert.equal((job.tokens as CharTokenizer).vocab, vocab);
  assert.equal(job.model.config.inputSize, vocab.size);
  assert.throws(() => new LmJob({ data: { mode: 'stream', bytes: MemoryByteSource.fromText(`${TEXT}Q`, 'q.txt'), source: 't' }, tokens: new CharTokenizer(vocab), backend: be, settings, arch }),
    /^Error: q\.txt: character "Q" \(U\+0051\) at byte \d+ is not in the vocabulary$/);
});

test('a run saved with an in-memory position (characters) is refused in one line; one with another text too', () => {
  const data = { mode: 'stream' as const, text: TEXT, source: 't' };
  const job = new LmJob({ data, backend: be, settings, arch });
  for (let i = 0; i < 3; i++) job.trainStep();
  const rec = job.trainingRecord();
  const old = encodeLm(job.model, job.tokens, job.task, { ...rec, position: { epoch: 0, offset: 30 }, data: { mode: 'stream', chars: TEXT.length, hash: '0123abcd' } }, job.optimizer);
  assert.throws(() => new LmJob({ data, backend: be, settings, resume: decodeLm(old, be) }), /held the whole text in memory .* start a new run from its weights with --init/);
  const other = { mode: 'stream' as const, text: TEXT.replace('Call', 'Cell'), source: 't' };
  assert.throws(() => new LmJob({ data: other, backend: be, settings, resume: decodeLm(job.encode(), be) }), /is not the text this run was trained on/);
  const again = new LmJob({ data, backend: be, settings, resume: decodeLm(job.encode(), be) });
  assert.equal(again.trainStep().loss, job.trainStep().loss);
});
