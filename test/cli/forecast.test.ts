/**
 * `recur forecast` end to end on a tiny CSV and on the built-in births data: the JSON summary with the
 * naive baselines in the data's units, the plot, and bad input refused in one line with nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usBirths } from '../../src/node/corpora.js';
import { recur, assertOneLineError, type RunResult } from './lm-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-forecast-'));
const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };
const jsonLines = (out: string): Record<string, unknown>[] => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** 200 consecutive days with a weekly pattern, as "date,visits" with a header. */
function series(): string {
  const rows = ['date,visits'];
  for (let t = 0; t < 200; t++) {
    const d = new Date(Date.UTC(2020, 0, 1) + t * 86400000).toISOString().slice(0, 10);
    rows.push(`${d},${100 + [0, 8, 9, 10, 9, 8, -6][t % 7] + (t % 5)}`);
  }
  return `${rows.join('\n')}\n`;
}

const csv = file('visits.csv', series());
const quick = ['--backend', 'js', '--hidden', '6', '--seq-len', '16', '--window', '7', '--batch', '8'];

test('forecast --data --json: MAE, RMSE, both naive baselines, the comparison, a plot and a model file', async () => {
  const plot = join(dir, 'plot.svg'), model = join(dir, 'f.safetensors');
  const r = await recur(['forecast', '--data', csv, '--steps', '5', '--json', '--compare', '--plot', plot, '--out', model, '--horizon', '2', ...quick]);
  assert.equal(r.code, 0, r.stderr);
  const last = jsonLines(r.stdout).pop()!;
  assert.equal(last.model, 'gru');
  assert.equal(last.horizon, 2);
  for (const k of ['mae', 'rmse']) assert.ok(typeof last[k] === 'number' && (last[k] as number) > 0, k);
  const b = last.baselines as Record<string, { mae: number; rmse: number }>;
  for (const k of ['last_value', 'seasonal_naive']) assert.ok(b[k].mae > 0 && b[k].rmse >= b[k].mae, k);
  assert.deepEqual((last.compare as { model: string }[]).map((c) => c.model), ['gru', 'window', 'mean']);
  assert.equal((last.by_horizon as unknown[]).length, 2);
  assert.deepEqual(last.split, { train: 140, val: 20, test: 40 });
  assert.match(readFileSync(plot, 'utf8'), /^<svg/);
  assert.ok(existsSync(model));
});

test('forecast --dataset births: the naive baselines match a direct computation on the last 20 % of the days', async () => {
  const r = await recur(['forecast', '--steps', '2', '--json', '--no-plot', ...quick]);
  assert.equal(r.code, 0, r.stderr);
  const last = jsonLines(r.stdout).pop()!;
  const v = usBirths().map((x) => x.births), start = v.length - Math.round(v.length * 0.2);
  let last1 = 0, week = 0;
  for (let j = start; j < v.length; j++) { last1 += Math.abs(v[j] - v[j - 1]); week += Math.abs(v[j] - v[j - 7]); }
  const b = last.baselines as Record<string, { mae: number }>;
  assert.ok(Math.abs(b.last_value.mae - last1 / (v.length - start)) < 1e-9);
  assert.ok(Math.abs(b.seasonal_naive.mae - week / (v.length - start)) < 1e-9);
  assert.equal(last.unit, 'births/day');
});

test('bad input: one line with the line number, non-zero exit, nothing written', async () => {
  const plot = join(dir, 'never.svg');
  const bad = file('bad.csv', 'date,visits\n2020-01-01,5\n2020-01-02,6\n2020-01-03,abc\n');
  assertOneLineError(await recur(['forecast', '--data', bad, '--steps', '1', '--plot', plot, ...quick]), 1, /bad\.csv: line 4: 'abc' is not a number in column 'visits'/);
  assertOneLineError(await recur(['forecast', '--data', csv, '--column', 'sales', '--steps', '1', '--plot', plot, ...quick]), 1, /column 'sales' not in the header/);
  const short = file('short.csv', 'x\n1\n2\n3\n');
  assertOneLineError(await recur(['forecast', '--data', short, '--steps', '1', '--plot', plot, ...quick]), 1, /too little training data|no validation span|no test span/);
  assertOneLineError(await recur(['forecast', '--data', csv, '--plot', join(dir, 'p.txt'), ...quick]), 2, /must end in \.svg or \.png/);
  assertOneLineError(await recur(['forecast', '--data', file('nodates.csv', 'v\n1\n2\n'), '--holidays', '--plot', plot, ...quick]), 2, /--holidays needs dates/);
  assert.ok(!existsSync(plot), 'nothing written');
});
