/**
 * Node's file-backed corpus: several files and a directory's regular files (sorted) read as one
 * concatenation, reads across file boundaries, errors naming the file and its own byte offset, and
 * FIFOs and devices refused without blocking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileByteSource } from '../../src/node/byte-files.js';
import { CharTokenizer } from '../../src/data/tokens/index.js';
import { ReadBuffer, TokenCursor } from '../../src/data/token-cursor.js';
import { Vocab } from '../../src/data/text.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-bytes-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const readAll = (src: FileByteSource, chunk: number): string => {
  const out = new Uint8Array(src.size);
  for (let at = 0; at < src.size; at += chunk) src.read(at, out.subarray(at, Math.min(src.size, at + chunk)));
  return new TextDecoder().decode(out);
};

test('files and a directory read as one concatenation, in the order given and sorted within the directory', () => {
  const a = join(dir, 'a.txt');
  writeFileSync(a, 'first file. ');
  const d = join(dir, 'books');
  mkdirSync(d);
  writeFileSync(join(d, 'b2.txt'), 'b2 text, ');
  writeFileSync(join(d, 'b10.txt'), 'b10 text; ');
  writeFileSync(join(d, 'empty.txt'), '');
  mkdirSync(join(d, 'sub'));
  writeFileSync(join(d, 'sub', 'ignored.txt'), 'not read');
  const src = new FileByteSource([d, a]);
  assert.deepEqual(src.files, [join(d, 'b10.txt'), join(d, 'b2.txt'), join(d, 'empty.txt'), a]);
  const whole = 'b10 text; b2 text, first file. ';
  for (const chunk of [1, 3, 7, 100]) assert.equal(readAll(src, chunk), whole);
  assert.deepEqual(src.locate(0), { name: join(d, 'b10.txt'), offset: 0 });
  assert.deepEqual(src.locate(12), { name: join(d, 'b2.txt'), offset: 2 });
  assert.deepEqual(src.locate(19), { name: a, offset: 0 });
  src.close();
});

test('an unknown character in the second file is named by that file and its own offset', () => {
  const one = join(dir, 'one.txt'), two = join(dir, 'two.txt');
  writeFileSync(one, 'abc abc abc ');
  writeFileSync(two, 'abc Zabc');
  const src = new FileByteSource([one, two]);
  const cursor = new TokenCursor(src, new CharTokenizer(Vocab.fromText('abc ')), 0, src.size, new ReadBuffer(), 4);
  assert.throws(() => { while (cursor.fill(8) > 0) cursor.advance(cursor.fill(8)); }, new RegExp(`^Error: ${two}: character "Z" \\(U\\+005A\\) at byte 4 is not in the vocabulary$`));
});

test('a FIFO, a device and a missing file are refused in one line, without blocking', () => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  assert.throws(() => new FileByteSource([fifo]), /fifo: not a regular file/);
  assert.throws(() => new FileByteSource(['/dev/null']), /\/dev\/null: not a regular file/);
  assert.throws(() => new FileByteSource([join(dir, 'nope.txt')]), /cannot read data file .*nope\.txt: no such file/);
  const withFifo = join(dir, 'with-fifo');
  mkdirSync(withFifo);
  writeFileSync(join(withFifo, 'a.txt'), 'x');
  execFileSync('mkfifo', [join(withFifo, 'p')]);
  assert.throws(() => new FileByteSource([withFifo]), /p: not a regular file/);
});
