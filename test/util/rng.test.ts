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

test('mask draws what as many calls of next() draw, and leaves the generator where they leave it', () => {
  for (const [n, p] of [[1, 0.5], [1000, 0.3], [4099, 0.9]] as const) {
    const a = new Rng(11), b = new Rng(11);
    a.next(); b.next(); // not at the seed's first draw
    const got = new Float32Array(n + 2).fill(7), want = new Float32Array(n + 2).fill(7);
    a.mask(got, n, p, 1 / (1 - p));
    for (let i = 0; i < n; i++) want[i] = b.next() < p ? 0 : 1 / (1 - p);
    assert.deepEqual(got, want);
    assert.equal(a.nextU32(), b.nextU32());
    const zeros = got.subarray(0, n).filter((x) => x === 0).length;
    if (n >= 1000) assert.ok(Math.abs(zeros / n - p) < 0.05, `${zeros} of ${n} dropped at p = ${p}`);
  }
});
