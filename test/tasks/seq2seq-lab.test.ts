import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBackend } from '../../src/node/backend.js';
import { seq2seqSpecs } from '../../src/nn/seq2seq/config.js';
import { matchedWidths, runAttentionLab, type AttentionLabOptions } from '../../src/tasks/lab-attention.js';
import { seq2seqConfig, SEQ2SEQ_DEFAULTS } from '../../src/tasks/seq2seq/train.js';

const base: AttentionLabOptions = {
  task: 'reverse', lengths: [3, 6], kinds: ['none', 'dot', 'additive'], hidden: 16, embed: 8, cell: 'gru', batch: 8, lr: 0.01,
  seed: 1, steps: 3, seconds: null, heldOut: 20,
};

const count = (kind: 'none' | 'dot' | 'additive', hidden: number) =>
  seq2seqSpecs(seq2seqConfig({ ...SEQ2SEQ_DEFAULTS, cell: 'gru', embed: 8, hidden, attention: kind }, 30, 30))
    .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

test('the models compared have about the same number of parameters', () => {
  const w = matchedWidths(base, 30, 30);
  assert.equal(w.get('additive'), 16, 'the largest keeps --hidden');
  assert.ok(w.get('none')! > 16 && w.get('dot')! > 16, 'the others are widened');
  const target = count('additive', 16);
  for (const k of ['none', 'dot'] as const) {
    const n = count(k, w.get(k)!);
    assert.ok(Math.abs(n - target) / target < 0.06, `${k}: ${n} vs ${target}`);
  }
});

test('one run per length and kind, each scored on its held-out set', async () => {
  const be = await createBackend({ backend: 'js' });
  const seen: string[] = [];
  const runs = runAttentionLab(be, base, (r) => seen.push(`${r.length}/${r.attention}`));
  assert.deepEqual(seen, ['3/none', '3/dot', '3/additive', '6/none', '6/dot', '6/additive']);
  for (const r of runs) {
    assert.equal(r.steps, 3);
    assert.ok(r.exact_match >= 0 && r.exact_match <= 1 && Number.isFinite(r.loss));
    assert.ok(r.parameters > 0);
  }
});
