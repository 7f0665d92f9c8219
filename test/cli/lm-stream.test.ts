/**
 * `recur train` and `recur eval` on streamed text end to end (issue 19): several --data inputs and a
 * directory read as one concatenation, progress in bytes, --resume continuing every stream exactly,
 * the vocabulary from another model or a sample, standard input, and bad input in one line naming
 * the file and the byte, word tokens learned from a sample.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { assertOneLineError, recur, smallText, tempDir, TINY, writeText } from './lm-helpers.js';

const dir = tempDir('recur-stream-');
const one = writeText(dir, 'one.txt', smallText(300));
const books = join(dir, 'books');
mkdirSync(books);
writeText(books, 'b.txt', smallText(200).toUpperCase());
writeText(books, 'a.txt', smallText(250));
const whole = writeText(dir, 'whole.txt', readFileSync(one, 'utf8') + readFileSync(join(books, 'a.txt'), 'utf8') + readFileSync(join(books, 'b.txt'), 'utf8'));
const jsonLines = (s: string): Record<string, unknown>[] => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const weights = (path: string): Float32Array => Float32Array.from(decodeLm(new Uint8Array(readFileSync(path)), new JsBackend('f32')).model.params.data);

test('--data a file and a directory: one corpus, progress in bytes, and --resume continues exactly', async () => {
  const straight = join(dir, 'straight.safetensors'), split = join(dir, 'split.safetensors');
  // Constant rate: a cosine schedule depends on the budget, which the two runs give differently.
  // Validation at the same steps in both (the file holds the best-validation weights: a run validated only at its
  // end could keep other weights than one also validated where the first half stopped).
  const args = ['train', '--data', one, '--data', books, ...TINY, '--schedule', 'constant', '--log-every', '5', '--val-every', '37', '--json'];
  const r = await recur([...args, '--steps', '100', '--out', straight]);
  assert.equal(r.code, 0, r.stderr);
  const logs = jsonLines(r.stdout);
  const bytes = readFileSync(whole).length, train = Math.floor(bytes * 0.9);
  assert.ok(logs.slice(0, -1).every((l) => l.train_bytes === train && typeof l.bytes === 'number' && (l.bytes as number) <= train), r.stdout);
  assert.ok((logs.at(-2)!.epoch as number) > 1, 'the run passes an epoch boundary');
  const first = await recur([...args, '--steps', '37', '--out', split]);
  assert.equal(first.code, 0, first.stderr);
  const rest = await recur(['train', '--resume', '--backend', 'js', '--steps', '100', '--log-every', '0', '--val-every', '37', '--sample-length', '0', '--json', '--out', split]);
  assert.equal(rest.code, 0, rest.stderr);
  assert.deepEqual(weights(split), weights(straight), 'resumed from the file, the run ends where the straight one does');
  // The same text as one file scores the same as the file + directory.
  const a = jsonLines((await recur(['eval', '--model', straight, '--data', whole, '--backend', 'js', '--json'])).stdout)[0];
  const b = jsonLines((await recur(['eval', '--model', straight, '--data', one, '--data', books, '--backend', 'js', '--json'])).stdout)[0];
  assert.equal(a.loss, b.loss);
  assert.equal(a.chars, bytes - 1);
});

test('the vocabulary from another model or from a sample; standard input', async () => {
  const base = join(dir, 'base.safetensors');
  assert.equal((await recur(['train', '--data', whole, ...TINY, '--steps', '2', '--out', base])).code, 0);
  const from = await recur(['train', '--data', one, '--vocab-from', base, ...TINY, '--steps', '2', '--json', '--out', join(dir, 'from.safetensors')]);
  assert.equal(from.code, 0, from.stderr);
  assert.equal(decodeLm(new Uint8Array(readFileSync(join(dir, 'from.safetensors'))), new JsBackend('f32')).tokens.size,
    decodeLm(new Uint8Array(readFileSync(base)), new JsBackend('f32')).tokens.size, 'the vocabulary of --vocab-from, not of the data');
  // A sample of the lower-case part misses the upper-case letters of books/b.txt: the run stops at the first one.
  const rare = join(dir, 'rare');
  mkdirSync(rare);
  writeText(rare, 'a.txt', smallText(3000));
  writeText(rare, 'b.txt', 'Zebra');
  const sampled = await recur(['train', '--data', rare, '--vocab-sample', '2000', ...TINY, '--val-fraction', '0', '--steps', '2000', '--out', join(dir, 'sampled.safetensors')]);
  assertOneLineError(sampled, 1, /rare\/b\.txt: character "Z" \(U\+005A\) at byte 0 is not in the vocabulary/);
  const stdin = await recur(['train', '--data', '-', ...TINY, '--steps', '2', '--json', '--out', join(dir, 'stdin.safetensors')], { input: readFileSync(whole) });
  assert.equal(stdin.code, 0, stdin.stderr);
});

test('bad streamed input: one line naming the file and the byte', async () => {
  const bad = writeText(dir, 'bad.txt', new Uint8Array([...Buffer.from(smallText(100)), 0xc3, 0x28, ...Buffer.from(smallText(100))]));
  const offset = Buffer.from(smallText(100)).length;
  assertOneLineError(await recur(['train', '--data', bad, ...TINY, '--steps', '2', '--out', join(dir, 'x.safetensors')]), 1,
    new RegExp(`bad\\.txt: invalid UTF-8 at byte ${offset} \\(for text that is not UTF-8, use --tokens byte\\)`));
  assertOneLineError(await recur(['train', '--data', books, ...TINY, '--steps', '2', '--out', join(books, 'model.safetensors')]), 2, /inside --data/);
  assertOneLineError(await recur(['train', '--data', one, '--data', '-', ...TINY, '--steps', '2', '--out', join(dir, 'y.safetensors')]), 2, /standard input \(--data -\) cannot be combined/);
  assertOneLineError(await recur(['train', '--data', one, '--vocab-sample', '100', '--vocab-from', one, ...TINY, '--out', join(dir, 'z.safetensors')]), 2, /--vocab-from or --vocab-sample, not both/);
});

test('word tokens from a sample over a directory: unseen words are <unk>, eval reports per token and per character', async () => {
  const words = join(dir, 'words');
  mkdirSync(words);
  // Two pieces of 4 KiB, at the start and at the end: the middle file is never seen.
  writeText(words, 'a.txt', smallText(1500));
  writeText(words, 'b.txt', ' Zebra quagga okapi.');
  writeText(words, 'c.txt', smallText(1500));
  const model = join(dir, 'words.safetensors');
  const r = await recur(['train', '--data', words, '--tokens', 'word', '--vocab-size', '64', '--vocab-sample', '8192', ...TINY, '--steps', '3', '--json', '--out', model]);
  assert.equal(r.code, 0, r.stderr);
  const file = decodeLm(new Uint8Array(readFileSync(model)), new JsBackend('f32'));
  assert.equal(file.tokens.kind, 'word');
  assert.ok(file.tokens.decode(file.tokens.encode(' Zebra')).includes('<unk>'), 'a word outside the sample is <unk>');
  const e = jsonLines((await recur(['eval', '--model', model, '--data', words, '--backend', 'js', '--json'])).stdout)[0];
  const bytes = ['a.txt', 'b.txt', 'c.txt'].reduce((n, f) => n + readFileSync(join(words, f)).length, 0);
  assert.equal(e.token_kind, 'word');
  assert.ok((e.chars as number) > (e.tokens as number) && Math.abs((e.chars as number) - bytes) <= bytes / (e.tokens as number) + 1, JSON.stringify(e));
  assert.ok(Math.abs((e.bpc as number) - (e.loss as number) * (e.tokens as number) / ((e.chars as number) * Math.LN2)) <= (e.bpc as number) / (e.chars as number));
  assertOneLineError(await recur(['train', '--data', words, '--vocab-from', model, '--tokens', 'bpe', ...TINY, '--out', join(dir, 'w2.safetensors')]), 2, /--vocab-from brings the model's tokens/);
});
