/**
 * `recur sample` and `recur eval` refuse bad model files, bad flags and bad texts in one line, and
 * never touch the model file they read.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import { encodeModel } from '../../src/io/model-file.js';
import { Model } from '../../src/nn/model.js';
import { Rng } from '../../src/util/rng.js';
import { smallText, tempDir, writeText } from './lm-helpers.js';
import { runBadCases, writeVictim, type BadCase } from './lm-bad-input.js';

test('sample and eval: every bad input is one line, a non-zero exit, and the model file untouched', async () => {
  const dir = tempDir();
  const victim = await writeVictim(dir);
  const bytes = readFileSync(victim);
  const file = (name: string, content: string | Uint8Array): string => writeText(dir, name, content);
  const truncated = file('truncated.safetensors', bytes.subarray(0, bytes.length - 10));
  const garbage = file('garbage.safetensors', Uint8Array.from({ length: 300 }, (_, i) => (i * 7919) & 255));
  const plain = file('plain.safetensors', encodeSafetensors([{ name: 'w', shape: [2], data: new Float32Array(2) }], {}));
  const classifier = file('classifier.safetensors', encodeModel(
    new Model({ cell: 'gru', hidden: 3, inputSize: 4, outputSize: 2, outputMode: 'last' }, new JsBackend('f32')).init(new Rng(1)),
    { vocab: ['a', 'b', 'c', 'd'], task: { kind: 'classify' } }));
  const js = ['--backend', 'js'];
  const sample = (...a: string[]): string[] => ['sample', ...js, ...a];
  const evalArgs = (...a: string[]): string[] => ['eval', ...js, ...a];
  const cases: BadCase[] = [
    { name: 'missing model', args: sample('--model', join(dir, 'nope.safetensors')), error: /cannot read model file .*nope\.safetensors: no such file/ },
    { name: 'garbage model', args: sample('--model', garbage), error: /garbage\.safetensors: .*safetensors header length/ },
    { name: 'truncated model', args: sample('--model', truncated), error: /truncated\.safetensors: .*truncated/ },
    { name: 'not a recur model', args: sample('--model', plain), error: /plain\.safetensors: not a recur model file/ },
    { name: 'not a language model', args: sample('--model', classifier), error: /"classify" model, not a character language model/ },
    { name: 'prime outside the vocabulary', args: sample('--model', victim, '--prime', 'the Zebra'), error: /--prime has the character "Z" \(U\+005A\), which is not in the model's vocabulary/ },
    { name: 'non-numeric top-k', args: sample('--model', victim, '--top-k', 'many'), error: /--top-k.*expected an integer, got 'many'/ },
    { name: 'eval: missing text', args: evalArgs('--model', victim, '--data', join(dir, 'nope.txt')), error: /cannot read data file .*nope\.txt: no such file/ },
    { name: 'eval: invalid UTF-8', args: evalArgs('--model', victim, '--data', file('bad.txt', new Uint8Array([0x74, 0x68, 0xff, 0x65]))), error: /bad\.txt: invalid UTF-8 at byte 2/ },
    { name: 'eval: character outside the vocabulary', args: evalArgs('--model', victim, '--data', file('q.txt', `${smallText(20)}Q`)), error: /q\.txt: character "Q" \(U\+0051\) at byte \d+ is not in the vocabulary/ },
    { name: 'eval: one character', args: evalArgs('--model', victim, '--data', file('one.txt', 't')), error: /nothing to predict/ },
    { name: 'eval: corrupt model', args: evalArgs('--model', truncated, '--data', file('ok.txt', smallText(20))), error: /truncated/ },
    { name: 'eval: data flag missing', args: evalArgs('--model', victim), error: /required option '--data <file>' not specified/ },
  ];
  await runBadCases(cases, victim);
});
