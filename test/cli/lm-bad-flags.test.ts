/**
 * `recur train` refuses conflicting flags and bad --init/--resume files in one line, and leaves an
 * existing model file as it was.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { smallText, tempDir, TINY, writeText } from './lm-helpers.js';
import { runBadCases, writeVictim, type BadCase } from './lm-bad-input.js';

const dir = tempDir();
const good = writeText(dir, 'good.txt', smallText(300));

test('train: conflicting flags and bad --init/--resume are one line, a non-zero exit, and the model file untouched', async () => {
  const victim = await writeVictim(dir);
  const out = ['--out', victim];
  const bad = (name: string, content: string | Uint8Array): string => writeText(dir, name, content);
  const corrupt = bad('corrupt.safetensors', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  const cases: BadCase[] = [
    { name: 'steps and time', args: ['train', '--data', good, '--steps', '5', '--time', '3', ...out], error: /--steps or --time, not both/ },
    { name: 'bidirectional', args: ['train', '--data', good, '--bidirectional', ...TINY, ...out], error: /bidirectional model would see the answer/ },
    { name: 'lags on an LSTM', args: ['train', '--data', good, '--lags', '2,3', ...out], error: /--lags extends the Elman recurrence/ },
    { name: 'resume and init', args: ['train', '--data', good, '--resume', '--init', victim, ...out], error: /not both/ },
    { name: 'resume with an architecture flag', args: ['train', '--data', good, '--resume', '--hidden', '9', ...out], error: /--hidden cannot be used with --resume/ },
    { name: 'resume with a run flag', args: ['train', '--data', good, '--resume', '--lr', '0.1', ...out], error: /--lr cannot be used with --resume/ },
    { name: 'resume, other text', args: ['train', '--data', good, '--resume', '--backend', 'js', ...out], error: /is not the text this run was trained on/ },
    { name: 'init from a corrupt file', args: ['train', '--data', good, '--init', corrupt, ...TINY.slice(0, 2), ...out], error: /corrupt\.safetensors: .*(truncated|safetensors)/ },
    { name: 'init, character outside the vocabulary', args: ['train', '--data', bad('q.txt', `${smallText(100)}Q`), '--init', victim, '--backend', 'js', '--out', join(dir, 'from-init.safetensors')], error: /character "Q" \(U\+0051\)/ },
    // --out may not name the --init file (it is an input: saving would replace it).
    { name: 'out is the init file', args: ['train', '--data', good, '--init', victim, '--backend', 'js', ...out], error: /--out .*victim\.safetensors is the same file as --init/, code: 2 },
    { name: 'resume without a file', args: ['train', '--data', good, '--resume', '--out', join(dir, 'missing.safetensors')], error: /missing\.safetensors: no such file/ },
  ];
  await runBadCases(cases, victim);
});
