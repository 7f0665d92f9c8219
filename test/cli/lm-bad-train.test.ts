/**
 * `recur train` refuses bad input in one line and leaves an existing model file as it was; a run whose
 * loss becomes NaN stops and keeps the last good model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsBackend } from '../../src/kernels/js.js';
import { decodeLm } from '../../src/tasks/lm-file.js';
import { recur, smallText, tempDir, TINY, writeText } from './lm-helpers.js';
import { assertRefusal, runBadCases, writeVictim, type BadCase } from './lm-bad-input.js';

const dir = tempDir();
const good = writeText(dir, 'good.txt', smallText(300));

test('train: every bad text or flag value is one line, a non-zero exit, and the model file untouched', async () => {
  const victim = await writeVictim(dir);
  const out = ['--out', victim];
  mkdirSync(join(dir, 'a-directory'));
  const bad = (name: string, content: string | Uint8Array): string => writeText(dir, name, content);
  const cases: BadCase[] = [
    { name: 'missing data', args: ['train', '--data', join(dir, 'nope.txt'), ...TINY, ...out], error: /cannot read data file .*nope\.txt: no such file/ },
    { name: 'directory as data', args: ['train', '--data', join(dir, 'a-directory'), ...TINY, ...out], error: /is a directory/ },
    { name: 'empty text', args: ['train', '--data', bad('empty.txt', ''), ...TINY, ...out], error: /empty\.txt is empty/ },
    { name: 'empty stdin', args: ['train', '--data', '-', ...TINY, ...out], input: '', error: /standard input is empty/ },
    { name: 'shorter than one chunk', args: ['train', '--data', bad('short.txt', 'abcdefghij'.repeat(6)), ...TINY, ...out], error: /fewer than one batch needs \(batch × seq \+ 1 = 65\)/ },
    { name: 'invalid UTF-8', args: ['train', '--data', bad('latin1.txt', new Uint8Array([0x61, 0x62, 0x63, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x20, 0x78])), ...TINY, ...out], error: /latin1\.txt: invalid UTF-8 at byte 7/ },
    { name: 'non-numeric flag', args: ['train', '--data', good, '--hidden', 'abc', ...out], error: /--hidden.*expected an integer, got 'abc'/ },
    { name: 'negative learning rate', args: ['train', '--data', good, '--lr', '-1', ...out], error: /--lr.*expected a number > 0/ },
    { name: 'dropout out of range', args: ['train', '--data', good, '--dropout', '1.5', ...out], error: /--dropout.*1\.5/ },
  ];
  await runBadCases(cases, victim);
});

test('train: a loss that becomes NaN stops the run with a clear message and keeps the last good model', async () => {
  const out = join(dir, 'diverging.safetensors');
  writeFileSync(out, readFileSync(await writeVictim(dir)));
  const r = await recur(['train', '--data', good, '--backend', 'js', '--cell', 'elman', '--activation', 'relu', '--weight-init', 'identity', '--hidden', '16',
    '--batch', '4', '--seq', '16', '--optimizer', 'sgd', '--lr', '50', '--clip-norm', '0', '--steps', '200', '--save-every', '1', '--val-every', '0', '--json', '--out', out]);
  assertRefusal({ name: 'diverged', args: [], error: /training diverged at step (\d+): loss became (NaN|Infinity).*the last good model \(step \d+\) is in/ }, r);
  const [, atStep] = /diverged at step (\d+)/.exec(r.stderr)!;
  const [, keptStep] = /good model \(step (\d+)\)/.exec(r.stderr)!;
  const m = decodeLm(readFileSync(out), new JsBackend('f32'));
  assert.equal(m.checkpoint.training!.step, Number(keptStep));
  assert.ok(Number(keptStep) < Number(atStep));
});
