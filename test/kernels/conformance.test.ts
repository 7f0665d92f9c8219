/**
 * Every built backend against the JS reference, kernel by kernel, from the kernel table (cases.ts builds the
 * shapes, offsets, leading dimensions, masks, ids and in-place aliasing): wasm (SIMD and relaxed SIMD, 1 and 2
 * threads) and native (each instruction set this CPU runs, 1 and 2 threads). Two threads must give the very
 * bits one thread gives, and the cases sized above the thresholds must really be split. A backend that is not
 * built is reported as skipped, with the reason.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import { KERNELS, type KernelSpec } from '../../src/kernels/table.js';
import type { WasmBackend } from '../../src/kernels/wasm/index.js';
import { createNativeBackend, loadAddon, nativeIsas, type NativeBackend } from '../../src/node/native.js';
import { createNodeWasmBackend, wasmBuilt } from '../../src/node/wasm.js';
import { kernelCases, runCase, type Case } from './cases.js';

const js = new JsBackend('f32');
const CASES = new Map(KERNELS.map((k) => [k.name, kernelCases(k)]));
/** The reference's outputs, computed once per case. */
const REFERENCE = new Map<Case, ReturnType<typeof runCase>>();
const reference = (k: KernelSpec, c: Case): ReturnType<typeof runCase> => {
  let r = REFERENCE.get(c);
  if (!r) REFERENCE.set(c, (r = runCase(js, k, c)));
  return r;
};

/** float32 tolerances of the former per-backend suites: products get a bound that grows with their depth. */
function tolerance(k: KernelSpec, c: Case): { rel: number; abs: number } {
  if (k.name === 'gemm') {
    const depth = c.scalars.k as number, alpha = Math.abs(c.scalars.alpha as number), beta = Math.abs(c.scalars.beta as number);
    return { rel: 2e-5, abs: 1e-5 * (depth * alpha + beta) + 1e-6 };
  }
  // each output subtracts a dot product over the row (⟨p, dp⟩), whose rounding grows with its length
  if (k.name === 'softmaxBackward') return { rel: 2e-5, abs: 2e-6 + 1e-7 * (c.scalars.cols as number) };
  return { rel: 2e-5, abs: 2e-6 };
}
/** Tolerance of returned sums (float64 accumulation of float32 terms). */
const RESULT_REL: Record<string, number> = { softmaxCrossEntropy: 1e-5, squaredError: 1e-9, sumSquares: 1e-9 };

function compare(k: KernelSpec, c: Case, got: ReturnType<typeof runCase>, want: ReturnType<typeof runCase>, where: string): void {
  const { rel, abs } = tolerance(k, c);
  for (const [name, w] of Object.entries(want.bufs)) {
    const g = got.bufs[name];
    if (!w || !g) continue;
    for (let i = 0; i < w.length; i++) {
      const ok = Object.is(g[i], w[i]) || Math.abs(g[i] - w[i]) <= rel * Math.abs(w[i]) + abs;
      if (!ok) assert.fail(`${where}: ${k.name} [${c.label}] ${name}[${i}] = ${g[i]}, reference ${w[i]}`);
    }
  }
  if (typeof want.result === 'number') {
    const g = got.result as number, w = want.result;
    const ok = Math.abs(g - w) <= (RESULT_REL[k.name] ?? 1e-5) * Math.abs(w) + 1e-6;
    assert.ok(ok, `${where}: ${k.name} [${c.label}] returned ${g}, reference ${w}`);
  }
}

function sameBits(k: KernelSpec, c: Case, a: ReturnType<typeof runCase>, b: ReturnType<typeof runCase>, where: string): void {
  for (const [name, x] of Object.entries(a.bufs)) {
    const y = b.bufs[name];
    if (!x || !y) continue;
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) assert.fail(`${where}: ${k.name} [${c.label}] ${name}[${i}]: 1 thread ${x[i]}, 2 threads ${y[i]}`);
    }
  }
  if (typeof a.result === 'number') assert.ok(Object.is(a.result, b.result), `${where}: ${k.name} [${c.label}]: ${a.result} vs ${b.result}`);
}

/** A backend under test; `split()` counts the calls its threads shared so far. */
interface Subject { name: string; be: Backend; split: () => number }

