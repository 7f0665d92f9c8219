/**
 * `recur seq2seq` on bad input: one line on stderr, a non-zero exit, nothing written. The issue's
 * list: a TSV line without a tab, an empty file, a target longer than --max-target, an unknown task,
 * --attention dot with a bidirectional encoder, a model file of another kind (and a seq2seq file
 * given to `recur sample`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pool, recur, tempDir, assertOneLineError, type RunResult } from './lm-helpers.js';

const dir = tempDir('recur-s2s-errors-');
const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };
const tiny = ['--backend', 'js', '--hidden', '4', '--embed', '4', '--steps', '2'];

test('seq2seq train: each bad input is one line, exit 1 or 2, no model written', async () => {
  const out = join(dir, 'never.safetensors');
  const cases: [string[], number, RegExp][] = [
    [['--data', file('notab.tsv', 'ab\tba\nabc cba\n')], 1, /notab\.tsv: line 2 has no tab/],
    [['--data', file('empty.tsv', '')], 1, /empty\.tsv is empty/],
    [['--data', file('blank.tsv', '\n\n')], 1, /blank\.tsv: no pairs/],
    [['--data', file('long.tsv', 'a\tb\nab\tbcdef\n'), '--max-target', '4'], 1, /long\.tsv: line 2 has a target of 5 characters, longer than --max-target 4/],
    [['--task', 'copy'], 1, /unknown task 'copy' \(expected reverse, sort, addition, dates\)/],
    [['--attention', 'dot', '--bidirectional'], 2, /--attention dot .*bidirectional/],
    [['--attention', 'none', '--input-feeding'], 2, /--input-feeding .* needs --attention/],
    [['--task', 'reverse', '--data', file('ok.tsv', 'a\tb\nb\ta\n')], 2, /give --task or --data, not both/],
    [['--attention', 'sideways'], 2, /expected one of none, dot, general, additive/],
  ];
  const results = await pool(cases.map(([args]) => () => recur(['seq2seq', 'train', ...args, '--out', out, ...tiny])));
  cases.forEach(([, code, pattern], i) => assertOneLineError(results[i], code, pattern));
  assert.ok(!existsSync(out), 'nothing written');
});

test('a model file of another kind is refused by seq2seq, and a seq2seq file by sample', async () => {
  const lm = join(dir, 'lm.safetensors'), s2s = join(dir, 's2s.safetensors');
  const made = await pool([
    () => recur(['train', '--data', file('text.txt', 'abcabcabc abc cab\n'.repeat(20)), '--steps', '1', '--hidden', '4', '--batch', '2', '--seq', '8', '--sample-length', '0', '--out', lm, '--backend', 'js']),
    () => recur(['seq2seq', 'train', '--task', 'reverse', '--length', '3', '--out', s2s, ...tiny]),
  ]);
  for (const r of made) assert.equal(r.code, 0, r.stderr);
  const [pred, ev, sample] = await pool([
    () => recur(['seq2seq', 'predict', '--model', lm, 'abc', '--backend', 'js']),
    () => recur(['seq2seq', 'eval', '--model', lm, '--data', file('ok2.tsv', 'a\tb\n'), '--backend', 'js']),
    () => recur(['sample', '--model', s2s, '--length', '5', '--backend', 'js']),
  ]);
  assertOneLineError(pred, 1, /lm\.safetensors: .*not a seq2seq model|lm\.safetensors: .*language model/);
  assertOneLineError(ev, 1, /lm\.safetensors: /);
  assertOneLineError(sample, 1, /s2s\.safetensors: .*seq2seq/);
});

test('predict: bad requests are one line', async () => {
  const s2s = join(dir, 'p.safetensors'), none = join(dir, 'none.safetensors');
  const made = await pool([
    () => recur(['seq2seq', 'train', '--task', 'reverse', '--length', '3', '--out', s2s, ...tiny]),
    () => recur(['seq2seq', 'train', '--task', 'reverse', '--length', '3', '--attention', 'none', '--out', none, ...tiny]),
  ]);
  for (const r of made) assert.equal(r.code, 0, r.stderr);
  const cases: [string[], number, RegExp][] = [
    [['--model', s2s, 'abc', 'cab', '--plot', join(dir, 'a.png')], 2, /--plot draws the attention of one input, got 2/],
    [['--model', none, 'abc', '--plot', join(dir, 'b.png')], 2, /this model has no attention/],
    [['--model', s2s, 'abc', '--plot', join(dir, 'c.gif')], 2, /must end in \.png or \.svg/],
    [['--model', s2s, ''], 2, /input 1 is empty/],
    [['--model', join(dir, 'missing.safetensors'), 'abc'], 1, /missing\.safetensors/],
  ];
  const results = await pool(cases.map(([args]) => () => recur(['seq2seq', 'predict', ...args, '--backend', 'js'])));
  cases.forEach(([, code, pattern], i) => assertOneLineError(results[i], code, pattern));
});
