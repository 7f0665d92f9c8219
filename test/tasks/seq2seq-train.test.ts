import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackend } from '../../src/node/backend.js';
import { syntheticSource } from '../../src/tasks/seq2seq/data.js';
import { tokenMatches } from '../../src/tasks/seq2seq/metrics.js';
import { trainSeq2Seq, type Seq2SeqProgress } from '../../src/tasks/seq2seq/train.js';

test('token accuracy counts target positions, the end mark included', () => {
  assert.equal(tokenMatches([5, 6, 7], [5, 6, 7]), 4);
  assert.equal(tokenMatches([5, 9, 7], [5, 6, 7]), 3);
  assert.equal(tokenMatches([5, 6], [5, 6, 7]), 2, 'stopping early misses the last symbol and the end');
  assert.equal(tokenMatches([5, 6, 7, 8], [5, 6, 7]), 3, 'running on misses the end');
  assert.equal(tokenMatches([], []), 1);
});

test('training: scores at the cadence and at the end, seeded, through the budget in steps', async () => {
  const be = await createBackend({ backend: 'js' });
  const run = () => {
    const seen: Seq2SeqProgress[] = [];
    const r = trainSeq2Seq(be, syntheticSource('sort', 3, 4, 20), { hidden: 8, embed: 4, batch: 8, steps: 6, seconds: null, evalEvery: { steps: 2 } },
      { onScore: (p) => seen.push(p) });
    return { r, seen };
  };
  const a = run(), b = run();
  assert.deepEqual(a.seen.map((p) => [p.step, p.final]), [[2, false], [4, false], [6, true]]);
  assert.equal(a.r.steps, 6);
  assert.deepEqual(a.r.heldOut, b.r.heldOut, 'the same seed gives the same run');
  assert.deepEqual(Array.from(a.r.model.params.data), Array.from(b.r.model.params.data));
  assert.ok(a.seen.every((p) => Number.isFinite(p.trainLoss) && Number.isFinite(p.heldOut.loss)));
  assert.throws(() => trainSeq2Seq(be, syntheticSource('sort', 3, 4, 5), { steps: null, seconds: null }), /give a budget/);
});
