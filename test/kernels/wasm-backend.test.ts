/**
 * The wasm backend beyond kernel conformance (conformance.test.ts runs every kernel against the JS reference):
 * the vector exp/tanh/sigmoid against Math on dense grids, the memory rules (foreign buffers, ranges, reuse,
 * growth, the unshared fallback), and the thread pool's protocol (workers join split calls; a gemm part takes
 * over the chunks of parts that never run). Skips (with a message) only when build/wasm has not been built.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation, Buf } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { WasmBackend } from '../../src/kernels/wasm/index.js';
import { CTL, type WasmExports } from '../../src/kernels/wasm/protocol.js';
import { createNodeWasmBackend, wasmBuilt } from '../../src/node/wasm.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose } from '../helpers/close.js';

const built = await wasmBuilt();
const SKIP = built ? false : 'build/wasm/recur-simd.wasm is not built (run npm run build)';

const js = new JsBackend('f32');
let be: WasmBackend;
const rng = new Rng(20240611);

before(async () => { if (built) be = await createNodeWasmBackend({ threads: 1 }); });

/** The same random contents in a JS array and in a wasm buffer. */
interface Pair { js: Float32Array; w: Float32Array }
function pair(n: number, lo = -1, hi = 1, target: WasmBackend = be): Pair {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
  const w = target.alloc(n);
  w.set(a);
  return { js: a, w };
}
const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => lo + rng.int(hi - lo));
/** A mask of B rows with some zeros (row 0 always kept, row 1 held when B > 1). */
function maskPair(B: number): Pair {
  const p = pair(B);
  for (let b = 0; b < B; b++) p.js[b] = p.w[b] = b === 1 || (b > 1 && rng.next() < 0.3) ? 0 : 1;
  return p;
}
const close = (p: Pair, what: string, rel = 2e-5, abs = 2e-6): void => assertClose(p.w, p.js, what, rel, abs);


// ------------------------------------------------------------------ vector math accuracy

/** max over the grid of |f(x) − ref(x)| / max(|ref(x)|, floor) with x the float32 grid value. */
function maxRelError(fn: 'exp' | 'tanh' | 'sigmoid', xs: Float32Array, ref: (x: number) => number, floor: number): number {
  const x = be.alloc(xs.length), y = be.alloc(xs.length);
  x.set(xs);
  be.applyMath(fn, xs.length, x, 0, y, 0);
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const r = ref(x[i]);
    worst = Math.max(worst, r === y[i] ? 0 : Math.abs(y[i] - r) / Math.max(Math.abs(r), floor));
  }
  be.free(x); be.free(y);
  return worst;
}
const grid = (lo: number, hi: number, step: number): Float32Array => Float32Array.from({ length: Math.floor((hi - lo) / step) + 1 }, (_, i) => lo + i * step);
const nearZero = (): Float32Array => {
  const v: number[] = [0];
  for (let e = -38; e <= 0; e += 0.01) v.push(10 ** e, -(10 ** e));
  return Float32Array.from(v);
};

test('vector exp, tanh and sigmoid are accurate to a few ulp, near 0 too', { skip: SKIP }, () => {
  const dense = grid(-30, 30, 1 / 1024);
  const expErr = maxRelError('exp', grid(-87, 88, 1 / 512), Math.exp, 0);
  const tanhErr = Math.max(maxRelError('tanh', dense, Math.tanh, 0), maxRelError('tanh', nearZero(), Math.tanh, 0));
  const sigErr = Math.max(maxRelError('sigmoid', dense, (x) => 1 / (1 + Math.exp(-x)), 0), maxRelError('sigmoid', nearZero(), (x) => 1 / (1 + Math.exp(-x)), 0));
  // measured: exp 1.2e-7, tanh 1.3e-7, sigmoid 1.9e-7 (1–2 float32 ulp)
  assert.ok(expErr < 5e-7, `exp max relative error ${expErr}`);
  assert.ok(tanhErr < 5e-7, `tanh max relative error ${tanhErr}`);
  assert.ok(sigErr < 5e-7, `sigmoid max relative error ${sigErr}`);
  // limits: exp under/overflow, saturation, NaN
  const x = be.alloc(6), y = be.alloc(6);
  x.set([-100, 100, -Infinity, Infinity, NaN, 0]);
  be.applyMath('exp', 6, x, 0, y, 0);
  assert.deepEqual([...y].slice(0, 4), [0, Infinity, 0, Infinity]);
  assert.ok(Number.isNaN(y[4]) && y[5] === 1);
  be.applyMath('tanh', 6, x, 0, y, 0);
  assert.deepEqual([...y].slice(0, 4), [-1, 1, -1, 1]);
  assert.ok(Number.isNaN(y[4]) && Object.is(y[5], 0));
  be.applyMath('sigmoid', 6, x, 0, y, 0);
  assert.deepEqual([...y].slice(0, 4), [0, 1, 0, 1]);
  assert.ok(Number.isNaN(y[4]));
  assert.equal(y[5], 0.5);
});

// ------------------------------------------------------------------ memory

