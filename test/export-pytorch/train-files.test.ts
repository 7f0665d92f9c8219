/**
 * The exported folder's training files (src/export-pytorch/train-files.ts): which files each kind of
 * model gets, that the README says how to run on one machine, several and GPUs, and that the Python
 * compiles (where /usr/bin/python3 is). The torchrun round trip is train-roundtrip.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeTrainFiles } from '../../src/export-pytorch/train-files.js';

const LSTM = { cell: 'lstm', hidden: 256, layers: 2, embed: 64 };

test('a character model gets train.py, recur_io.py and a README that says how to run it', () => {
  const files = writeTrainFiles('lm', LSTM);
  assert.deepEqual(Object.keys(files).sort(), ['README.md', 'recur_io.py', 'train.py']);
  const readme = files['README.md'];
  assert.match(readme, /^# LSTM 2×256 character model, exported from recur/);
  for (const needle of ['torchrun --nproc_per_node', '--nnodes', '--rdzv_endpoint', 'NCCL', 'recur eval --model', 'recur train --init', 'GPUs were not measured']) {
    assert.ok(readme.includes(needle), `README lacks ${needle}`);
  }
  // Every flag train.py shares with recur train is spelled the same.
  for (const flag of ['--data', '--steps', '--time', '--batch', '--seq', '--lr', '--lr-min', '--schedule', '--optimizer', '--clip-norm',
    '--clip-value', '--seed', '--out', '--resume', '--val-fraction', '--json', '--init']) {
    assert.ok(files['train.py'].includes(`"${flag}"`), `train.py has no ${flag}`);
  }
});

test('other kinds get recur_io.py and a README without train.py', () => {
  for (const kind of ['classify', 'forecast', 'seq2seq', null]) {
    const files = writeTrainFiles(kind, { cell: 'gru', hidden: 8, layers: 1 });
    assert.deepEqual(Object.keys(files).sort(), ['README.md', 'recur_io.py'], String(kind));
    assert.ok(!files['README.md'].includes('torchrun'), String(kind));
    assert.match(files['README.md'], /train\.py covers character models/);
  }
  assert.match(writeTrainFiles('seq2seq', {})['README.md'], /^# Sequence-to-sequence model, exported/);
});

const python = spawnSync('/usr/bin/python3', ['--version']).status === 0 ? '/usr/bin/python3' : null;

test('the Python files compile', { skip: python ? false : 'no /usr/bin/python3' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-trainpy-'));
  try {
    const files = writeTrainFiles('lm', LSTM);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const r = spawnSync(python!, ['-m', 'py_compile', join(dir, 'train.py'), join(dir, 'recur_io.py')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
