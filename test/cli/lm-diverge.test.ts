/**
 * Issue 14, defect 8: a run whose loss diverges but stays finite (learning rate far too high, no
 * clipping) used to be saved with exit 0 and no word. It must stop, say so in one line, exit non-zero
 * and leave the last good model in the file, not the diverged one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { evaluateStream } from '../../src/tasks/lm-eval.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { assertRefusal } from './lm-bad-input.js';
import { recur, smallText, tempDir, writeText } from './lm-helpers.js';

const dir = tempDir();
const text = smallText(600);
const data = writeText(dir, 'small.txt', text);
const common = ['--data', data, '--backend', 'js', '--seed', '1', '--hidden', '32', '--batch', '8', '--seq', '32', '--clip-norm', '0', '--json', '--log-every', '1000'];

test('train: a finite divergence stops with one line and a non-zero exit, and keeps the last good model', async () => {
  // The rate climbs from 0 to 10 over a 50-step warm-up: the model learns first (the loss falls well below
  // ln V), then the loss climbs far above it and stays there (finite: 6–10 nats against ln 21 ≈ 3).
  const out = join(dir, 'climb.safetensors');
  const r = await recur(['train', ...common, '--schedule', 'constant', '--lr', '10', '--warmup', '50', '--steps', '100', '--save-every', '5', '--val-every', '0', '--out', out]);
  assertRefusal({ name: 'finite divergence', args: [], error: /training diverged at step (\d+): the loss has stayed above .* for \d+ steps.*the last good model \(step (\d+)\) is in/ }, r);
  const atStep = Number(/diverged at step (\d+)/.exec(r.stderr)![1]);
  const kept = Number(/good model \(step (\d+)\)/.exec(r.stderr)![1]);
  assert.ok(kept > 0 && kept < atStep && atStep < 100, r.stderr);
  const m = decodeLm(readFileSync(out), new JsBackend('f32'));
  assert.equal(m.checkpoint.training!.step, kept);
  // The file's model is a good one: better than a uniform guess on the text (the diverged one scores > 2 ln V).
  const loss = evaluateStream(m.model, m.tokens.encode(text), { chunk: 32 }).loss;
  assert.ok(loss < Math.log(m.tokens.size), `kept model loss ${loss} vs ln V ${Math.log(m.tokens.size)}`);
});

test('train: lr 100 without clipping diverges at once: the file holds the starting model, not the diverged one', async () => {
  const out = join(dir, 'lr100.safetensors');
  const r = await recur(['train', ...common, '--lr', '100', '--steps', '30', '--out', out]);
  assertRefusal({ name: 'lr 100', args: [], error: /training diverged at step \d+: the loss has stayed above.*the last good model \(step 0\) is in/ }, r);
  const m = decodeLm(readFileSync(out), new JsBackend('f32'));
  assert.equal(m.checkpoint.training!.step, 0);
  const loss = evaluateStream(m.model, m.tokens.encode(text), { chunk: 32 }).loss;
  assert.ok(loss < 1.1 * Math.log(m.tokens.size), `kept model loss ${loss}`);
});
