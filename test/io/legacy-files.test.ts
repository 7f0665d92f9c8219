/**
 * Model files written before the redesign of issue 13 (by tools/gen-legacy-fixtures.sh on commit 00b210e) still
 * load and score what they scored then: char-LMs of every cell kind through `recur eval`, a classifier through
 * `recur predict`, a forecaster's outputs on a fixed batch through the library.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recur, ROOT } from '../cli/lm-helpers.js';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeNet, forwardNet } from '../../src/tasks/net.js';

const DIR = join(ROOT, 'test/fixtures/legacy');
const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

for (const name of ['lstm', 'gru2', 'ej', 'elman']) {
  test(`legacy char-LM file ${name} scores the same`, async () => {
    const want = JSON.parse(readFileSync(join(DIR, `${name}.eval.json`), 'utf8')) as { loss: number; chars: number };
    for (const backend of ['js', 'auto']) {
      const r = await recur(['eval', '--model', join(DIR, `${name}.safetensors`), '--data', join(DIR, 'text.txt'), '--json', '--backend', backend]);
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { loss: number; chars: number };
      assert.equal(got.chars, want.chars);
      assert.ok(close(got.loss, want.loss, backend === 'js' ? 1e-9 : 1e-5), `${backend}: loss ${got.loss}, was ${want.loss}`);
    }
  });
}

test('legacy classifier file predicts the same probabilities', async () => {
  const want = readFileSync(join(DIR, 'classifier.predict.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const r = await recur(['predict', '--model', join(DIR, 'classifier.safetensors'), '--data', join(DIR, 'texts.jsonl'), '--json', '--backend', 'js']);
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i].probabilities as Record<string, number> | undefined, g = got[i].probabilities as Record<string, number> | undefined;
    if (!w) { assert.deepEqual(Object.keys(got[i]).sort(), Object.keys(want[i]).sort()); continue; }
    assert.equal(got[i].label, want[i].label);
    for (const k of Object.keys(w)) assert.ok(close(g![k], w[k], 1e-6), `text ${i} ${k}: ${g![k]} vs ${w[k]}`);
  }
});

test('legacy forecaster file computes the same outputs', () => {
  const want = JSON.parse(readFileSync(join(DIR, 'forecaster.forward.json'), 'utf8')) as { T: number; B: number; outputs: number[] };
  const be = new JsBackend('f32');
  const { net } = decodeNet(new Uint8Array(readFileSync(join(DIR, 'forecaster.safetensors'))), be);
  const { T, B } = want, F = net.config.inputSize;
  const inputs = be.alloc(T * B * F);
  for (let i = 0; i < inputs.length; i++) inputs[i] = Math.sin(i * 0.7);
  forwardNet(net, { T, B, inputs });
  const got = Array.from(net.logits.subarray(0, want.outputs.length));
  for (let i = 0; i < got.length; i++) assert.ok(close(got[i], want.outputs[i], 1e-6), `output ${i}: ${got[i]} vs ${want.outputs[i]}`);
});
