import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scaler, chronologicalSplit, makeWindows, parseCsv } from '../../src/data/series.js';
import { stratifiedSplit } from '../../src/data/split.js';

test('Scaler fits on given values and inverts', () => {
  const s = Scaler.fit([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.std - Math.sqrt(1.25)) < 1e-12);
  const z = s.transform([1, 10]);
  assert.ok(Math.abs(z[1] - 7.5 / Math.sqrt(1.25)) < 1e-12);
  assert.deepEqual([...s.inverse(z)].map((x) => Math.round(x * 1e9) / 1e9), [1, 10]);
  assert.equal(Scaler.fit([5, 5, 5]).std, 1, 'constant series stays finite');
  assert.deepEqual(Scaler.fromJSON(JSON.parse(JSON.stringify(s))), s);
});

test('chronologicalSplit keeps time order', () => {
  const v = Array.from({ length: 100 }, (_, i) => i);
  const s = chronologicalSplit(v, { valFraction: 0.1, testFraction: 0.2 });
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [70, 10, 20]);
  assert.equal(s.val[0], 70);
  assert.equal(s.test[0], 80);
  assert.equal(s.valStart, 70);
  assert.equal(s.testStart, 80);
  assert.throws(() => chronologicalSplit(v, { valFraction: 0.5, testFraction: 0.5 }), /below 1/);
});

test('makeWindows: one-step and horizon-H targets', () => {
  const v = Array.from({ length: 10 }, (_, i) => i * 10);
  const one = makeWindows(v, { window: 3 });
  assert.equal(one.count, 7);
  assert.deepEqual([...one.inputs.subarray(0, 3)], [0, 10, 20]);
  assert.equal(one.targets[0], 30);
  assert.equal(one.targets[6], 90);
  const h = makeWindows(v, { window: 3, horizon: 2, stride: 2 });
  assert.equal(h.count, 3); // first targets at 3, 5, 7
  assert.deepEqual([...h.inputs.subarray(3, 6)], [20, 30, 40]);
  assert.deepEqual([...h.targets], [30, 40, 50, 60, 70, 80]);
  // Validation windows reach back into the training past for inputs only.
  const val = makeWindows(v, { window: 3, targetStart: 8 });
  assert.equal(val.count, 2);
  assert.deepEqual([...val.inputs.subarray(0, 3)], [50, 60, 70]);
  assert.deepEqual([...val.targets], [80, 90]);
  assert.throws(() => makeWindows(v, { window: 10 }), /too short/);
  assert.throws(() => makeWindows(v, { window: 3, targetStart: 2 }), /targetStart/);
});

test('parseCsv: header, column selection, quoting', () => {
  const csv = 'date,"label, x",value\r\n2000-01-01,a,1.5\r\n2000-01-02,"b",-2e3\r\n\r\n';
  assert.deepEqual([...parseCsv(csv)], [1.5, -2000]);
  assert.deepEqual([...parseCsv(csv, 'value')], [1.5, -2000]);
  assert.deepEqual([...parseCsv('3\n4\n5\n')], [3, 4, 5]);
  assert.deepEqual([...parseCsv('1,2\n3,4', 0)], [1, 3]);
});

test('parseCsv: one-line errors with line numbers', () => {
  assert.throws(() => parseCsv(''), { message: 'CSV is empty' });
  assert.throws(() => parseCsv('\n  \n'), { message: 'CSV is empty' });
  assert.throws(() => parseCsv('a,b\n'), /header but no data rows/);
  assert.throws(() => parseCsv('t,v\n1,2\n2,x\n', 'v'), { message: "line 3: 'x' is not a number in column 'v'" });
  assert.throws(() => parseCsv('t,v\n1,2\n\n2,\n'), { message: "line 4: empty value in column 'v'" });
  assert.throws(() => parseCsv('t,v\n1,2\n2\n'), { message: "line 3: missing column 'v' (row has 1 fields)" });
  assert.throws(() => parseCsv('t,v\n1,2\n', 'w'), /column 'w' not in the header on line 1/);
  assert.throws(() => parseCsv('1\n2\n', 'v'), /no header/);
  assert.throws(() => parseCsv('1\n0x10\n'), /line 2: '0x10' is not a number/);
});

test('stratifiedSplit: proportions per class, deterministic, disjoint', () => {
  const items = Array.from({ length: 1000 }, (_, i) => ({ id: i, label: i % 10 < 8 ? 'a' : i % 10 < 9 ? 'b' : 'c' }));
  const f = { train: 0.7, val: 0.1, test: 0.2 };
  const s = stratifiedSplit(items, (x) => x.label, f, 7);
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [700, 100, 200]);
  for (const [part, frac] of [[s.train, 0.7], [s.val, 0.1], [s.test, 0.2]] as const) {
    for (const [lab, n] of [['a', 800], ['b', 100], ['c', 100]] as const) {
      assert.equal(part.filter((x) => x.label === lab).length, Math.round(n * frac), `${lab} in ${frac}`);
    }
  }
  const ids = [...s.train, ...s.val, ...s.test].map((x) => x.id).sort((a, b) => a - b);
  assert.deepEqual(ids, items.map((x) => x.id));
  assert.deepEqual(stratifiedSplit(items, (x) => x.label, f, 7), s);
  assert.notDeepEqual(stratifiedSplit(items, (x) => x.label, f, 8).test, s.test);
  // Parts are shuffled, not grouped by class: the rare classes are not all at the end.
  assert.ok(s.train.slice(-140).some((x) => x.label === 'a'));
  assert.throws(() => stratifiedSplit(items, (x) => x.label, { train: 0.5, val: 0.1, test: 0.1 }, 0), /sum to 1/);
});
