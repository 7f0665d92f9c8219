/**
 * `recur seq2seq train | eval | predict` end to end on tiny budgets: training must learn (a short
 * reverse task reaches an exact match far above chance), eval and predict must agree with what
 * training reported, and the attention picture must be drawn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pool, recur, tempDir } from './lm-helpers.js';

const dir = tempDir('recur-s2s-');
const BACKEND = ['--backend', process.env.RECUR_TEST_BACKEND ?? 'js'];
const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

test('reverse --length 4 learns, and eval/predict agree with it', async () => {
  const model = join(dir, 'rev.safetensors');
  const r = await recur(['seq2seq', 'train', '--task', 'reverse', '--length', '4', '--steps', '300', '--hidden', '32', '--embed', '16',
    '--batch', '32', '--lr', '0.01', '--eval-every', '100', '--out', model, '--json', ...BACKEND], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const all = lines(r.stdout), summary = all[all.length - 1];
  assert.equal(summary.summary, true);
  assert.equal(all.filter((l) => l.event === 'score').length, 2, 'scored at steps 100 and 200');
  assert.equal(all.filter((l) => l.event === 'final').length, 1);
  assert.equal(summary.steps, 300);
  // Chance is 1/26 per letter: an exact match on 4 letters at random is about 2e-6.
  assert.ok((summary.exact_match as number) > 0.5, `exact match ${summary.exact_match}`);
  assert.ok((summary.token_accuracy as number) > 0.8, `token accuracy ${summary.token_accuracy}`);
  assert.ok((summary.loss as number) < Math.log(26) / 3, `loss ${summary.loss}`);

  const pairs = ['abcd\tdcba', 'xy\tyx', 'q\tq', 'hello\tolleh'].join('\n');
  const tsv = join(dir, 'rev.tsv');
  writeFileSync(tsv, `${pairs}\n`);
  const png = join(dir, 'att.png');
  const [ev, greedy, beam, stdin] = await pool([
    () => recur(['seq2seq', 'eval', '--model', model, '--data', tsv, '--json', ...BACKEND]),
    () => recur(['seq2seq', 'predict', '--model', model, 'abcd', '--json', '--plot', png, ...BACKEND]),
    () => recur(['seq2seq', 'predict', '--model', model, 'abcd', 'zyx', '--beam', '3', '--json', ...BACKEND]),
    () => recur(['seq2seq', 'predict', '--model', model, ...BACKEND], { input: 'abcd\nzyx\n' }),
  ]);
  for (const x of [ev, greedy, beam, stdin]) assert.equal(x.code, 0, x.stderr);
  const e = lines(ev.stdout)[0];
  assert.equal(e.pairs, 4);
  for (const k of ['loss', 'exact_match', 'token_accuracy']) assert.ok(Number.isFinite(e[k]), k);
  assert.ok((e.exact_match as number) >= 0.25, `eval exact ${e.exact_match}`);
  const g = lines(greedy.stdout)[0];
  assert.equal(g.input, 'abcd');
  assert.equal(typeof g.output, 'string');
  assert.ok((g.score as number) <= 0, 'a log-probability');
  const b = lines(beam.stdout);
  assert.equal(b.length, 2);
  assert.ok((b[0].score as number) >= (g.score as number) - 1e-4, 'beam search scores at least greedy');
  const textOut = stdin.stdout.trim().split('\n');
  assert.equal(textOut.length, 2);
  assert.equal(textOut[0].split('\t')[0], g.output, 'the same output for an argument and a line of standard input');
  const head = readFileSync(png).subarray(0, 8);
  assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
});

test('--data pairs.tsv trains on user pairs with their own vocabularies', async () => {
  const rows: string[] = [];
  for (let i = 0; i < 200; i++) { const w = ['αβ', 'γδε', 'ζ', 'ηθ'][i % 4]; rows.push(`${w}\t${w.toUpperCase()}`); }
  const tsv = join(dir, 'greek.tsv'), model = join(dir, 'greek.safetensors');
  writeFileSync(tsv, `${rows.join('\n')}\n`);
  const r = await recur(['seq2seq', 'train', '--data', tsv, '--steps', '150', '--hidden', '16', '--embed', '8', '--lr', '0.02',
    '--cell', 'gru', '--out', model, '--json', ...BACKEND], { timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stderr);
  const s = lines(r.stdout).pop()!;
  assert.equal(s.held_out, 20);
  assert.ok((s.exact_match as number) > 0.5, `exact ${s.exact_match}`);
  const p = await recur(['seq2seq', 'predict', '--model', model, 'γδε', ...BACKEND]);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout.split('\t')[0], 'ΓΔΕ');
});
