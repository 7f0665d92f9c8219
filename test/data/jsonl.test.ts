import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonl, parseTexts, readJsonl } from '../../src/data/jsonl.js';

test('parseJsonl: records, classes, errors with line numbers', () => {
  const ok = parseJsonl('{"text":"hi","label":"ham"}\n\n{"text":"buy","label":"spam"}\n{"text":"yo","label":"ham"}\n');
  assert.equal(ok.records.length, 3);
  assert.deepEqual(ok.classes, ['ham', 'spam']);
  assert.deepEqual(parseJsonl('{"text":"a","label":10}\n{"text":"b","label":9}').classes, ['9', '10']);
  const bad: [string, RegExp][] = [
    ['', /JSONL is empty/],
    ['{"text":"a","label":1}\n{"text":"b",', /^line 2: malformed JSON/],
    ['{"text":"a","label":1}\n[1]', /^line 2: expected a JSON object/],
    ['{"text":"a","label":1}\n\n{"label":2}', /^line 3: missing "text"/],
    ['{"text":"a"}', /^line 1: missing "label"/],
    ['{"text":"  ","label":1}', /^line 1: empty "text"/],
    ['{"text":"a","label":true}', /^line 1: "label" must be/],
    ['{"text":"a","label":"x"}\n{"text":"b","label":"x"}', /at least two classes, found 1 \(x\)/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseJsonl(text), (e: Error) => re.test(e.message) && !e.message.includes('\n'), text);
  }
});

test('readJsonl: objects with their line numbers; BOM, CRLF and blank lines tolerated', () => {
  assert.deepEqual(readJsonl('\uFEFF{"a":1}\r\n\r\n{"b":2}\n'), [{ line: 1, record: { a: 1 } }, { line: 3, record: { b: 2 } }]);
  assert.throws(() => readJsonl('{"a":1}\n"x"'), /^Error: line 2: expected a JSON object/);
});

test('parseTexts: texts to label, labels optional', () => {
  assert.deepEqual(parseTexts('{"text":"hi"}\n{"text":"yo","label":1}'), { texts: ['hi', 'yo'], labels: [null, '1'] });
  assert.throws(() => parseTexts('\n'), /^Error: no records$/);
  assert.throws(() => parseTexts('{"text":"a"}\n{"text":""}'), /^Error: line 2: empty "text"$/);
});
