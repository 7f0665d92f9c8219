/**
 * `recur classify` and `recur predict` end to end on tiny data: the JSON summary, a saved model that
 * labels new texts, and bad input refused in one line (with the line number) with nothing written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recur, assertOneLineError, type RunResult } from './lm-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-classify-'));
const file = (name: string, text: string): string => { const p = join(dir, name); writeFileSync(p, text); return p; };
const jsonLines = (out: string): Record<string, unknown>[] => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** 80 texts: "good"/"fine" words are ham, "buy"/"cash" words spam (a lexical task a few epochs learn). */
function records(): string {
  const lines: string[] = [];
  for (let i = 0; i < 80; i++) {
    const spam = i % 2 === 1;
    const words = spam ? ['buy', 'cash', 'now', 'offer'] : ['good', 'fine', 'meeting', 'notes'];
    const text = Array.from({ length: 4 + (i % 5) }, (_, k) => words[(i + k) % 4]).join(' ');
    lines.push(JSON.stringify({ text, label: spam ? 'spam' : 'ham' }));
  }
  return `${lines.join('\n')}\n`;
}

const data = file('tiny.jsonl', records());
const model = join(dir, 'tiny.safetensors');
const common = ['--backend', 'js', '--hidden', '8', '--embed', '8', '--min-count', '1', '--batch', '8'];

test('classify --json: summary with accuracy, precision, recall, F1 and confusion; --out saves; predict labels texts', async () => {
  const r = await recur(['classify', '--data', data, '--model', 'gru', '--epochs', '6', '--lr', '0.03', '--json', '--out', model, ...common]);
  assert.equal(r.code, 0, r.stderr);
  const last = jsonLines(r.stdout).pop()!;
  assert.equal(last.model, 'gru');
  for (const k of ['accuracy', 'precision', 'recall', 'f1']) assert.ok(typeof last[k] === 'number' && (last[k] as number) >= 0 && (last[k] as number) <= 1, k);
  assert.deepEqual(last.classes, ['ham', 'spam']);
  const confusion = last.confusion as number[][];
  assert.equal(confusion.flat().reduce((s, v) => s + v, 0), 12, '15 % of 80 texts in the test split');
  assert.ok((last.accuracy as number) >= 0.9, `accuracy ${last.accuracy}`);
  assert.ok(existsSync(model));

  const p = await recur(['predict', '--model', model, 'buy cash now', 'good meeting notes', '--json', '--backend', 'js']);
  assert.equal(p.code, 0, p.stderr);
  const out = jsonLines(p.stdout);
  assert.deepEqual(out.map((o) => o.label), ['spam', 'ham']);
  const probs = out[0].probabilities as Record<string, number>;
  assert.ok(Math.abs(probs.ham + probs.spam - 1) < 1e-6);
  assert.equal(out[0].probability, probs.spam);

  const texts = file('new.jsonl', '{"text": "cash offer", "label": "spam"}\n\n{"text": "fine notes", "label": "ham"}\n');
  const q = await recur(['predict', '--model', model, '--data', texts, '--backend', 'js']);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^spam\t\d\.\d{4}\tcash offer\nham\t\d\.\d{4}\tfine notes\n$/);
  assert.match(q.stderr, /accuracy 1\.0000 on 2 labelled texts/);
});

test('classify --compare: the recurrent model and the three baselines in one table, on the same split', async () => {
  const r = await recur(['classify', '--data', data, '--model', 'elman', '--epochs', '1', '--compare', ...common]);
  assert.equal(r.code, 0, r.stderr);
  for (const m of ['elman', 'window', 'mean', 'bow']) assert.match(r.stdout, new RegExp(`^${m}\\s+\\d\\.\\d{4}\\s`, 'm'));
  assert.match(r.stdout, /confusion matrix of elman/);
  assert.match(r.stderr, /split train 56 \/ validation 12 \/ test 12/);
});
