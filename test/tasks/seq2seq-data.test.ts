import assert from 'node:assert/strict';
import { test } from 'node:test';
import { syntheticSource, userSource } from '../../src/tasks/seq2seq/data.js';
import { DATE_FORMATS, datePair, ordinal, WEEKDAYS } from '../../src/tasks/seq2seq/dates.js';
import { parsePairs } from '../../src/tasks/seq2seq/pairs-tsv.js';
import { syntheticTask, TASK_NAMES } from '../../src/tasks/seq2seq/synthetic.js';
import { SymbolVocab } from '../../src/tasks/seq2seq/vocab.js';
import { Rng } from '../../src/util/rng.js';

test('reverse and sort: letters of length 1..L, the right answer', () => {
  const rng = new Rng(3), seen = new Set<number>();
  for (const name of ['reverse', 'sort'] as const) {
    const t = syntheticTask(name, 7);
    for (let i = 0; i < 500; i++) {
      const [s, y] = t.sample(rng);
      seen.add(s.length);
      assert.ok(s.length >= 1 && s.length <= 7 && /^[a-z]+$/.test(s));
      assert.equal(y, name === 'reverse' ? [...s].reverse().join('') : [...s].sort().join(''));
    }
  }
  assert.equal(seen.size, 7, 'every length from 1 to 7 is drawn');
});

test('addition: operands of up to L digits, their sum', () => {
  const t = syntheticTask('addition', 3), rng = new Rng(1);
  let short = 0;
  for (let i = 0; i < 500; i++) {
    const [s, y] = t.sample(rng);
    const m = /^(\d{1,3})\+(\d{1,3})$/.exec(s);
    assert.ok(m, s);
    assert.equal(y, String(Number(m[1]) + Number(m[2])));
    assert.ok(y.length <= t.maxTarget && s.length <= t.maxSource);
    if (m[1].length < 3) short++;
  }
  assert.ok(short > 100, 'shorter operands are drawn too');
});

test('dates: every format, parsed back, gives the ISO date; weekdays are right', () => {
  const t = syntheticTask('dates', 1), rng = new Rng(2), used = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const [s, y] = t.sample(rng);
    assert.match(y, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(s.length <= t.maxSource, s);
    for (const c of s) assert.ok(t.srcAlphabet.includes(c), `${c} of ${s} is in the alphabet`);
    // The year always appears; US numeric dates are month/day.
    assert.ok(s.includes(y.slice(0, 4)), `${s} → ${y}`);
    const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
    if (us) assert.equal(y, `${us[3]}-${us[1].padStart(2, '0')}-${us[2].padStart(2, '0')}`);
    const wd = WEEKDAYS.find((w) => s.startsWith(w.slice(0, 3)));
    if (wd) assert.equal(WEEKDAYS[new Date(`${y}T00:00:00Z`).getUTCDay()].slice(0, 3), wd.slice(0, 3));
    used.add(s.replace(/\d/g, '9').replace(/[A-Za-z]+/g, 'W'));
  }
  assert.ok(used.size >= 12, `many shapes of date (${used.size})`);
  assert.equal(DATE_FORMATS.length >= 15, true);
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31].map(ordinal), ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '31st']);
  assert.deepEqual(datePair(new Rng(5)), datePair(new Rng(5)), 'seeded');
});

test('an unknown task is one line naming the choices', () => {
  assert.throws(() => syntheticTask('copy', 5), /^Error: unknown task 'copy' \(expected reverse, sort, addition, dates\)$/);
  assert.deepEqual([...TASK_NAMES], ['reverse', 'sort', 'addition', 'dates']);
});

test('vocabulary: reserved ids first, code points, unknown → <unk>', () => {
  const v = SymbolVocab.of(['héllo', '日本']);
  assert.deepEqual(v.symbols.slice(0, 4), ['<pad>', '<bos>', '<eos>', '<unk>']);
  assert.equal(v.size, 4 + 6);
  assert.deepEqual([...v.encode('hé日x')], [v.symbols.indexOf('h'), v.symbols.indexOf('é'), v.symbols.indexOf('日'), 3]);
  assert.equal(v.decode(v.encode('本héz')), '本hé\ufffd');
  assert.deepEqual(v.unknown('hxyx'), ['x', 'y']);
  assert.throws(() => new SymbolVocab(['<pad>', '<bos>', '<unk>', '<eos>', 'a']), /entry 2 must be <eos>/);
  assert.throws(() => new SymbolVocab(['<pad>', '<bos>', '<eos>', '<unk>', 'a', 'a']), /repeats/);
});

test('TSV pairs: each bad input is one line naming it', () => {
  assert.deepEqual(parsePairs('ab\tba\r\n\nc\t\n', 10), [['ab', 'ba'], ['c', '']]);
  assert.throws(() => parsePairs('ab\tba\nabc cba\n', 10), /^Error: line 2 has no tab \(expected source TAB target\)$/);
  assert.throws(() => parsePairs('a\tb\tc\n', 10), /line 1 has more than one tab/);
  assert.throws(() => parsePairs('\tb\n', 10), /line 1 has an empty source/);
  assert.throws(() => parsePairs('a\tbcdé\n', 3), /^Error: line 1 has a target of 4 characters, longer than --max-target 3$/);
  assert.throws(() => parsePairs('\n \n', 3), /no pairs/);
});

test('built-in source: seeded, held-out sources never trained on', () => {
  const a = syntheticSource('addition', 1, 7, 50), b = syntheticSource('addition', 1, 7, 50);
  assert.deepEqual(a.heldOut, b.heldOut);
  assert.deepEqual(a.next(8), b.next(8));
  assert.ok(a.heldOut.length >= 1 && a.heldOut.length <= 15, 'about one source in 20 of 100');
  assert.equal(new Set(a.heldOut.map((p) => p[0])).size, a.heldOut.length, 'distinct');
  assert.equal(syntheticSource('reverse', 8, 7, 50).heldOut.length, 50);
  const held = new Set(a.heldOut.map((p) => p[0]));
  for (let i = 0; i < 20; i++) for (const [s] of a.next(16)) assert.ok(!held.has(s), `${s} is held out`);
  assert.deepEqual(a.srcVocab.symbols.slice(4), [...'0123456789+']);
  assert.equal(a.epoch(), null);
});

test('user source: a seeded split, vocabularies of the training part, epochs', () => {
  const pairs = Array.from({ length: 40 }, (_, i): [string, string] => [`s${i}`, `t${i % 7}`]);
  const src = userSource(pairs, 5, 3, 'x.tsv');
  assert.equal(src.heldOut.length, 4);
  const seen = new Set<string>();
  for (let i = 0; i < 9; i++) for (const p of src.next(4)) seen.add(p[0]);
  assert.equal(seen.size, 36, 'one epoch covers the training part');
  assert.ok(src.heldOut.every((p) => !seen.has(p[0])));
  assert.equal(src.epoch(), 1);
  assert.deepEqual(src.tgtVocab.symbols.slice(4), [...'0123456t']);
  assert.throws(() => userSource([['a', 'b']], 5, 1, 'x'), /too few/);
});
