/**
 * `recur eval --dynamic` and `recur train --average` end to end on a small text: dynamic evaluation
 * scores differently from static evaluation and never touches the model file; its flags are refused
 * without --dynamic or for a one-per-line model; an averaged run saves θ, θ̄ and resumes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { assertOneLineError, recur, smallText, tempDir, TINY, writeText } from './lm-helpers.js';

const dir = tempDir('recur-dyn-');
const TEXT = smallText(400);
const data = writeText(dir, 'small.txt', TEXT);
const model = join(dir, 'model.safetensors');

test('train --average, then eval --dynamic: a different score, the model file untouched', async () => {
  const t = await recur(['train', '--data', data, ...TINY, '--steps', '20', '--lr', '0.02', '--average', '--out', model]);
  assert.equal(t.code, 0, t.stderr);
  const ck = decodeLm(readFileSync(model), new JsBackend('f32')).checkpoint;
  assert.ok(ck.optim.has('average.rnn.weight_hh_l0') && ck.optim.has('train_weights.rnn.weight_hh_l0'), 'θ̄ and θ are saved for --resume');
  assert.equal((ck.training!.settings as { average: boolean }).average, true);

  const before = readFileSync(model), mtime = statSync(model).mtimeMs, files = readdirSync(dir).sort();
  const s = await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--json']);
  const d = await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--json', '--dynamic', '--dyn-lr', '0.01', '--dyn-seq', '20', '--dyn-rule', 'sgd']);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(d.code, 0, d.stderr);
  const st = JSON.parse(s.stdout) as { loss: number; chars: number };
  const dy = JSON.parse(d.stdout) as { loss: number; chars: number; dynamic: Record<string, unknown> };
  assert.equal(dy.chars, st.chars);
  assert.ok(Number.isFinite(dy.loss) && Math.abs(dy.loss - st.loss) > 1e-4, `dynamic ${dy.loss} vs static ${st.loss}`);
  assert.deepEqual(dy.dynamic, { lr: 0.01, decay: 0.008, seq: 20, rule: 'sgd', steps: 1, anchor: 0.001 });
  const one = await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--json', '--dynamic', '--dyn-lr', '0.01', '--dyn-seq', '20', '--dyn-rule', 'sgd', '--dyn-steps', '2', '--dyn-anchor', '0']);
  assert.equal(one.code, 0, one.stderr);
  const on = JSON.parse(one.stdout) as { loss: number; dynamic: Record<string, unknown> };
  assert.deepEqual([on.dynamic.steps, on.dynamic.anchor], [2, 0]);
  assert.ok(Math.abs(on.loss - dy.loss) > 1e-6, `--dyn-steps 2 --dyn-anchor 0 (${on.loss}) should differ from the defaults (${dy.loss})`);
  assert.deepEqual(readFileSync(model), before, 'the model file is unchanged');
  assert.equal(statSync(model).mtimeMs, mtime, 'the model file was not rewritten');
  assert.deepEqual(readdirSync(dir).sort(), files, 'no file was written');

  const text = await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--dynamic']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^dynamic evaluation: loss \d+\.\d{4} nats\/char/);

  const r = await recur(['train', '--data', data, '--backend', 'js', '--resume', '--steps', '25', '--out', model]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(decodeLm(readFileSync(model), new JsBackend('f32')).checkpoint.training!.step, 25);
});

test('dynamic-evaluation flags without --dynamic, out of range, or for a one-per-line model: one line, exit 2 (usage) or 1', async () => {
  assertOneLineError(await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--dyn-lr', '0.1']), 2, /--dyn-lr applies to dynamic evaluation: add --dynamic/);
  assertOneLineError(await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--dynamic', '--dyn-decay', '2']), 2, /dyn-decay/);
  assertOneLineError(await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--dyn-steps', '3']), 2, /--dyn-steps applies to dynamic evaluation: add --dynamic/);
  assertOneLineError(await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--dynamic', '--dyn-steps', '0']), 2, /dyn-steps/);
  assertOneLineError(await recur(['eval', '--model', model, '--data', data, '--backend', 'js', '--dynamic', '--dyn-anchor', '-1']), 2, /dyn-anchor/);
  const names = writeText(dir, 'names.txt', 'anna\nbob\ncarla\ndave\neve\nfrank\ngina\nhal\nida\njon\n');
  const lines = join(dir, 'lines.safetensors');
  const t = await recur(['train', '--data', names, '--lines', ...TINY, '--batch', '2', '--steps', '2', '--out', lines]);
  assert.equal(t.code, 0, t.stderr);
  assertOneLineError(await recur(['eval', '--model', lines, '--data', names, '--backend', 'js', '--dynamic']), 1, /one sequence per line; --dynamic adapts a model to one stream/);
});

test('train takes the measured defaults for the flags not given; a flag given wins', async () => {
  const a = join(dir, 'defaults.safetensors'), b = join(dir, 'flags.safetensors');
  const c = join(dir, 'onehot.safetensors');
  const [r1, r2, r3] = await Promise.all([
    recur(['train', '--data', data, ...TINY, '--steps', '3', '--out', a]),
    recur(['train', '--data', data, ...TINY, '--steps', '3', '--dropout-output', '0.1', '--no-average', '--out', b]),
    recur(['train', '--data', data, ...TINY, '--steps', '3', '--embed', '0', '--out', c]),
  ]);
  // One-hot input cannot take input dropout: that default is left off, the others stay.
  assert.equal(r3.code, 0, r3.stderr);
  const C = decodeLm(readFileSync(c), new JsBackend('f32')).checkpoint;
  assert.deepEqual([C.config.dropoutInput, C.config.dropoutOutput], [0, 0.4]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  const ck = (p: string) => decodeLm(readFileSync(p), new JsBackend('f32')).checkpoint;
  const A = ck(a), B = ck(b);
  // A few kilobytes: the small-corpus row (lr 3e-3, dropout 0.4 out, 0.25 in, weight drop 0.3, averaging); --hidden 8 was given.
  assert.deepEqual([A.config.hidden, A.config.dropoutOutput, A.config.dropoutInput, A.config.weightDrop, (A.training!.settings as { average: boolean; lr: number }).average, (A.training!.settings as { lr: number }).lr], [8, 0.4, 0.25, 0.3, true, 3e-3]);
  assert.deepEqual([B.config.dropoutOutput, B.config.dropoutInput, B.config.weightDrop, (B.training!.settings as { average: boolean }).average], [0.1, 0.25, 0.3, false]);
  // The run says what it took: a line in text mode (the flags given are not in it), the values in the JSON summary.
  assert.match(r1.stderr, /\nmeasured defaults for this budget and corpus \(flags override\): lr 0\.003, input dropout 0\.25, output dropout 0\.4, weight drop 0\.3, averaged weights\n/);
  assert.match(r2.stderr, /\nmeasured defaults for this budget and corpus \(flags override\): lr 0\.003, input dropout 0\.25, weight drop 0\.3\n/);
  const j = await recur(['train', '--data', data, ...TINY, '--steps', '1', '--out', join(dir, 'j.safetensors'), '--json']);
  assert.equal(j.code, 0, j.stderr);
  const summary = JSON.parse(j.stdout.trim().split('\n').at(-1)!) as { measured_defaults: Record<string, unknown> };
  assert.deepEqual(summary.measured_defaults, { lr: 0.003, dropoutInput: 0.25, dropoutOutput: 0.4, dropoutEmbed: 0, weightDrop: 0.3, average: true });
});
