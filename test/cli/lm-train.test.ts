/**
 * `recur train`, `recur sample` and `recur eval` end to end on small texts: the JSON protocol, the
 * files they write, resuming, starting from a model, one-name-per-line models, standard input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { assertOneLineError, recur, smallText, tempDir, TINY, writeText } from './lm-helpers.js';

const be = new JsBackend('f32');
const dir = tempDir();
const TEXT = smallText();
const data = writeText(dir, 'small.txt', TEXT);
const V = new Set(TEXT).size;
const load = (path: string) => decodeLm(readFileSync(path), be);
const jsonLines = (stdout: string): Record<string, unknown>[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('train → sample → eval: the JSON protocol, the model file, the sample, the score', async () => {
  const out = join(dir, 'e2e.safetensors');
  const r = await recur(['train', '--data', data, ...TINY, '--steps', '30', '--log-every', '10', '--val-every', '15', '--lr', '0.01', '--json', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  const logs = lines.filter((l) => !l.summary), summary = lines[lines.length - 1];
  assert.deepEqual(logs.map((l) => l.step), [10, 15, 20, 30]);
  for (const l of logs) {
    for (const k of ['step', 'epoch', 'loss', 'bpc', 'grad_norm', 'lr', 'chars_per_s', 'elapsed']) assert.equal(typeof l[k], 'number', `${k} in ${JSON.stringify(l)}`);
    assert.ok(Math.abs((l.bpc as number) - (l.loss as number) / Math.LN2) < 1e-9);
  }
  const vals = logs.filter((l) => 'val_loss' in l);
  assert.deepEqual(vals.map((l) => l.step), [15, 30]);
  assert.equal(typeof vals[0].spectral_radius, 'number');
  assert.equal((vals[0].spectral_radius_gates as number[]).length, 4);
  assert.equal(typeof vals[0].sample, 'string');
  assert.equal(summary.summary, true);
  assert.equal(summary.steps, 30);
  assert.equal(summary.model, out);
  assert.equal(typeof summary.val_loss, 'number');
  assert.equal(typeof summary.sample, 'string');
  assert.equal((summary.sample as string).length, 40);
  assert.ok((logs[3].loss as number) < (logs[0].loss as number), 'the loss falls');

  const m = load(out);
  assert.equal(m.tokens.size, V);
  assert.equal(m.checkpoint.training!.step, 30);
  assert.deepEqual([...m.model.params.names()].slice(0, 3), ['embedding.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l0']);
  assert.deepEqual(m.model.params.view('embedding.weight').shape, [V, 6]);

  const s = await recur(['sample', '--model', out, '--backend', 'js', '--length', '120', '--seed', '4', '--prime', 'the ']);
  assert.equal(s.code, 0, s.stderr);
  assert.ok(s.stdout.startsWith('the '));
  assert.equal([...s.stdout.replace(/\n$/, '')].length, 124);

  const e = await recur(['eval', '--model', out, '--data', data, '--backend', 'js', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const ev = JSON.parse(e.stdout) as { loss: number; bpc: number; chars: number };
  assert.equal(ev.chars, TEXT.length - 1);
  assert.ok(ev.loss > 0 && ev.loss < Math.log(V), `${ev.loss}`);
  assert.ok(Math.abs(ev.bpc - ev.loss / Math.LN2) < 1e-9);
  const human = await recur(['eval', '--model', out, '--data', data, '--backend', 'js']);
  assert.match(human.stdout, /^loss \d+\.\d{4} nats\/char, \d+\.\d{4} bits\/char over [\d,]+ characters\n$/);
});

test('--val-every auto (the default) validates a cheap held-out text within the first second of training; a fixed 30 s waits for the end', async () => {
  // Seconds count training only, so 3 s of it always reach the first auto validation (0.9 s) whatever the load.
  const tiny = TINY.filter((a, i) => a !== '--val-every' && TINY[i - 1] !== '--val-every');
  const run = (extra: string[], out: string) => recur(['train', '--data', data, ...tiny, '--time', '3', '--log-every', '0', '--sample-length', '0', '--json', '--out', join(dir, out), ...extra]);
  const [auto, fixed, bad] = await Promise.all([run([], 'auto.safetensors'), run(['--val-every', '30s'], 'fixed.safetensors'), run(['--val-every', 'often'], 'bad.safetensors')]);
  assert.equal(auto.code, 0, auto.stderr);
  assert.equal(fixed.code, 0, fixed.stderr);
  const vals = (r: typeof auto) => jsonLines(r.stdout).filter((l) => !l.summary && 'val_loss' in l).map((l) => l.elapsed as number);
  const a = vals(auto), f = vals(fixed);
  assert.ok(a.length >= 3 && a[0] >= 0.9 && a[0] < 2, `auto validated at ${a.join(', ')}`);
  assert.equal(f.length, 1, `30s validated at ${f.join(', ')}`);
  assert.ok(f[0] >= 3);
  assertOneLineError(bad, 2, /--val-every .*expected auto, a number of steps \(e\.g\. 200\) or seconds \(e\.g\. 30s\), got 'often'/);
});

test('--steps 0 writes the freshly initialised model, which scores near chance', async () => {
  const out = join(dir, 'fresh.safetensors');
  const r = await recur(['train', '--data', data, ...TINY, '--steps', '0', '--json', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const m = load(out);
  assert.equal(m.checkpoint.training!.step, 0);
  const e = await recur(['eval', '--model', out, '--data', data, '--backend', 'js', '--json']);
  const { loss } = JSON.parse(e.stdout) as { loss: number };
  assert.ok(Math.abs(loss - Math.log(V)) < 0.3, `fresh model loss ${loss} vs ln V = ${Math.log(V)}`);
});

test('--resume continues exactly: N steps + resume to 2N equals 2N straight (bit-identical weights and moments)', async () => {
  const common = ['--data', data, '--backend', 'js', '--log-every', '0', '--val-every', '0', '--sample-length', '0', '--json'];
  const arch = ['--cell', 'gru', '--hidden', '8', '--embed', '5', '--layers', '2', '--dropout', '0.25', '--batch', '4', '--seq', '16', '--schedule', 'constant', '--seed', '5'];
  const a = join(dir, 'straight.safetensors'), b = join(dir, 'resumed.safetensors');
  const [r1, r2] = await Promise.all([
    recur(['train', ...common, ...arch, '--steps', '16', '--out', a]),
    recur(['train', ...common, ...arch, '--steps', '8', '--out', b]),
  ]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  const r3 = await recur(['train', '--resume', '--steps', '16', ...common, '--out', b]);
  assert.equal(r3.code, 0, r3.stderr);
  assert.equal(jsonLines(r3.stdout).pop()!.run_steps, 8);
  const A = load(a).checkpoint, B = load(b).checkpoint;
  for (const [name, t] of A.tensors) assert.deepEqual(new Uint8Array(B.tensors.get(name)!.data.buffer), new Uint8Array(t.data.buffer), name);
  assert.ok(A.optim.size > 0);
  for (const [name, t] of A.optim) assert.deepEqual(new Uint8Array(B.optim.get(name)!.data.buffer), new Uint8Array(t.data.buffer), name);
  // Resuming a finished run does nothing more, and says so in its summary.
  const r4 = await recur(['train', '--resume', ...common, '--out', b]);
  assert.equal(r4.code, 0, r4.stderr);
  assert.equal(jsonLines(r4.stdout).pop()!.run_steps, 0);
});

test('--init starts from a model; standard input works as data', async () => {
  const base = join(dir, 'base.safetensors'), next = join(dir, 'next.safetensors');
  assert.equal((await recur(['train', '--data', data, ...TINY, '--steps', '3', '--out', base, '--json'])).code, 0);
  const r = await recur(['train', '--data', '-', '--init', base, '--backend', 'js', '--steps', '2', '--log-every', '0', '--val-every', '0', '--out', next, '--json'], { input: TEXT });
  assert.equal(r.code, 0, r.stderr);
  const from = load(base), m = load(next);
  assert.deepEqual(m.model.config, from.model.config);
  assert.deepEqual(m.tokens.toJSON(), from.tokens.toJSON());
  assert.equal(m.checkpoint.training!.step, 2);
  assert.equal(m.task.source, 'stdin');
});

test('--corpus names trains on first names and samples new ones, one per line', async () => {
  const out = join(dir, 'names.safetensors');
  const r = await recur(['train', '--corpus', 'names', '--backend', 'js', '--hidden', '8', '--embed', '8', '--batch', '16', '--steps', '4', '--log-every', '0', '--val-every', '0', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /first-names: [\d,]+ training \/ [\d,]+ validation lines/);
  assert.equal(r.stdout.trim().split('\n').length, 10, 'the final sample is ten names');
  const m = load(out);
  assert.equal(m.task.mode, 'lines');
  const s = await recur(['sample', '--model', out, '--backend', 'js', '--count', '5', '--length', '12', '--seed', '2']);
  assert.equal(s.code, 0, s.stderr);
  const names = s.stdout.split('\n').slice(0, -1);
  assert.equal(names.length, 5);
  for (const n of names) assert.ok([...n].length <= 12);
  assert.ok(existsSync(out));
});
