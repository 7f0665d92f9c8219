/**
 * `recur train --json` reports the run's peak resident memory (`rss_mb`) in every line: it is a peak (it
 * never falls), and it follows the model's size (a 1024-wide LSTM's weights, gradients and Adam moments
 * are ~70 MB more than a tiny model's).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { recur, smallText, tempDir, TINY, writeText } from './lm-helpers.js';

const dir = tempDir();
const data = writeText(dir, 'small.txt', smallText());
const jsonLines = (stdout: string): Record<string, unknown>[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

async function rss(extra: string[], name: string): Promise<number[]> {
  const r = await recur(['train', '--data', data, ...TINY, '--log-every', '1', '--json', '--out', join(dir, name), ...extra], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.equal(lines[lines.length - 1].summary, true);
  return lines.map((l) => { assert.equal(typeof l.rss_mb, 'number', JSON.stringify(l)); return l.rss_mb as number; });
}

test('recur train --json: rss_mb in every log line and the summary, a peak that follows the model size', async () => {
  const tiny = await rss(['--steps', '3'], 'tiny.safetensors');
  for (let i = 1; i < tiny.length; i++) assert.ok(tiny[i] >= tiny[i - 1], `a peak never falls: ${tiny.join(', ')}`);
  assert.ok(tiny[0] > 20 && tiny[0] < 1000, `a tiny run's peak is a plausible Node process: ${tiny[0]} MB`);
  const wide = await rss(['--steps', '1', '--hidden', '1024'], 'wide.safetensors');
  const grown = wide[wide.length - 1] - tiny[tiny.length - 1];
  assert.ok(grown >= 50, `an LSTM of 1024 (4.3 M parameters ×4 for weights, gradients and moments) costs more memory: +${grown} MB`);
});
