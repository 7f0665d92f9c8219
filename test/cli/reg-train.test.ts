/**
 * `recur train` with the regularisation flags end to end on a small text: they reach the model's
 * config (and so its file), a run with all of them resumes bit-identically, --init keeps the file's
 * regularisers unless a flag replaces them, a tied model is one tensor in the file and samples and
 * scores like any other, and impossible combinations are one line with exit status 2 (usage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { recur, smallText, tempDir, writeText } from './lm-helpers.js';

const be = new JsBackend('f32');
const dir = tempDir();
const data = writeText(dir, 'small.txt', smallText());
const load = (path: string) => decodeLm(readFileSync(path), be);
const common = ['--data', data, '--backend', 'js', '--log-every', '0', '--val-every', '0', '--sample-length', '0', '--json'];
const REG = ['--dropout', '0.2', '--dropout-input', '0.1', '--dropout-output', '0.3', '--dropout-embed', '0.1', '--weight-drop', '0.3', '--ar', '2', '--tar', '1'];
const arch = ['--cell', 'lstm', '--hidden', '8', '--embed', '8', '--layers', '2', '--tie-weights', '--batch', '4', '--seq', '16', '--schedule', 'constant', '--seed', '5'];

test('the flags reach the model file; N steps + --resume to 2N equals 2N straight with every regulariser on', async () => {
  const a = join(dir, 'straight.safetensors'), b = join(dir, 'resumed.safetensors');
  const [r1, r2] = await Promise.all([
    recur(['train', ...common, ...arch, ...REG, '--steps', '12', '--out', a]),
    recur(['train', ...common, ...arch, ...REG, '--steps', '6', '--out', b]),
  ]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  const c = load(a).model.config;
  assert.deepEqual([c.dropout, c.dropoutInput, c.dropoutOutput, c.dropoutEmbed, c.weightDrop, c.ar, c.tar, c.tieWeights], [0.2, 0.1, 0.3, 0.1, 0.3, 2, 1, true]);
  const r3 = await recur(['train', '--resume', '--steps', '12', ...common, '--out', b]);
  assert.equal(r3.code, 0, r3.stderr);
  const A = load(a).checkpoint, B = load(b).checkpoint;
  assert.ok(A.tensors.has('embedding.weight') && !A.tensors.has('decoder.weight'), 'a tied model stores the shared matrix once');
  for (const [name, t] of A.tensors) assert.deepEqual(new Uint8Array(B.tensors.get(name)!.data.buffer), new Uint8Array(t.data.buffer), name);
  for (const [name, t] of A.optim) assert.deepEqual(new Uint8Array(B.optim.get(name)!.data.buffer), new Uint8Array(t.data.buffer), name);
  // A regulariser cannot change under --resume.
  const r4 = await recur(['train', '--resume', '--steps', '14', ...common, '--weight-drop', '0.1', '--out', b]);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /--weight-drop cannot be used with --resume/);

  // The tied model samples and scores like any other.
  const s = await recur(['sample', '--model', a, '--length', '20', '--seed', '1', '--backend', 'js']);
  assert.equal(s.code, 0, s.stderr);
  const e = await recur(['eval', '--model', a, '--data', data, '--backend', 'js', '--json']);
  assert.equal(e.code, 0, e.stderr);
});

test('--init keeps the file\'s regularisers unless a flag replaces them, with the same weights', async () => {
  const base = join(dir, 'base.safetensors'), keep = join(dir, 'keep.safetensors'), change = join(dir, 'change.safetensors');
  assert.equal((await recur(['train', ...common, ...arch, ...REG, '--steps', '2', '--out', base])).code, 0);
  const init = ['train', ...common, '--init', base, '--steps', '0'];
  const [k, c] = await Promise.all([recur([...init, '--out', keep]), recur([...init, '--weight-drop', '0.5', '--ar', '0', '--out', change])]);
  assert.equal(k.code, 0, k.stderr);
  assert.equal(c.code, 0, c.stderr);
  const B = load(base).model, K = load(keep).model, C = load(change).model;
  assert.deepEqual(K.config, B.config);
  assert.deepEqual({ ...C.config, weightDrop: 0.2, ar: 2 }, { ...B.config, weightDrop: 0.2, ar: 2 });
  assert.deepEqual([C.config.weightDrop, C.config.ar], [0.5, 0]);
  assert.deepEqual(Array.from(C.params.data), Array.from(B.params.data));
});

test('impossible regularisation flags: one line, exit 2 (a usage error)', async () => {
  const out = join(dir, 'bad.safetensors');
  const cases: [string[], RegExp][] = [
    [['--tie-weights', '--hidden', '16', '--embed', '8'], /--embed \(8\) must equal --hidden \(16\)/],
    [['--dropout-embed', '0.2', '--embed', '0'], /embedding dropout needs an embedding/],
    [['--dropout-input', '0.2', '--embed', '0'], /input dropout needs an embedding/],
    [['--weight-drop', '1'], /--weight-drop/],
    [['--ar', '-1'], /--ar/],
    [['--cell', 'jordan', '--dropout-output', '0.2'], /output dropout/],
  ];
  for (const [flags, re] of cases) {
    const r = await recur(['train', ...common, '--steps', '1', ...flags, '--out', out]);
    assert.equal(r.code, 2, `${flags.join(' ')}: a usage error`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
