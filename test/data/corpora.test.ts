import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mobyDick, firstNames, spamAssassin, usBirths, messageBody } from '../../src/node/corpora.js';
import { Vocab } from '../../src/data/text.js';
import { stratifiedSplit } from '../../src/data/split.js';

test('Moby Dick: 1,204,997 bytes, 83 distinct characters', () => {
  const text = mobyDick();
  assert.equal(Buffer.byteLength(text, 'utf8'), 1_204_997);
  assert.equal([...text].length, 1_190_317);
  assert.ok(text.startsWith('CHAPTER 1. Loomings.\n\nCall me Ishmael.'));
  const v = Vocab.fromText(text);
  assert.equal(v.size, 83);
  assert.ok(['—', '‘', '’', '“', '”'].every((c) => v.index(c) >= 0), 'typographic punctuation is in the vocabulary');
  assert.equal(v.index('\ufffd'), -1);
  assert.equal(mobyDick(), text, 'cached');
});

test('first names: female + male, deduplicated, sorted', () => {
  const names = firstNames();
  assert.equal(names.length, 8422); // 4,951 female (7 repeats) + 3,898 male, 419 shared
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual([...names].sort(), names);
  assert.ok(names.includes('Aaren') && names.includes('Aaron'));
  assert.ok(names.every((n) => /^[A-Za-z-]+$/.test(n)));
  names.pop();
  assert.equal(firstNames().length, 8422, 'callers get a copy');
});

test('SpamAssassin: 4,150 ham and 1,896 spam bodies, headers stripped', () => {
  const msgs = spamAssassin();
  const count = (l: string, list = msgs): number => list.filter((m) => m.label === l).length;
  assert.equal(msgs.length, 6046);
  assert.equal(count('ham'), 4150);
  assert.equal(count('spam'), 1896);
  // The mbox envelope and transport headers must never reach the model.
  const header = /^(From \S+ |Return-Path:|Received:|Delivered-To:|X-Spam-|X-Loop:|Message-I[Dd]:)/;
  const leaked = msgs.filter((m) => header.test(m.text));
  // One spam body (spam-2/00403) legitimately starts with a forwarded message's Return-Path.
  assert.deepEqual(leaked.map((m) => `${m.group}/${m.id}`), ['spam-2/00403']);
  assert.ok(!leaked[0].text.startsWith('From '));
  assert.ok(msgs.every((m) => m.text.trim() !== '' && !m.text.includes('\r')));
  const deduped = spamAssassin({ dedupe: true });
  assert.equal(deduped.length, 5875);
  assert.equal(count('ham', deduped), 4112);
  assert.equal(count('spam', deduped), 1763);
  const split = stratifiedSplit(deduped, (m) => m.label, { train: 0.8, val: 0.1, test: 0.1 }, 1);
  assert.equal(count('spam', split.test), Math.round(1763 * 0.1));
});

test('messageBody strips everything up to the first blank line', () => {
  assert.equal(messageBody('From a@b Mon\nSubject: x\n  folded\n\nbody\n\nmore'), 'body\n\nmore');
  assert.equal(messageBody('Subject: x\r\n\r\nline1\r\nline2'), 'line1\nline2');
  assert.equal(messageBody('Subject: x\r\r\n\r\r\na\r\r\nb\rc'), 'a\nb\nc');
  assert.equal(messageBody('Subject: only headers'), '');
});

test('US births: daily 2000-01-01 .. 2014-12-31', () => {
  const rows = usBirths();
  assert.equal(rows.length, 5479);
  assert.deepEqual(rows[0], { date: '2000-01-01', births: 9083 });
  assert.deepEqual(rows[rows.length - 1], { date: '2014-12-31', births: 11990 });
  const day = 86_400_000;
  for (let i = 1; i < rows.length; i++) {
    assert.equal(Date.parse(rows[i].date) - Date.parse(rows[i - 1].date), day, `gap at ${rows[i].date}`);
  }
  assert.ok(rows.every((r) => Number.isInteger(r.births) && r.births > 5000 && r.births < 17000));
});