test('memory: foreign buffers and bad ranges throw; freed buffers come back zeroed', { skip: SKIP }, () => {
  const own = be.alloc(10), foreign = new Float32Array(10);
  assert.throws(() => be.axpy(10, 1, foreign, 0, own, 0), /not in this backend's memory/);
  assert.throws(() => be.axpy(10, 1, own, 1, own, 0), RangeError);
  assert.throws(() => be.gemm(false, false, 4, 4, 4, 1, own, 0, 4, own, 0, 4, 0, own, 0, 4), RangeError);
  assert.throws(() => be.free(own.subarray(2)), /did not return/);
  own.fill(7);
  be.free(own);
  assert.throws(() => be.free(own), /freed twice/);
  const again = be.alloc(10);
  assert.equal(again.byteOffset, own.byteOffset, 'same-size block reused');
  assert.ok(again.every((v) => v === 0), 'reused block is zero-filled');
  assert.equal(again.byteOffset % 64, 0, '64-byte aligned');
});

test('memory: growing keeps earlier views valid and usable by kernels', { skip: SKIP }, async () => {
  const b = await createNodeWasmBackend();
  const early = b.alloc(1000);
  early.fill(2);
  const before = b.memory.buffer.byteLength;
  const big = b.alloc(32 << 20); // 128 MiB: past the initial 16 MiB
  assert.ok(b.memory.buffer.byteLength > before, 'memory grew');
  assert.equal(early[999], 2, 'old view still reads its data');
  b.scale(1000, 3, early, 0);
  assert.equal(early[0], 6);
  b.copy(1000, early, 0, big, (32 << 20) - 1000);
  assert.equal(big[(32 << 20) - 1], 6);
});

test('memory: without sharing, a fixed memory, one thread, and a clear error instead of growth', { skip: SKIP }, async () => {
  const b = await createNodeWasmBackend({ sharedMemory: false, unsharedMemoryMB: 16, threads: 2 });
  assert.equal(b.shared, false);
  assert.equal(b.threads, 1);
  assert.match(b.threadsUnavailable ?? '', /SharedArrayBuffer/);
  assert.ok(!(b.memory.buffer instanceof SharedArrayBuffer));
  const x = b.alloc(1000), y = b.alloc(1000);
  x.fill(1);
  b.axpy(1000, 2, x, 0, y, 0);
  assert.equal(y[999], 2);
  assert.throws(() => b.alloc(8 << 20), /cannot grow without detaching/);
  assert.equal(y[0], 2, 'views stay attached after the refusal');
});

// ------------------------------------------------------------------ relaxed SIMD build

test('relaxed-SIMD build: tanh stays accurate with fused multiply-add', { skip: SKIP }, async () => {
  const r = await createNodeWasmBackend({ relaxed: true });
  if (!r.relaxed) return; // engine without relaxed SIMD: the plain build was loaded, covered above
  const x = pair(999, -20, 20, r), y = r.alloc(999);
  r.applyMath('tanh', 999, x.w, 0, y, 0);
  assertClose(y, x.js.map(Math.tanh), 'relaxed tanh', 1e-6, 1e-7);
});


// ------------------------------------------------------------------ threads

test('threads: a worker joins split calls (a product of a few milliseconds leaves it time to wake)', { skip: SKIP }, async (t) => {
  const two = await createNodeWasmBackend({ threads: 2 });
  t.after(() => two.dispose());
  assert.equal(two.threads, 2);
  const big = 384, X = two.alloc(big * big).fill(0.5), Y = two.alloc(big * big).fill(0.25), Z = two.alloc(big * big);
  const joinedBefore = two.workerParts, callsBefore = two.parallelCalls;
  for (let r = 0; r < 10; r++) two.gemm(false, true, big, big, big, 1, X, 0, big, Y, 0, big, 0, Z, 0, big);
  assert.equal(two.parallelCalls - callsBefore, 10, 'every product was split');
  assert.ok(two.workerParts > joinedBefore, 'no split call was joined by the worker');
  assert.ok(Z.every((z) => z === 0.125 * big));
});


test('threads: a gemm part takes over the chunks of parts that never run, with the same result', { skip: SKIP }, () => {
  // The raw export, called as part 0 of 2 and 3 with no other part running: it must do its own chunks, then claim
  // every other part's through their cursors (what happens when a worker is descheduled or on a slower core).
  const ex = (be as unknown as { ex: WasmExports }).ex;
  const addr = (x: Float32Array): number => x.byteOffset;
  const scratch = be.alloc(ex.gemmScratchBytes() >> 2);
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const [m, n, k] of [[37, 301, 129], [301, 37, 129], [32, 1024, 64], [3, 5, 7]]) {
      const A = pair(m * k).w, B = pair(k * n).w, C0 = pair(m * n).w;
      const lda = ta ? m : k, ldb = tb ? k : n;
      const want = be.alloc(m * n);
      want.set(C0);
      be.gemm(ta, tb, m, n, k, 0.9, A, 0, lda, B, 0, ldb, 0.5, want, 0, n);
      for (const nparts of [2, 3]) {
        const C = be.alloc(m * n), cursors = be.alloc(nparts * CTL.CURSOR_STRIDE / 4);
        C.set(C0);
        ex.gemm(ta ? 1 : 0, tb ? 1 : 0, m, n, k, 0.9, addr(A), lda, addr(B), ldb, 0.5, addr(C), n, addr(scratch), addr(cursors), 0, nparts);
        for (let i = 0; i < C.length; i++) {
          if (!Object.is(C[i], want[i])) assert.fail(`${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k}, part 0 of ${nparts} alone: C[${i}] ${C[i]} vs ${want[i]}`);
        }
        // every cursor moved past its run: the other parts' chunks were claimed here
        for (let q = 1; q < nparts; q++) assert.ok(new Int32Array(cursors.buffer, cursors.byteOffset + CTL.CURSOR_STRIDE * q, 1)[0] >= 1, `cursor ${q} untouched`);
      }
    }
  }
});

after(async () => { await be?.dispose(); });
