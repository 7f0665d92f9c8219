/**
 * GEMM throughput of the native backend against OpenBLAS (and the JS reference), in GFLOP/s.
 *
 *   node --import tsx bench/native-gemm.ts [--threads 1,2] [--coretype SkylakeX] [--clock wall|cpu] [--json]
 *
 * Shapes: the square 512³, the issue's RNN shape m=32, n=2048, k=512 with B the weight stored
 * [out, in] (C = h·Wᵀ, the recurrent step of an LSTM-512), and the products one training step of
 * the workloads W2 (LSTM-256, batch 32, 64 steps) and W5 (LSTM-512, batch 64, 128 steps) runs.
 * OpenBLAS is Debian's libopenblas0 loaded through a bench-only addon (bench/blas/, built by `npm run
 * bench:gemm`) with OPENBLAS_CORETYPE set before it loads (default SkylakeX, as the peers are tuned;
 * 0.3.21 misdetects this CPU otherwise).
 *
 * --clock cpu times by the process's CPU time instead of the wall clock: on a shared machine it
 * is far steadier, but it is only meaningful with one thread (spinning workers count too).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Buf } from '../src/kernels/backend.js';
import { JsBackend } from '../src/kernels/js.js';
import { createNativeBackend, loadAddon } from '../src/node/native.js';
import { loadOpenBlas } from './blas/openblas.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    coretype: { type: 'string', default: 'SkylakeX' },
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '1.5' },
    clock: { type: 'string', default: 'wall' },
  },
});

interface Shape { label: string; ta: boolean; tb: boolean; m: number; n: number; k: number }
const SHAPES: Shape[] = [
  { label: 'square 512³ (NN)', ta: false, tb: false, m: 512, n: 512, k: 512 },
  { label: 'RNN 32×2048×512, B=[out,in] (NT)', ta: false, tb: true, m: 32, n: 2048, k: 512 },
  { label: 'W2 step h·W_hhᵀ 32×1024×256 (NT)', ta: false, tb: true, m: 32, n: 1024, k: 256 },
  { label: 'W2 step dg·W_hh 32×256×1024 (NN)', ta: false, tb: false, m: 32, n: 256, k: 1024 },
  { label: 'W2 dW_hh 1024×256×2048 (TN)', ta: true, tb: false, m: 1024, n: 256, k: 2048 },
  { label: 'W2 head 2048×83×256 (NT)', ta: false, tb: true, m: 2048, n: 83, k: 256 },
  { label: 'W5 step dg·W_hh 64×512×2048 (NN)', ta: false, tb: false, m: 64, n: 512, k: 2048 },
  { label: 'W5 projection 8192×2048×512 (NT)', ta: false, tb: true, m: 8192, n: 2048, k: 512 },
  { label: 'W5 dW 2048×512×8192 (TN)', ta: true, tb: false, m: 2048, n: 512, k: 8192 },
  { label: 'S1 sample h·W_hhᵀ 1×1024×256 (NT)', ta: false, tb: true, m: 1, n: 1024, k: 256 },
];

type Gemm = (ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, A: Buf, aOff: number, lda: number,
  B: Buf, bOff: number, ldb: number, beta: number, C: Buf, cOff: number, ldc: number) => void;

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}

/**
 * A timed batch of calls: `batch()` returns seconds per call over enough calls to last ≥ ~40 ms.
 * Other processes share this machine's two cores, so the caller alternates batches of the
 * contenders and keeps each one's best (the least disturbed).
 */
const now = args.clock === 'cpu'
  ? (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; }
  : (): number => performance.now();

function batcher(gemm: Gemm, s: Shape): () => number {
  const A = random(s.m * s.k, 1), B = random(s.k * s.n, 2), C = new Float32Array(s.m * s.n);
  const lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
  const run = (): void => gemm(s.ta, s.tb, s.m, s.n, s.k, 1, A, 0, lda, B, 0, ldb, 1, C, 0, s.n);
  let reps = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < reps; i++) run();
    if (now() - t0 > 40) break;
    reps *= 2;
  }
  return () => {
    const t0 = now();
    for (let i = 0; i < reps; i++) run();
    return (now() - t0) / 1000 / reps;
  };
}

/** Best GFLOP/s of each contender, alternating batches for about `seconds`. */
function compare(gemms: Gemm[], s: Shape, seconds: number): number[] {
  const batches = gemms.map((g) => batcher(g, s));
  const best = gemms.map(() => Infinity);
  const end = performance.now() + seconds * 1000;
  do batches.forEach((b, i) => { best[i] = Math.min(best[i], b()); });
  while (performance.now() < end);
  return best.map((t) => (2 * s.m * s.n * s.k) / t / 1e9);
}

async function main(): Promise<void> {
  const addon = loadAddon();
  if (addon instanceof Error) {
    console.error(`recur: native backend not available: ${addon.message}`);
    process.exit(1);
  }
  if (args.clock !== 'wall' && args.clock !== 'cpu') throw new Error(`--clock must be wall or cpu, got ${args.clock}`);
  process.env.OPENBLAS_CORETYPE = args.coretype;
  const seconds = Number(args.seconds);
  const threadList = args.threads.split(',').map(Number);
  const rows: Record<string, unknown>[] = [];
  for (const threads of threadList) {
    const be = await createNativeBackend({ threads });
    const blas = loadOpenBlas(threads);
    const header = `${be.describe()} vs OpenBLAS${blas ? ` (${blas.core})` : ' (not installed)'}, GFLOP/s by ${args.clock} clock`;
    if (!args.json) console.log(`\n${header}\n${'shape'.padEnd(40)} ${'recur'.padStart(8)} ${'OpenBLAS'.padStart(9)} ${'ratio'.padStart(6)}`);
    for (const s of SHAPES) {
      const [mine, theirs] = blas ? compare([be.gemm.bind(be), blas.sgemm], s, seconds) : [...compare([be.gemm.bind(be)], s, seconds), NaN];
      rows.push({ shape: s.label, threads, recur: +mine.toFixed(1), openblas: +theirs.toFixed(1), isa: be.isa, core: blas?.core });
      if (!args.json) console.log(`${s.label.padEnd(40)} ${mine.toFixed(1).padStart(8)} ${theirs.toFixed(1).padStart(9)} ${(mine / theirs).toFixed(2).padStart(6)}`);
    }
  }
  // The JS reference, once, for scale (single-threaded by nature).
  const js = new JsBackend('f32');
  const [jsRate] = compare([js.gemm.bind(js)], SHAPES[0], 0.5);
  rows.push({ shape: SHAPES[0].label, threads: 1, js: +jsRate.toFixed(2) });
  if (args.json) console.log(JSON.stringify(rows, null, 1));
  else console.log(`\njs reference, ${SHAPES[0].label}: ${jsRate.toFixed(2)} GFLOP/s`);
}

await main();
