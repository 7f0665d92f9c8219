/**
 * The pattern search of the playground's inspector: each pattern's signal over a text, and the
 * correlation that ranks units (a unit that copies a pattern ranks first, an anti-correlated one too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestUnits, correlations, PATTERNS } from '../../web/src/unit-views.js';

const chars = [...'He said "no" now.\nAnd then'];

test('pattern signals: quotes (marks included), position in the line, vowels, spaces, capitals', () => {
  const q = Array.from(PATTERNS.quotes.signal(chars)).join('');
  assert.equal(q, '00000000111100000000000000');
  assert.deepEqual(Array.from(PATTERNS['line-position'].signal(chars)).slice(15, 21), [15, 16, 17, 0, 1, 2]);
  assert.equal(Array.from(PATTERNS.vowels.signal(chars)).join(''), '01001100001000100010000010');
  assert.equal(Array.from(PATTERNS.spaces.signal(chars)).filter((v) => v === 1).length, 4);
  assert.deepEqual(Array.from(PATTERNS.capitals.signal(chars)).flatMap((v, t) => (v ? [t] : [])), [0, 18]);
});

test('the unit that follows a pattern ranks first, whatever its sign; a constant unit scores 0', () => {
  const T = chars.length, H = 3, signal = PATTERNS.quotes.signal(chars);
  const acts = new Float32Array(T * H);
  for (let t = 0; t < T; t++) {
    acts[t * H] = Math.sin(t);               // unrelated
    acts[t * H + 1] = 0.5;                    // constant
    acts[t * H + 2] = -0.9 * signal[t] + 0.1; // tracks the quotes, inverted
  }
  const r = correlations(acts, T, H, signal);
  assert.ok(Math.abs(r[2] + 1) < 1e-5, `r = ${r[2]}`);
  assert.equal(r[1], 0);
  assert.deepEqual(bestUnits(r, 2).map((u) => u.unit), [2, 0]);
});
