/** `recur lab attention` end to end on a tiny budget: the table, the JSON runs and the picture. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recur, tempDir } from './lm-helpers.js';

test('lab attention: a table of exact match by length and kind, and a PNG', async () => {
  const dir = tempDir('recur-lab-att-'), png = join(dir, 'att.png');
  const args = ['lab', 'attention', '--lengths', '2,4', '--steps', '4', '--hidden', '8', '--embed', '4', '--held-out', '10', '--backend', 'js'];
  const [text, json] = [await recur([...args, '--png', png]), await recur([...args, '--json', '--attention', 'none,additive'])];
  assert.equal(text.code, 0, text.stderr);
  const rows = text.stdout.trim().split('\n');
  assert.match(rows[0], /^length\s+none \(exact\)\s+dot \(exact\)\s+additive \(exact\)$/);
  assert.match(rows[1], /^2\s+\d\.\d{3}\s+\d\.\d{3}\s+\d\.\d{3}$/);
  assert.match(rows[2], /^4\s/);
  assert.match(text.stdout, /parameters: none \d+ \(hidden \d+\), dot \d+ \(hidden \d+\), additive \d+ \(hidden 8\)/);
  assert.deepEqual([...readFileSync(png).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.equal(json.code, 0, json.stderr);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.filter((l) => l.event === 'run').length, 4);
  assert.equal(lines.at(-1).summary, true);
  const bad = await recur(['lab', 'attention', '--task', 'copy', '--steps', '1']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^recur: unknown task 'copy'/);
});
