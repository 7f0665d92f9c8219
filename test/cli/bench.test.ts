/**
 * `recur bench`: lists every backend (available or why not), says which one auto picks, measures the
 * asked ones, and refuses bad flags in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recur } from './lm-helpers.js';

test('recur bench lists the backends and says which one auto picks', async () => {
  const r = await recur(['bench', '--no-measure', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; name: string; available: boolean; why?: string });
  assert.deepEqual(lines.map((l) => l.name), ['native', 'wasm', 'js']);
  for (const l of lines) assert.ok(l.available || (l.why && l.why.length > 0), `${l.name}: unavailable without a reason`);
  assert.ok(lines.find((l) => l.name === 'js')!.available);
  const text = await recur(['bench', '--no-measure']);
  assert.match(text.stdout, /--backend auto picks: (native|wasm|js) \(/);
});

test('recur bench measures training and sampling on the asked backend', async () => {
  const r = await recur(['bench', '--backend', 'js', '--seconds', '0.2', '--json'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const speed = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'speed');
  assert.equal(speed.length, 1);
  assert.equal(speed[0].backend, 'js');
  assert.ok(speed[0].trainCharsPerSec > 0 && speed[0].sampleCharsPerSec > 0, JSON.stringify(speed[0]));
});

test('recur bench refuses an unknown backend in one line', async () => {
  const r = await recur(['bench', '--backend', 'cuda']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /cuda/);
});
