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

test('train: every bad input is one line, a non-zero exit, and the model file untouched', async () => {
  const victim = await writeVictim(dir);
  const out = ['--out', victim];
  mkdirSync(join(dir, 'a-directory'));
  const bad = (name: string, content: string | Uint8Array): string => writeText(dir, name, content);
  const corrupt = bad('corrupt.safetensors', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
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
    { name: 'zero batch', args: ['train', '--data', good, '--batch', '0', ...out], error: /--batch.*got 0/ },
    { name: 'unknown cell', args: ['train', '--data', good, '--cell', 'banana', ...out], error: /expected one of elman, jordan, elman\+jordan, lstm, gru/ },
    { name: 'bad cadence', args: ['train', '--data', good, '--val-every', 'often', ...out], error: /--val-every.*often/ },
    { name: 'steps and time', args: ['train', '--data', good, '--steps', '5', '--time', '3', ...out], error: /--steps or --time, not both/ },
    { name: 'bidirectional', args: ['train', '--data', good, '--bidirectional', ...TINY, ...out], error: /bidirectional model would see the answer/ },
    { name: 'lags on an LSTM', args: ['train', '--data', good, '--lags', '2,3', ...out], error: /--lags extends the Elman recurrence/ },
    { name: 'resume and init', args: ['train', '--data', good, '--resume', '--init', victim, ...out], error: /not both/ },
    { name: 'resume with an architecture flag', args: ['train', '--data', good, '--resume', '--hidden', '9', ...out], error: /--hidden cannot be used with --resume/ },
    { name: 'resume with a run flag', args: ['train', '--data', good, '--resume', '--lr', '0.1', ...out], error: /--lr cannot be used with --resume/ },
    { name: 'resume, other text', args: ['train', '--data', good, '--resume', '--backend', 'js', ...out], error: /is not the text this run was trained on/ },
    { name: 'init from a corrupt file', args: ['train', '--data', good, '--init', corrupt, ...TINY.slice(0, 2), ...out], error: /corrupt\.safetensors: .*(truncated|safetensors)/ },
    { name: 'init, character outside the vocabulary', args: ['train', '--data', bad('q.txt', `${smallText(100)}Q`), '--init', victim, '--backend', 'js', ...out], error: /character "Q" \(U\+0051\)/ },
    { name: 'resume without a file', args: ['train', '--data', good, '--resume', '--out', join(dir, 'missing.safetensors')], error: /missing\.safetensors: no such file/ },
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
