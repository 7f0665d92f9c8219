import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/util/rng.js';

test('shuffle is the seeded Fisher–Yates every caller used before: a permutation, a function of the seed', () => {
  const a = new Rng(7).shuffle(Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(7).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);
  assert.notDeepEqual(new Rng(8).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);
  // The reference loop (from the end, j = int(i + 1)), on a typed array.
  const ref = Uint32Array.from({ length: 20 }, (_, i) => i), r = new Rng(3);
  for (let i = ref.length - 1; i > 0; i--) { const j = r.int(i + 1); const t = ref[i]; ref[i] = ref[j]; ref[j] = t; }
  assert.deepEqual(new Rng(3).shuffle(Uint32Array.from({ length: 20 }, (_, i) => i)), ref);
});
