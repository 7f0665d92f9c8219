/**
 * File helpers: errors that name the file (ENOSPC did not), stale temporaries of killed saves removed
 * (only those of the same output whose process is gone), a folder's writability found by trying.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicWriteFile, cannotCreateIn, reasonOf, removeStaleTemps, tempName } from '../../src/node/files.js';

const dir = mkdtempSync(join(tmpdir(), 'recur-files-'));

test('write errors name the file and say why in words, keeping the code', () => {
  const p = join(dir, 'missing', 'm.safetensors');
  assert.throws(() => atomicWriteFile(p, new Uint8Array(4)), (e: NodeJS.ErrnoException) => {
    assert.equal(e.message, `cannot write ${p}: no such file`);
    assert.equal(e.code, 'ENOENT');
    return true;
  });
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  assert.equal(reasonOf(enospc), 'no space left on the device');
  assert.equal(reasonOf(Object.assign(new Error('x'), { code: 'EROFS' })), 'read-only file system');
  assert.equal(reasonOf(Object.assign(new Error('odd thing'), { code: 'EWHAT' })), 'EWHAT: odd thing');
});

test('removeStaleTemps removes what killed saves of this output left, nothing else', () => {
  const out = join(dir, 'model.safetensors');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const names = {
    stale: `.model.safetensors.${dead}.00112233aabb.tmp`,
    live: `.model.safetensors.${process.pid}.00112233aabb.tmp`,
    otherOutput: `.model.safetensors2.${dead}.00112233aabb.tmp`,
    notOurs: `.model.safetensors.${dead}.tmp`,
    target: 'model.safetensors',
  };
  for (const n of Object.values(names)) writeFileSync(join(dir, n), 'x');
  assert.equal(removeStaleTemps(out), 1);
  const left = readdirSync(dir);
  assert.ok(!left.includes(names.stale));
  for (const n of [names.live, names.otherOutput, names.notOurs, names.target]) assert.ok(left.includes(n), n);
  assert.equal(removeStaleTemps(join(dir, 'no-such-folder', 'm')), 0);
});

test('the temporary a save writes is one removeStaleTemps recognises once its process is gone', () => {
  const out = join(dir, 'saved.safetensors');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const tmp = tempName(out, dead, 'abcdef012345');
  writeFileSync(tmp, 'partial');
  assert.equal(removeStaleTemps(out), 1);
  assert.ok(!existsSync(tmp));
  atomicWriteFile(out, new Uint8Array([1, 2, 3]));
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.saved')), [], 'a finished save leaves none');
});

test('cannotCreateIn: null where a file can be created, a reason where not; leaves nothing', () => {
  assert.equal(cannotCreateIn(dir), null);
  assert.equal(cannotCreateIn(join(dir, 'nope')), 'no such file');
  assert.ok(!readdirSync(dir).some((n) => n.startsWith('.recur-probe')));
});
