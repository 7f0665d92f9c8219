/**
 * GEMM throughput of the wasm backend (plain SIMD and relaxed SIMD, 1 and 2 threads) against the JS reference,
 * in GFLOP/s. Not a test: numbers depend on the machine and on what else runs on it, so each figure is the best of
 * several timed batches (the least disturbed one).
 *
 *   node --import tsx bench/gemm.ts [--threads 1,2] [--seconds 0.4] [--all] [--cpu] [--json]
 *
 * --cpu divides by the CPU time this process used instead of wall time: on a machine shared with other jobs
 * it estimates the uncontended single-thread speed (it is no measure of multi-thread speed-up).
 *
 * Shapes: the square 512³, the RNN step shape m=32, n=2048, k=512 with B the weight stored [out, in]
 * (C = h·Wᵀ, an LSTM-512 recurrent product), and the products of the W2 workload (LSTM-256, batch 32, 64 steps)
 * and sampling (batch 1). --all adds the W5 shapes (LSTM-512, batch 64, 128 steps), where the JS reference is not
 * timed (seconds per call).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Backend, Buf } from '../src/kernels/backend.js';
import { JsBackend } from '../src/kernels/js.js';
import { createNodeWasmBackend } from '../src/node/wasm.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    seconds: { type: 'string', default: '0.4' },
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
  },
});

interface Shape { label: string; ta: boolean; tb: boolean; m: number; n: number; k: number; js?: boolean }
const SHAPES: Shape[] = [
  { label: 'square 512³ (NN)', ta: false, tb: false, m: 512, n: 512, k: 512, js: true },
  { label: 'square 512³ (NT)', ta: false, tb: true, m: 512, n: 512, k: 512, js: true },
  { label: 'RNN 32×2048×512, B=[out,in] (NT)', ta: false, tb: true, m: 32, n: 2048, k: 512, js: true },
  { label: 'W2 step h·W_hhᵀ 32×1024×256 (NT)', ta: false, tb: true, m: 32, n: 1024, k: 256, js: true },
  { label: 'W2 step dg·W_hh 32×256×1024 (NN)', ta: false, tb: false, m: 32, n: 256, k: 1024, js: true },
  { label: 'W2 dW_hh 1024×256×2048 (TN)', ta: true, tb: false, m: 1024, n: 256, k: 2048 },
  { label: 'W2 head 2048×83×256 (NT)', ta: false, tb: true, m: 2048, n: 83, k: 256 },
  { label: 'S1 sample h·W_hhᵀ 1×1024×256 (NT)', ta: false, tb: true, m: 1, n: 1024, k: 256, js: true },
];
const W5: Shape[] = [
  { label: 'W5 step h·W_hhᵀ 64×2048×512 (NT)', ta: false, tb: true, m: 64, n: 2048, k: 512 },
  { label: 'W5 step dg·W_hh 64×512×2048 (NN)', ta: false, tb: false, m: 64, n: 512, k: 2048 },
  { label: 'W5 projection 8192×2048×512 (NT)', ta: false, tb: true, m: 8192, n: 2048, k: 512 },
  { label: 'W5 dW 2048×512×8192 (TN)', ta: true, tb: false, m: 2048, n: 512, k: 8192 },
];

function fillRandom(a: Buf, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
}

/** GFLOP/s: the best of several timed batches, each ≥ seconds/5 long, after a warm-up. */
function measure(be: Backend, s: Shape, seconds: number): number {
  const A = be.alloc(s.m * s.k), B = be.alloc(s.k * s.n), C = be.alloc(s.m * s.n);
  fillRandom(A, 1); fillRandom(B, 2);
  const lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
  const run = (): void => be.gemm(s.ta, s.tb, s.m, s.n, s.k, 1, A, 0, lda, B, 0, ldb, 0, C, 0, s.n);
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    if ((performance.now() - t0) / 1000 > seconds / 5) break;
    reps *= 2;
  }
  let best = Infinity;
  const end = performance.now() + seconds * 1000;
  do {
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) run();
    const cpu = process.cpuUsage(cpu0);
    const dt = args.cpu ? (cpu.user + cpu.system) / 1e6 : (performance.now() - t0) / 1000;
    best = Math.min(best, dt / reps);
  } while (performance.now() < end);
  be.free(A); be.free(B); be.free(C);
  return (2 * s.m * s.n * s.k) / best / 1e9;
}

async function main(): Promise<void> {
  const seconds = Number(args.seconds);
  const threads = args.threads.split(',').map(Number);
  const shapes = args.all ? [...SHAPES, ...W5] : SHAPES;
  const columns: { name: string; be: Backend; dispose?: () => Promise<void> }[] = [{ name: 'js', be: new JsBackend('f32') }];
  for (const relaxed of [false, true]) {
    for (const t of threads) {
      const be = await createNodeWasmBackend({ threads: t, relaxed });
      if (relaxed && !be.relaxed) { await be.dispose(); continue; }
      columns.push({ name: `wasm${relaxed ? '-relaxed' : ''} ${be.threads}t`, be, dispose: () => be.dispose() });
    }
  }
  const pad = (v: unknown, i: number): string => (i === 0 ? String(v).padEnd(36) : String(v).padStart(17));
  if (!args.json) console.log([args.cpu ? 'GFLOP per CPU-second' : 'GFLOP/s', ...columns.map((c) => c.name)].map(pad).join(''));
  const rows: Record<string, number | string>[] = [];
  for (const s of shapes) {
    const row: Record<string, number | string> = { shape: s.label };
    for (const c of columns) row[c.name] = c.name === 'js' && !s.js ? '—' : Number(measure(c.be, s, seconds).toFixed(2));
    rows.push(row);
    if (!args.json) console.log(Object.values(row).map(pad).join(''));
  }
  if (args.json) console.log(JSON.stringify({ unit: args.cpu ? 'GFLOP per CPU-second' : 'GFLOP/s', columns: columns.map((c) => c.name), rows }, null, 2));
  for (const c of columns) await c.dispose?.();
}

await main();
