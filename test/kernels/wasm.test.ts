/**
 * The wasm backend against the JS reference, kernel by kernel, on awkward shapes: sizes that are not multiples of
 * the SIMD width or of the GEMM tiles, batch 1, non-zero offsets, leading dimensions wider than the rows, all four
 * transpose combinations, masks with held rows, accumulate flags. Then the vector exp/tanh/sigmoid against Math on
 * dense grids, the memory rules (foreign buffers, ranges, reuse, growth), and bit-identical results for 1 and 2
 * threads. Skips (with a message) only when build/wasm has not been built.
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

// ------------------------------------------------------------------ GEMM

test('gemm: all transposes, odd sizes, offsets, leading dimensions, alpha/beta', { skip: SKIP }, () => {
  const shapes = [[1, 1, 1], [1, 37, 19], [5, 3, 2], [7, 13, 5], [4, 8, 256], [9, 17, 513], [33, 29, 517], [130, 70, 300], [3, 200, 7]];
  const scalars = [[1, 0], [0.7, 0.3], [1, 1], [-1.5, 0], [0.5, -2]];
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const [m, n, k] of shapes) {
      for (const [alpha, beta] of scalars) {
        const lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
        const aOff = 2, bOff = 3, cOff = 4;
        const A = pair(aOff + (ta ? k : m) * lda), B = pair(bOff + (tb ? n : k) * ldb), C = pair(cOff + m * ldc);
        be.gemm(ta, tb, m, n, k, alpha, A.w, aOff, lda, B.w, bOff, ldb, beta, C.w, cOff, ldc);
        js.gemm(ta, tb, m, n, k, alpha, A.js, aOff, lda, B.js, bOff, ldb, beta, C.js, cOff, ldc);
        // error bound: float32 rounding of Σ|alpha·a·b| + |beta·c|
        const bound = Float32Array.from(C.js, () => 0);
        const absA = A.js.map(Math.abs), absB = B.js.map(Math.abs);
        js.gemm(ta, tb, m, n, k, Math.abs(alpha), absA, aOff, lda, absB, bOff, ldb, 0, bound, cOff, ldc);
        for (let i = 0; i < C.js.length; i++) {
          const tol = 1e-5 * (bound[i] + Math.abs(C.js[i])) + 1e-6;
          if (!(Math.abs(C.w[i] - C.js[i]) <= tol)) {
            assert.fail(`gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k} α=${alpha} β=${beta}: C[${i}] = ${C.w[i]}, expected ${C.js[i]}`);
          }
        }
        for (const p of [A, B, C]) be.free(p.w);
      }
    }
  }
});

test('gemm: beta = 0 ignores NaN in C; k = 0 and alpha = 0 only scale C', { skip: SKIP }, () => {
  for (const tb of [false, true]) {
    const m = 6, n = 11, k = 9;
    const A = pair(m * k), B = pair(k * n), C = pair(m * n);
    C.w.fill(NaN);
    be.gemm(false, tb, m, n, k, 1, A.w, 0, k, B.w, 0, tb ? k : n, 0, C.w, 0, n);
    js.gemm(false, tb, m, n, k, 1, A.js, 0, k, B.js, 0, tb ? k : n, 0, C.js, 0, n);
    close(C, `gemm β=0 over NaN (transB ${tb})`);
    const D = pair(m * n);
    be.gemm(false, tb, m, n, 0, 1, A.w, 0, k, B.w, 0, tb ? k : n, 0.5, D.w, 0, n);
    js.gemm(false, tb, m, n, 0, 1, A.js, 0, k, B.js, 0, tb ? k : n, 0.5, D.js, 0, n);
    close(D, 'gemm k = 0');
    be.gemm(false, tb, m, n, k, 0, A.w, 0, k, B.w, 0, tb ? k : n, 0, D.w, 0, n);
    js.gemm(false, tb, m, n, k, 0, A.js, 0, k, B.js, 0, tb ? k : n, 0, D.js, 0, n);
    close(D, 'gemm α = 0, β = 0');
  }
});

// ------------------------------------------------------------------ rows and columns

test('addRowVector, sumRows with leading dimensions and offsets', { skip: SKIP }, () => {
  for (const [rows, cols] of [[1, 1], [3, 7], [17, 130]]) {
    const ld = cols + 3;
    const C = pair(5 + rows * ld), bias = pair(2 + cols);
    be.addRowVector(C.w, 5, rows, cols, ld, bias.w, 2);
    js.addRowVector(C.js, 5, rows, cols, ld, bias.js, 2);
    close(C, `addRowVector ${rows}×${cols}`);
    const dst = pair(1 + cols);
    be.sumRows(C.w, 5, rows, cols, ld, dst.w, 1);
    js.sumRows(C.js, 5, rows, cols, ld, dst.js, 1);
    close(dst, `sumRows ${rows}×${cols}`);
  }
});

test('gather and scatter of rows and columns (ids from ordinary memory, −1, repeats, beta)', { skip: SKIP }, () => {
  for (const [V, dim, n] of [[11, 13, 9], [5, 37, 40]]) gatherScatter(V, dim, n); // the second gathers > 2·V columns
});

function gatherScatter(V: number, dim: number, n: number): void {
  const ids = ints(n + 2, -1, V);
  ids[3] = ids[4]; // a repeated id
  for (const beta of [0, 0.5]) {
    const table = pair(V * dim), dst = pair(3 + n * (dim + 2));
    be.gatherRows(table.w, dim, ids, 2, n, dst.w, 3, dim + 2, beta);
    js.gatherRows(table.js, dim, ids, 2, n, dst.js, 3, dim + 2, beta);
    close(dst, `gatherRows β=${beta}`);
    const W = pair(dim * V), dc = pair(1 + n * (dim + 1));
    be.gatherCols(W.w, dim, V, ids, 2, n, dc.w, 1, dim + 1, beta);
    js.gatherCols(W.js, dim, V, ids, 2, n, dc.js, 1, dim + 1, beta);
    close(dc, `gatherCols β=${beta}`);
  }
  const src = pair(4 + n * (dim + 3)), table = pair(V * dim), W = pair(dim * V);
  be.scatterAddRows(src.w, 4, dim + 3, ids, 1, n, table.w, dim);
  js.scatterAddRows(src.js, 4, dim + 3, ids, 1, n, table.js, dim);
  close(table, 'scatterAddRows');
  be.scatterAddCols(src.w, 4, dim + 3, ids, 1, n, W.w, dim, V);
  js.scatterAddCols(src.js, 4, dim + 3, ids, 1, n, W.js, dim, V);
  close(W, 'scatterAddCols');
  assert.throws(() => be.gatherRows(table.w, dim, Int32Array.of(V), 0, 1, be.alloc(dim), 0, dim, 0), RangeError);
}

// ------------------------------------------------------------------ cells

const cellShapes = [[1, 1], [1, 13], [5, 13], [6, 64]] as const;

test('elmanForward / elmanBackward: every activation, with and without a mask', { skip: SKIP }, () => {
  for (const act of ['tanh', 'sigmoid', 'relu', 'identity'] as Activation[]) {
    for (const [B, H] of cellShapes) {
      for (const masked of [false, true]) {
        const n = B * H, o = 3;
        const mask = masked ? maskPair(B) : null;
        const pre = pair(o + n, -4, 4), hPrev = pair(o + n), h = pair(o + n);
        be.elmanForward(act, B, H, pre.w, o, hPrev.w, o, h.w, o, mask?.w ?? null, 0);
        js.elmanForward(act, B, H, pre.js, o, hPrev.js, o, h.js, o, mask?.js ?? null, 0);
        close(h, `elmanForward ${act} ${B}×${H} mask ${masked}`);
        const dh = pair(n), dpre = pair(o + n), dhPrev = pair(n);
        be.elmanBackward(act, B, H, h.w, o, dh.w, 0, dpre.w, o, dhPrev.w, 0, mask?.w ?? null, 0);
        js.elmanBackward(act, B, H, h.js, o, dh.js, 0, dpre.js, o, dhPrev.js, 0, mask?.js ?? null, 0);
        close(dpre, `elmanBackward dpre ${act}`);
        close(dhPrev, `elmanBackward dhPrev ${act}`);
      }
    }
  }
});

test('lstmForward / lstmBackward with held rows', { skip: SKIP }, () => {
  for (const [B, H] of cellShapes) {
    for (const masked of [false, true]) {
      const n = B * H, o = 1;
      const mask = masked ? maskPair(B) : null;
      const gates = pair(o + 4 * n, -3, 3), cPrev = pair(n), c = pair(o + n), hPrev = pair(n), h = pair(n);
      be.lstmForward(B, H, gates.w, o, cPrev.w, 0, c.w, o, hPrev.w, 0, h.w, 0, mask?.w ?? null, 0);
      js.lstmForward(B, H, gates.js, o, cPrev.js, 0, c.js, o, hPrev.js, 0, h.js, 0, mask?.js ?? null, 0);
      close(gates, 'lstmForward gates'); close(c, 'lstmForward c'); close(h, 'lstmForward h');
      const dh = pair(n), dc = pair(o + n), dg = pair(4 * n), dcPrev = pair(n), dhPrev = pair(o + n);
      be.lstmBackward(B, H, gates.w, o, cPrev.w, 0, c.w, o, dh.w, 0, dc.w, o, dg.w, 0, dcPrev.w, 0, dhPrev.w, o, mask?.w ?? null, 0);
      js.lstmBackward(B, H, gates.js, o, cPrev.js, 0, c.js, o, dh.js, 0, dc.js, o, dg.js, 0, dcPrev.js, 0, dhPrev.js, o, mask?.js ?? null, 0);
      close(dg, `lstmBackward dgates ${B}×${H}`); close(dcPrev, 'lstmBackward dcPrev'); close(dhPrev, 'lstmBackward dhPrev');
    }
  }
});

test('gruForward / gruBackward with held rows', { skip: SKIP }, () => {
  for (const [B, H] of cellShapes) {
    for (const masked of [false, true]) {
      const n = B * H, o = 2;
      const mask = masked ? maskPair(B) : null;
      const xg = pair(o + 3 * n, -2, 2), hg = pair(3 * n, -2, 2), hPrev = pair(o + n), h = pair(n), cache = pair(o + 4 * n);
      be.gruForward(B, H, xg.w, o, hg.w, 0, hPrev.w, o, h.w, 0, cache.w, o, mask?.w ?? null, 0);
      js.gruForward(B, H, xg.js, o, hg.js, 0, hPrev.js, o, h.js, 0, cache.js, o, mask?.js ?? null, 0);
      close(h, `gruForward h ${B}×${H}`); close(cache, 'gruForward cache');
      const dh = pair(n), dxg = pair(3 * n), dhg = pair(o + 3 * n), dhPrev = pair(n);
      be.gruBackward(B, H, hPrev.w, o, cache.w, o, dh.w, 0, dxg.w, 0, dhg.w, o, dhPrev.w, 0, mask?.w ?? null, 0);
      js.gruBackward(B, H, hPrev.js, o, cache.js, o, dh.js, 0, dxg.js, 0, dhg.js, o, dhPrev.js, 0, mask?.js ?? null, 0);
      close(dxg, 'gruBackward dxg'); close(dhg, 'gruBackward dhg'); close(dhPrev, 'gruBackward dhPrev');
    }
  }
});

// ------------------------------------------------------------------ heads and losses

test('softmax, softmaxBackward (write and accumulate)', { skip: SKIP }, () => {
  for (const [rows, cols] of [[1, 1], [1, 83], [7, 5], [4, 130]]) {
    for (const temperature of [1, 0.7]) {
      const x = pair(3 + rows * cols, -8, 8), out = pair(1 + rows * cols);
      be.softmax(rows, cols, x.w, 3, out.w, 1, temperature);
      js.softmax(rows, cols, x.js, 3, out.js, 1, temperature);
      close(out, `softmax ${rows}×${cols} T=${temperature}`);
      for (const accumulate of [false, true]) {
        const dp = pair(rows * cols), dx = pair(2 + rows * cols);
        be.softmaxBackward(rows, cols, out.w, 1, dp.w, 0, dx.w, 2, accumulate);
        js.softmaxBackward(rows, cols, out.js, 1, dp.js, 0, dx.js, 2, accumulate);
        close(dx, `softmaxBackward accumulate ${accumulate}`);
      }
    }
  }
});

test('softmaxCrossEntropy with ignored targets, with and without dlogits', { skip: SKIP }, () => {
  for (const [rows, cols] of [[1, 1], [1, 83], [9, 7], [33, 130]]) {
    const logits = pair(2 + rows * cols, -10, 10);
    const targets = ints(rows + 3, 0, cols);
    if (rows > 2) targets[4] = -1;
    for (const withGrad of [false, true]) {
      const d = pair(1 + rows * cols);
      const lw = be.softmaxCrossEntropy(rows, cols, logits.w, 2, targets, 3, withGrad ? d.w : null, 1, 1 / rows);
      const lj = js.softmaxCrossEntropy(rows, cols, logits.js, 2, targets, 3, withGrad ? d.js : null, 1, 1 / rows);
      assert.ok(Math.abs(lw - lj) <= 1e-5 * Math.abs(lj) + 1e-5, `CE loss ${rows}×${cols}: ${lw} vs ${lj}`);
      close(d, `CE dlogits ${rows}×${cols}`);
    }
  }
  assert.throws(() => be.softmaxCrossEntropy(1, 3, be.alloc(3), 0, Int32Array.of(3), 0, null, 0, 1), RangeError);
});

test('squaredError with weights and gradient', { skip: SKIP }, () => {
  const n = 37;
  const pred = pair(1 + n), target = pair(2 + n), weight = pair(n);
  for (let i = 0; i < n; i += 3) weight.js[i] = weight.w[i] = 0;
  for (const w of [null, weight]) {
    const d = pair(n);
    const lw = be.squaredError(n, pred.w, 1, target.w, 2, w?.w ?? null, 0, d.w, 0, 0.25);
    const lj = js.squaredError(n, pred.js, 1, target.js, 2, w?.js ?? null, 0, d.js, 0, 0.25);
    assert.ok(Math.abs(lw - lj) <= 1e-12 * lj, `squaredError ${lw} vs ${lj}`);
    close(d, 'squaredError dpred');
  }
  assert.equal(be.squaredError(n, pred.w, 1, target.w, 2, null, 0, null, 0, 1), js.squaredError(n, pred.js, 1, target.js, 2, null, 0, null, 0, 1));
});

// ------------------------------------------------------------------ vector ops

test('fill, copy, axpy, scale, mul, clampAbs, sumSquares', { skip: SKIP }, () => {
  for (const n of [1, 3, 17, 50001]) {
    const x = pair(2 + n, -3, 3), y = pair(3 + n, -3, 3), out = pair(n + 1);
    be.axpy(n, -0.7, x.w, 2, y.w, 3); js.axpy(n, -0.7, x.js, 2, y.js, 3); close(y, `axpy ${n}`);
    be.scale(n, 1.3, x.w, 1); js.scale(n, 1.3, x.js, 1); close(x, `scale ${n}`);
    be.mul(n, x.w, 2, y.w, 3, out.w, 1); js.mul(n, x.js, 2, y.js, 3, out.js, 1); close(out, `mul ${n}`);
    be.clampAbs(n, y.w, 3, 1.5); js.clampAbs(n, y.js, 3, 1.5); close(y, `clampAbs ${n}`);
    const z = pair(2 + n, -3, 3); // fresh: scale() rounds its factor to f32, the reference does not
    const sw = be.sumSquares(n, z.w, 2), sj = js.sumSquares(n, z.js, 2);
    assert.ok(Math.abs(sw - sj) <= 1e-12 * sj, `sumSquares ${n}: ${sw} vs ${sj}`);
    be.copy(n, x.w, 2, out.w, 0); js.copy(n, x.js, 2, out.js, 0); close(out, `copy ${n}`);
    be.fill(out.w, 1, n, 0.25); js.fill(out.js, 1, n, 0.25); close(out, `fill ${n}`);
  }
  const nan = be.alloc(5);
  nan.set([NaN, 9, -9, 0.5, -0.5]);
  be.clampAbs(5, nan, 0, 1);
  assert.deepEqual([...nan].slice(1), [1, -1, 0.5, -0.5]);
  assert.ok(Number.isNaN(nan[0]), 'clampAbs keeps NaN');
});

// ------------------------------------------------------------------ optimizers

test('sgd (plain, momentum, nesterov), adagrad, rmsprop, adam / adamw over several steps', { skip: SKIP }, () => {
  const n = 1003;
  const run = (what: string, step: (p: Pair, g: Pair, s: Pair[], be_: 'w' | 'js', t: number) => void, states: number, lo = -1) => {
    const p = pair(n), g = pair(n), s = Array.from({ length: states }, () => pair(n, lo < 0 ? 0 : lo, 1));
    for (let t = 1; t <= 5; t++) {
      const fresh = pair(n);
      g.js.set(fresh.js); g.w.set(fresh.w);
      step(p, g, s, 'w', t); step(p, g, s, 'js', t);
      close(p, `${what} p (step ${t})`);
      s.forEach((x, i) => close(x, `${what} state ${i} (step ${t})`));
    }
  };
  const pick = (x: Pair, k: 'w' | 'js'): Buf => x[k];
  const B = (k: 'w' | 'js') => (k === 'w' ? be : js);
  for (const [momentum, nesterov, wd] of [[0, false, 0], [0.9, false, 0.01], [0.9, true, 0]] as const) {
    run(`sgd μ=${momentum} nesterov=${nesterov}`, (p, g, s, k, t) =>
      B(k).sgdStep(n, pick(p, k), pick(g, k), momentum ? pick(s[0], k) : null, 0.1, momentum, nesterov, wd, t === 1), 1);
  }
  run('adagrad', (p, g, s, k) => B(k).adagradStep(n, pick(p, k), pick(g, k), pick(s[0], k), 0.1, 1e-10, 0.01), 1, 0);
  run('rmsprop', (p, g, s, k) => B(k).rmspropStep(n, pick(p, k), pick(g, k), pick(s[0], k), 0.01, 0.99, 1e-8, 0), 1, 0);
  for (const [wd, decoupled] of [[0, false], [0.01, false], [0.01, true]] as const) {
    run(`adam wd=${wd} decoupled=${decoupled}`, (p, g, s, k, t) =>
      B(k).adamStep(n, pick(p, k), pick(g, k), pick(s[0], k), pick(s[1], k), 2e-3, 0.9, 0.999, 1e-8, wd, decoupled, t), 2, 0);
  }
});

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

test('relaxed-SIMD build agrees with the reference too', { skip: SKIP }, async () => {
  const r = await createNodeWasmBackend({ relaxed: true });
  if (!r.relaxed) return; // engine without relaxed SIMD: the plain build was loaded, covered above
  for (const tb of [false, true]) {
    const m = 13, n = 29, k = 301;
    const A = pair(m * k, -1, 1, r), B = pair(k * n, -1, 1, r), C = pair(m * n, -1, 1, r);
    r.gemm(false, tb, m, n, k, 1, A.w, 0, k, B.w, 0, tb ? k : n, 0.5, C.w, 0, n);
    js.gemm(false, tb, m, n, k, 1, A.js, 0, k, B.js, 0, tb ? k : n, 0.5, C.js, 0, n);
    assertClose(C.w, C.js, `relaxed gemm transB ${tb}`, 1e-4, 1e-4);
  }
  const x = pair(999, -20, 20, r), y = r.alloc(999);
  r.applyMath('tanh', 999, x.w, 0, y, 0);
  assertClose(y, x.js.map(Math.tanh), 'relaxed tanh', 1e-6, 1e-7);
});

// ------------------------------------------------------------------ threads

test('threads: 2 threads give bit-identical results to 1 thread', { skip: SKIP }, async (t) => {
  const two = await createNodeWasmBackend({ threads: 2 });
  t.after(() => two.dispose());
  assert.equal(two.threads, 2);
  /** Same random contents in `be` (1 thread) and `two`. */
  const twin = (n: number, lo = -1, hi = 1): { a: Float32Array; b: Float32Array } => {
    const p = pair(n, lo, hi);
    const b = two.alloc(n);
    b.set(p.w);
    return { a: p.w, b };
  };
  const same = (x: { a: Float32Array; b: Float32Array }, what: string) => {
    for (let i = 0; i < x.a.length; i++) {
      if (!Object.is(x.a[i], x.b[i])) assert.fail(`${what}[${i}]: 1 thread ${x.a[i]}, 2 threads ${x.b[i]}`);
    }
  };
  const before = two.parallelCalls;
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    for (const [m, n, k] of [[37, 301, 129], [301, 37, 129], [32, 2048, 64]]) {
      const A = twin(m * k), B = twin(k * n), C = twin(m * n);
      const args = [ta ? m : k, tb ? k : n] as const;
      be.gemm(ta, tb, m, n, k, 0.9, A.a, 0, args[0], B.a, 0, args[1], 0.5, C.a, 0, n);
      two.gemm(ta, tb, m, n, k, 0.9, A.b, 0, args[0], B.b, 0, args[1], 0.5, C.b, 0, n);
      same(C, `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k}`);
    }
  }
  const Bt = 33, H = 131, n = Bt * H;
  const mask = twin(Bt);
  for (let b = 0; b < Bt; b++) mask.a[b] = mask.b[b] = b % 5 === 1 ? 0 : 1;
  for (const act of ['tanh', 'sigmoid'] as Activation[]) {
    const pre = twin(n, -3, 3), hp = twin(n), h = twin(n), dh = twin(n), dpre = twin(n), dhp = twin(n);
    be.elmanForward(act, Bt, H, pre.a, 0, hp.a, 0, h.a, 0, mask.a, 0);
    two.elmanForward(act, Bt, H, pre.b, 0, hp.b, 0, h.b, 0, mask.b, 0);
    same(h, 'elmanForward');
    be.elmanBackward(act, Bt, H, h.a, 0, dh.a, 0, dpre.a, 0, dhp.a, 0, mask.a, 0);
    two.elmanBackward(act, Bt, H, h.b, 0, dh.b, 0, dpre.b, 0, dhp.b, 0, mask.b, 0);
    same(dpre, 'elmanBackward dpre'); same(dhp, 'elmanBackward dhPrev');
  }
  {
    const g = twin(4 * n, -3, 3), cp = twin(n), c = twin(n), hp = twin(n), h = twin(n);
    be.lstmForward(Bt, H, g.a, 0, cp.a, 0, c.a, 0, hp.a, 0, h.a, 0, mask.a, 0);
    two.lstmForward(Bt, H, g.b, 0, cp.b, 0, c.b, 0, hp.b, 0, h.b, 0, mask.b, 0);
    same(g, 'lstmForward gates'); same(c, 'lstmForward c'); same(h, 'lstmForward h');
    const dh = twin(n), dc = twin(n), dg = twin(4 * n), dcp = twin(n), dhp = twin(n);
    be.lstmBackward(Bt, H, g.a, 0, cp.a, 0, c.a, 0, dh.a, 0, dc.a, 0, dg.a, 0, dcp.a, 0, dhp.a, 0, mask.a, 0);
    two.lstmBackward(Bt, H, g.b, 0, cp.b, 0, c.b, 0, dh.b, 0, dc.b, 0, dg.b, 0, dcp.b, 0, dhp.b, 0, mask.b, 0);
    same(dg, 'lstmBackward dgates'); same(dcp, 'lstmBackward dcPrev'); same(dhp, 'lstmBackward dhPrev');
  }
  {
    const xg = twin(3 * n, -2, 2), hg = twin(3 * n, -2, 2), hp = twin(n), h = twin(n), cache = twin(4 * n);
    be.gruForward(Bt, H, xg.a, 0, hg.a, 0, hp.a, 0, h.a, 0, cache.a, 0, mask.a, 0);
    two.gruForward(Bt, H, xg.b, 0, hg.b, 0, hp.b, 0, h.b, 0, cache.b, 0, mask.b, 0);
    same(h, 'gruForward h'); same(cache, 'gruForward cache');
    const dh = twin(n), dxg = twin(3 * n), dhg = twin(3 * n), dhp = twin(n);
    be.gruBackward(Bt, H, hp.a, 0, cache.a, 0, dh.a, 0, dxg.a, 0, dhg.a, 0, dhp.a, 0, mask.a, 0);
    two.gruBackward(Bt, H, hp.b, 0, cache.b, 0, dh.b, 0, dxg.b, 0, dhg.b, 0, dhp.b, 0, mask.b, 0);
    same(dxg, 'gruBackward dxg'); same(dhg, 'gruBackward dhg'); same(dhp, 'gruBackward dhPrev');
  }
  {
    const rows = 97, cols = 171;
    const x = twin(rows * cols, -6, 6), out = twin(rows * cols), d = twin(rows * cols);
    be.softmax(rows, cols, x.a, 0, out.a, 0, 0.8);
    two.softmax(rows, cols, x.b, 0, out.b, 0, 0.8);
    same(out, 'softmax');
    const targets = ints(rows, -1, cols);
    const la = be.softmaxCrossEntropy(rows, cols, x.a, 0, targets, 0, d.a, 0, 1 / rows);
    const lb = two.softmaxCrossEntropy(rows, cols, x.b, 0, targets, 0, d.b, 0, 1 / rows);
    assert.ok(Object.is(la, lb), `CE loss ${la} vs ${lb}`);
    same(d, 'softmaxCrossEntropy dlogits');
  }
  {
    const N = 70001;
    const x = twin(N);
    assert.ok(Object.is(be.sumSquares(N, x.a, 0), two.sumSquares(N, x.b, 0)), 'sumSquares');
    const p = twin(N), g = twin(N), m = twin(N, 0, 1), v = twin(N, 0, 1), s = twin(N, 0, 1);
    be.adamStep(N, p.a, g.a, m.a, v.a, 2e-3, 0.9, 0.999, 1e-8, 0.01, true, 3);
    two.adamStep(N, p.b, g.b, m.b, v.b, 2e-3, 0.9, 0.999, 1e-8, 0.01, true, 3);
    same(p, 'adam p'); same(m, 'adam m'); same(v, 'adam v');
    be.sgdStep(N, p.a, g.a, s.a, 0.1, 0.9, true, 0.001, false);
    two.sgdStep(N, p.b, g.b, s.b, 0.1, 0.9, true, 0.001, false);
    same(p, 'sgd p'); same(s, 'sgd v');
    be.adagradStep(N, p.a, g.a, s.a, 0.1, 1e-10, 0);
    two.adagradStep(N, p.b, g.b, s.b, 0.1, 1e-10, 0);
    same(p, 'adagrad p'); same(s, 'adagrad s');
    be.rmspropStep(N, p.a, g.a, s.a, 0.01, 0.99, 1e-8, 0);
    two.rmspropStep(N, p.b, g.b, s.b, 0.01, 0.99, 1e-8, 0);
    same(p, 'rmsprop p'); same(s, 'rmsprop s');
  }
  assert.ok(two.parallelCalls - before >= 20, `calls split across threads: ${two.parallelCalls - before}`);
  // and the worker really took part: a product of a few milliseconds leaves it time to wake and join
  const joinedBefore = two.workerParts;
  const big = 384, X = twin(big * big), Y = twin(big * big), Z = twin(big * big);
  for (let r = 0; r < 10; r++) two.gemm(false, true, big, big, big, 1, X.b, 0, big, Y.b, 0, big, 0, Z.b, 0, big);
  be.gemm(false, true, big, big, big, 1, X.a, 0, big, Y.a, 0, big, 0, Z.a, 0, big);
  same(Z, 'gemm 384³');
  assert.ok(two.workerParts > joinedBefore, 'no split call was joined by the worker');
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
