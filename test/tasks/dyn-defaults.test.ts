/**
 * The measured defaults table (tasks/lm-defaults.ts): a small corpus gets dropout (up to 30 s), then weight
 * drop and a lower rate as well (stronger past 300 s); Moby Dick at 180 s a
 * wider model with a smaller batch and no dropout, at 600 s its own row; a corpus past 5 M characters the
 * 180-s row at any budget; all average; a step budget reads as the default time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultsFor, DEFAULTS_TABLE } from '../../src/tasks/lm-defaults.js';
import { DEFAULT_ARCH, DEFAULT_SETTINGS } from '../../src/tasks/lm-settings.js';

test('names-sized and Moby-Dick-sized corpora get their rows; every row lists its runs', () => {
  const names = defaultsFor(180, 53_000), moby = defaultsFor(180, 1_071_000), moby600 = defaultsFor(600, 1_071_000);
  assert.deepEqual(names, { hidden: DEFAULT_ARCH.hidden, batch: DEFAULT_SETTINGS.batch, lr: 3e-3, dropoutInput: 0.25, dropoutOutput: 0.4, dropoutEmbed: 0, weightDrop: 0.3, average: true });
  assert.deepEqual(defaultsFor(20, 53_000), { hidden: DEFAULT_ARCH.hidden, batch: DEFAULT_SETTINGS.batch, lr: DEFAULT_SETTINGS.lr, dropoutInput: 0.2, dropoutOutput: 0.3, dropoutEmbed: 0, weightDrop: 0, average: true });
  assert.deepEqual(defaultsFor(null, 53_000), names, 'a step budget reads as the default time');
  assert.deepEqual(moby, { hidden: 384, batch: 8, lr: DEFAULT_SETTINGS.lr, dropoutInput: 0, dropoutOutput: 0, dropoutEmbed: 0, weightDrop: 0, average: true });
  assert.deepEqual(defaultsFor(600, 53_000), { hidden: DEFAULT_ARCH.hidden, batch: DEFAULT_SETTINGS.batch, lr: 2e-3, dropoutInput: 0.3, dropoutOutput: 0.5, dropoutEmbed: 0.1, weightDrop: 0.5, average: true });
  assert.deepEqual(moby600, { hidden: 512, batch: 8, lr: DEFAULT_SETTINGS.lr, dropoutInput: 0.1, dropoutOutput: 0.2, dropoutEmbed: 0, weightDrop: 0, average: true });
  assert.deepEqual(defaultsFor(null, 1_071_000), moby);
  assert.deepEqual(defaultsFor(600, 20_000_000), moby, 'a large corpus keeps the 180-s row');
  for (const r of DEFAULTS_TABLE) assert.ok(r.runs.length > 0);
  assert.equal(DEFAULTS_TABLE[DEFAULTS_TABLE.length - 1].maxChars, Infinity, 'the last row catches every corpus');
});
