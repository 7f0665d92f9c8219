/**
 * Resident memory of `recur train` on streamed text against the corpus size (issue 19): a corpus
 * of each size is generated in a temporary folder (never committed), trained on for a few steps
 * with the same model, and the process's peak RSS reported. Flat memory means the peaks agree.
 *
 *   node --import tsx bench/stream-memory.ts 4 4096     # sizes in MB (the README's 4 MB / 4 GB)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A corpus of `mb` megabytes: reproducible words with a few multi-byte characters, written in 8 MB pieces. */
export function writeCorpus(path: string, mb: number): void {
  const words = ['the', 'whale', 'sea', 'Ahab', 'ship', 'café', 'naïve', 'and', 'of', 'a', 'white', 'line', '—'];
  let s = 0x2545f491, block = '';
  while (block.length < 1 << 20) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    block += words[(s >>> 16) % words.length] + ((s >>> 8) % 13 === 0 ? '.\n' : ' ');
  }
  const piece = Buffer.from(block.repeat(8));
  const fd = openSync(path, 'w');
  try {
    for (let left = mb * 1e6; left > 0; left -= piece.length) writeSync(fd, piece, 0, Math.min(piece.length, left));
  } finally {
    closeSync(fd);
  }
}

/** Peak RSS (MB) of `recur train` on `path` for `steps` steps of a small LSTM. */
export function trainPeakMb(path: string, steps: number, extra: string[] = []): { peakMb: number; stderr: string; code: number | null } {
  const out = join(tmpdir(), `recur-rss-${process.pid}.safetensors`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', join(ROOT, 'bench/rss-at-exit.mjs'), join(ROOT, 'src/cli/main.ts'),
    'train', '--data', path, '--steps', String(steps), '--hidden', '64', '--embed', '16', '--batch', '16', '--seq', '32',
    '--val-chars', '2000', '--log-every', '0', '--val-every', '0', '--sample-length', '0', '--json', '--out', out, ...extra],
  { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(out, { force: true });
  const m = /peak_rss_kb (\d+)/.exec(r.stderr);
  return { peakMb: m ? Number(m[1]) / 1024 : NaN, stderr: r.stderr, code: r.status };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'recur-stream-memory-'));
  try {
    for (const mb of sizes.length ? sizes : [4, 256]) {
      const path = join(dir, `corpus-${mb}mb.txt`);
      writeCorpus(path, mb);
      const t0 = performance.now();
      const r = trainPeakMb(path, 20, ['--backend', 'native']);
      rmSync(path);
      if (r.code !== 0) throw new Error(r.stderr);
      console.log(`${mb} MB corpus: peak RSS ${r.peakMb.toFixed(1)} MB (${((performance.now() - t0) / 1000).toFixed(1)} s, vocabulary pass included)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