/** Runs every kernel's cases on `one` (1 thread) and, when given, `two` (2 threads, bits equal to `one`'s). */
async function conform(t: TestContext, one: Subject, two: Subject | null, splitsPerKernel: boolean): Promise<void> {
  for (const k of KERNELS) {
    await t.test(k.name, () => {
      const before = two?.split() ?? 0;
      for (const c of CASES.get(k.name)!) {
        const r1 = runCase(one.be, k, c);
        compare(k, c, r1, reference(k, c), one.name);
        if (two) sameBits(k, c, r1, runCase(two.be, k, c), two.name);
      }
      if (two && splitsPerKernel && k.threads) assert.ok(two.split() > before, `${two.name}: no ${k.name} call was split`);
    });
  }
}

// -------------------------------------------------------------------------------------------------- wasm

const wasmReady = await wasmBuilt();
const disposers: (() => Promise<void>)[] = [];
after(async () => { for (const d of disposers) await d(); });

for (const relaxed of [false, true]) {
  const label = `wasm (${relaxed ? 'relaxed SIMD' : 'SIMD'})`;
  test(`${label}, 1 and 2 threads, against the JS reference`, async (t) => {
    if (!wasmReady) {
      t.skip('wasm backend not built: build/wasm/ is missing (npm run build:wasm)');
      return;
    }
    const one = await createNodeWasmBackend({ relaxed });
    const two = await createNodeWasmBackend({ relaxed, threads: 2 });
    disposers.push(() => one.dispose(), () => two.dispose());
    if (relaxed && !one.relaxed) {
      t.skip('this engine has no relaxed SIMD');
      return;
    }
    assert.equal(two.threads, 2, `2 threads: ${two.threadsUnavailable}`);
    const split = (be: WasmBackend) => () => be.parallelCalls;
    await conform(t, { name: `${label} 1 thread`, be: one, split: split(one) }, { name: `${label} 2 threads`, be: two, split: split(two) }, true);
  });
}

// ------------------------------------------------------------------------------------------------ native

const addon = loadAddon();
const isas = addon instanceof Error ? ['avx512', 'avx2', 'sse'] as const : nativeIsas();
for (const isa of isas) {
  test(`native (${isa}), 1 and 2 threads, against the JS reference`, async (t) => {
    if (addon instanceof Error) {
      t.skip(`native backend not built: ${addon.message}`);
      return;
    }
    const one: NativeBackend = await createNativeBackend({ isa });
    const two: NativeBackend = await createNativeBackend({ isa, threads: 2 });
    const jobs = () => (addon.poolStats() as { jobs: number }).jobs;
    const tasksBefore = (addon.poolStats() as { workerTasks: number }).workerTasks;
    const before = jobs();
    // the native kernels decide their split inside (kernels_impl.h); the pool must have run jobs for the big cases
    await conform(t, { name: `native ${isa} 1 thread`, be: one, split: jobs }, { name: `native ${isa} 2 threads`, be: two, split: jobs }, false);
    assert.ok(jobs() - before >= KERNELS.length / 2, `native ${isa}: only ${jobs() - before} parallel jobs ran`);
    assert.ok((addon.poolStats() as { workerTasks: number }).workerTasks > tasksBefore, 'no task ran on a pool worker');
  });
}

// -------------------------------------------------------------------------------- beyond the shape cases

test('gemm with beta = 0 ignores NaN in C on every built backend', async (t) => {
  const subjects: Backend[] = [];
  if (wasmReady) subjects.push(await createNodeWasmBackend());
  if (!(addon instanceof Error)) for (const isa of isas) subjects.push(await createNativeBackend({ isa }));
  if (!subjects.length) {
    t.skip('neither the wasm nor the native backend is built');
    return;
  }
  for (const be of subjects) {
    for (const [m, n, k] of [[3, 5, 7], [33, 70, 130]]) {
      const A = be.alloc(m * k).fill(0.5), B = be.alloc(k * n).fill(0.25), C = be.alloc(m * n).fill(NaN);
      be.gemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n);
      for (let i = 0; i < C.length; i++) assert.ok(Math.abs(C[i] - 0.125 * k) < 1e-4, `${be.name} C[${i}] = ${C[i]}`);
    }
    if (be.name === 'wasm') await (be as WasmBackend).dispose();
  }
});
