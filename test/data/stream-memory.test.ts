/**
 * Flat memory in the corpus size (issue 19): `recur train` on a 64 MB corpus peaks within 50 MB of
 * the same run on a 4 MB one (the in-memory reader held the text several times over: hundreds of
 * MB). bench/stream-memory.ts runs the same measurement at 4 GB for the README.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainPeakMb, writeCorpus } from '../../bench/stream-memory.js';

test('peak resident memory does not grow with the corpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recur-stream-memory-'));
  try {
    const peaks = [4, 64].map((mb) => {
      const path = join(dir, `c${mb}.txt`);
      writeCorpus(path, mb);
      const r = trainPeakMb(path, 3, ['--backend', 'js']);
      rmSync(path);
      assert.equal(r.code, 0, r.stderr);
      return r.peakMb;
    });
    assert.ok(peaks[1] - peaks[0] < 50, `peak RSS ${peaks[0].toFixed(1)} MB at 4 MB, ${peaks[1].toFixed(1)} MB at 64 MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
