/**
 * The native backend against the JS reference, for every instruction set this CPU runs (so the
 * AVX2 and SSE2 paths are tested on an AVX-512 machine too): every kernel on awkward shapes (sizes
 * that are not multiples of the vector width or of the GEMM tiles, batch 1, offsets, leading
 * dimensions wider than the rows, all four transposes, each GEMM path, masks with held rows); bit-
 * identical results for 1, 2 and 3 threads; whole models (Elman, LSTM, GRU, two layers) giving the
 * JS backend's loss and gradients; and the bounds checks that keep a bad argument from writing
 * outside a typed array. Skips, saying why, when the addon is not built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Activation, Backend, Buf } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import { Model, type Batch } from '../../src/nn/model.js';
import type { ModelConfig } from '../../src/nn/config.js';
import { Optimizer } from '../../src/train/optim.js';
import { Trainer } from '../../src/train/trainer.js';
import { createNativeBackend, loadAddon, nativeIsas, type NativeBackend, type NativeIsa } from '../../src/node/native.js';
import { Rng } from '../../src/util/rng.js';
import { assertClose } from '../helpers/close.js';

const addon = loadAddon();
const SKIP = addon instanceof Error ? `native backend not built: ${addon.message}` : false;
if (SKIP) console.log(`# skipping native tests: ${SKIP}`);
const ISAS: NativeIsa[] = SKIP ? ['avx512'] : nativeIsas();

const js = new JsBackend('f32');
const rng = new Rng(7);

const rand = (n: number, lo = -1, hi = 1): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
const ints = (n: number, lo: number, hi: number): Int32Array => Int32Array.from({ length: n }, () => lo + rng.int(hi - lo));
/** The same contents twice: one copy for the reference, one for the native backend. */
const twin = (a: Float32Array): [Float32Array, Float32Array] => [a.slice(), a.slice()];
/** B mask values, row 1 held, others held with probability 0.3. */
const mask = (B: number): Float32Array => Float32Array.from({ length: B }, (_, b) => (b === 1 || (b > 1 && rng.next() < 0.3) ? 0 : 1));
const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string, rel = 2e-5, abs = 2e-6): void =>
  assertClose(got, want, what, rel, abs);
const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string): void => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]} (not bit-identical)`);
};

const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;
// Covers every GEMM path at VW = 16, 8 and 4: dot (m < VW), transposed broadcast (VW ≤ m ≤ 2·VW),
// packed B (m > 2·VW), broadcast with several row blocks (m > MC) and depth blocks (k > 256).
const SHAPES = [[1, 1, 1], [1, 37, 19], [3, 50, 300], [5, 3, 2], [8, 33, 17], [16, 33, 17], [17, 29, 40], [33, 70, 130],
  [64, 20, 9], [65, 45, 33], [130, 70, 300], [9, 300, 7]];

function gemmCase(be: Backend, ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number, nanC = false): void {
  const lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5, aOff = 2, bOff = 3, cOff = 4;
  const A = rand(aOff + (ta ? k : m) * lda), B = rand(bOff + (tb ? n : k) * ldb);
  const [Cj, Cn] = twin(rand(cOff + m * ldc + 3));
  // beta = 0 must ignore C entirely (NaN included), as the reference does.
  if (nanC) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) Cj[cOff + i * ldc + j] = Cn[cOff + i * ldc + j] = NaN;
  be.gemm(ta, tb, m, n, k, alpha, A, aOff, lda, B, bOff, ldb, beta, Cn, cOff, ldc);
  js.gemm(ta, tb, m, n, k, alpha, A, aOff, lda, B, bOff, ldb, beta, Cj, cOff, ldc);
  // Error bound from float32 rounding of Σ|alpha·a·b| (+ |beta·c|); untouched padding must be equal.
  const bound = new Float32Array(Cj.length);
  js.gemm(ta, tb, m, n, k, Math.abs(alpha), A.map(Math.abs), aOff, lda, B.map(Math.abs), bOff, ldb, 0, bound, cOff, ldc);
  for (let i = 0; i < Cj.length; i++) {
    const tol = 1e-6 + 3e-7 * (k + 2) * (bound[i] + Math.abs(beta * Cj[i]));
    if (!(Math.abs(Cn[i] - Cj[i]) <= tol)) {
      assert.fail(`gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k} α=${alpha} β=${beta}: C[${i}] = ${Cn[i]}, expected ${Cj[i]}`);
    }
  }
}

for (const isa of ISAS) {
  const make = (threads = 1): Promise<NativeBackend> => createNativeBackend({ isa, threads });

  test(`${isa}: gemm, all transposes and paths, odd sizes, offsets, leading dimensions, alpha/beta`, { skip: SKIP }, async () => {
    const be = await make();
    for (const [ta, tb] of TRANSPOSES) {
      for (const [m, n, k] of SHAPES) {
        for (const [alpha, beta] of [[1, 0], [0.7, 0.3], [1, 1], [-1.5, 0]]) gemmCase(be, ta, tb, m, n, k, alpha, beta);
      }
      gemmCase(be, ta, tb, 33, 21, 19, 1, 0, true);
      gemmCase(be, ta, tb, 4, 3, 0, 1, 0.5);   // k = 0: C = beta·C
      gemmCase(be, ta, tb, 4, 3, 5, 0, 2);     // alpha = 0
    }
  });

  test(`${isa}: rows and columns (bias, sums, gathers, scatters)`, { skip: SKIP }, async () => {
    const be = await make();
    for (const [rows, cols] of [[1, 1], [3, 17], [37, 100], [300, 33]]) {
      const ld = cols + 3;
      const [Cj, Cn] = twin(rand(2 + rows * ld)), bias = rand(cols + 1);
      js.addRowVector(Cj, 2, rows, cols, ld, bias, 1);
      be.addRowVector(Cn, 2, rows, cols, ld, bias, 1);
      close(Cn, Cj, `addRowVector ${rows}×${cols}`);
      const src = rand(1 + rows * ld), [dj, dn] = twin(rand(cols + 2));
      js.sumRows(src, 1, rows, cols, ld, dj, 2);
      be.sumRows(src, 1, rows, cols, ld, dn, 2);
      close(dn, dj, `sumRows ${rows}×${cols}`);
    }
    for (const [n, dim, V] of [[1, 1, 3], [7, 19, 5], [200, 37, 11], [50, 260, 9]]) {
      const table = rand(V * dim), ids = ints(n + 2, -1, V), ldd = dim + 2;
      for (const beta of [0, 0.5]) {
        const [dj, dn] = twin(rand(3 + n * ldd));
        js.gatherRows(table, dim, ids, 2, n, dj, 3, ldd, beta);
        be.gatherRows(table, dim, ids, 2, n, dn, 3, ldd, beta);
        close(dn, dj, `gatherRows n=${n} dim=${dim} beta=${beta}`);
      }
      const src = rand(1 + n * ldd), [tj, tn] = twin(rand(V * dim));
      js.scatterAddRows(src, 1, ldd, ids, 2, n, tj, dim);
      be.scatterAddRows(src, 1, ldd, ids, 2, n, tn, dim);
      close(tn, tj, `scatterAddRows n=${n} dim=${dim}`);
    }
    // Few ids (strided path) and many ids (transposed-scratch path).
    for (const [n, rows, cols] of [[1, 5, 3], [5, 37, 11], [100, 37, 11], [300, 130, 83]]) {
      const W = rand(rows * cols), ids = ints(n + 1, -1, cols), ldd = rows + 1;
      for (const beta of [0, 0.5]) {
        const [dj, dn] = twin(rand(2 + n * ldd));
        js.gatherCols(W, rows, cols, ids, 1, n, dj, 2, ldd, beta);
        be.gatherCols(W, rows, cols, ids, 1, n, dn, 2, ldd, beta);
        close(dn, dj, `gatherCols n=${n} ${rows}×${cols} beta=${beta}`);
      }
      const src = rand(3 + n * ldd), [Wj, Wn] = twin(W);
      js.scatterAddCols(src, 3, ldd, ids, 1, n, Wj, rows, cols);
      be.scatterAddCols(src, 3, ldd, ids, 1, n, Wn, rows, cols);
      close(Wn, Wj, `scatterAddCols n=${n} ${rows}×${cols}`);
    }
  });

  test(`${isa}: fused recurrent steps forward and backward, masks, odd H, batch 1`, { skip: SKIP }, async () => {
    const be = await make();
    for (const [B, H] of [[1, 1], [1, 37], [3, 16], [5, 17], [4, 100]]) {
      for (const m of [null, mask(B)]) {
        const what = `B=${B} H=${H}${m ? ' masked' : ''}`;
        for (const act of ['tanh', 'sigmoid', 'relu', 'identity'] as Activation[]) {
          const pre = rand(1 + B * H, -4, 4), hp = rand(2 + B * H), [hj, hn] = twin(rand(B * H + 3));
          js.elmanForward(act, B, H, pre, 1, hp, 2, hj, 3, m, 0);
          be.elmanForward(act, B, H, pre, 1, hp, 2, hn, 3, m, 0);
          close(hn, hj, `elmanForward ${act} ${what}`);
          const dh = rand(B * H), [pj, pn] = twin(rand(B * H)), [qj, qn] = twin(rand(B * H + 1));
          js.elmanBackward(act, B, H, hj, 3, dh, 0, pj, 0, qj, 1, m, 0);
          be.elmanBackward(act, B, H, hj, 3, dh, 0, pn, 0, qn, 1, m, 0);
          close(pn, pj, `elmanBackward ${act} ${what} dpre`);
          close(qn, qj, `elmanBackward ${act} ${what} dhPrev`);
        }
        // LSTM: cPrev/c and hPrev/h in one buffer each at different offsets, as the layers use them.
        const [gj, gn] = twin(rand(1 + 4 * B * H, -5, 5)), [cj, cn] = twin(rand(2 * B * H)), [hj, hn] = twin(rand(2 * B * H));
        js.lstmForward(B, H, gj, 1, cj, 0, cj, B * H, hj, 0, hj, B * H, m, 0);
        be.lstmForward(B, H, gn, 1, cn, 0, cn, B * H, hn, 0, hn, B * H, m, 0);
        close(gn, gj, `lstmForward gates ${what}`);
        close(cn, cj, `lstmForward c ${what}`);
        close(hn, hj, `lstmForward h ${what}`);
        const dh = rand(B * H), [dcj, dcn] = twin(rand(2 * B * H)), [dgj, dgn] = twin(rand(4 * B * H)), [dhj, dhn] = twin(rand(B * H));
        js.lstmBackward(B, H, gj, 1, cj, 0, cj, B * H, dh, 0, dcj, B * H, dgj, 0, dcj, 0, dhj, 0, m, 0);
        be.lstmBackward(B, H, gj, 1, cj, 0, cj, B * H, dh, 0, dcn, B * H, dgn, 0, dcn, 0, dhn, 0, m, 0);
        close(dgn, dgj, `lstmBackward dgates ${what}`);
        close(dcn, dcj, `lstmBackward dc ${what}`);
        close(dhn, dhj, `lstmBackward dhPrev ${what}`);

        const xg = rand(3 * B * H + 2, -3, 3), hg = rand(3 * B * H, -3, 3), hp = rand(B * H);
        const [hoj, hon] = twin(rand(B * H)), [kj, kn] = twin(rand(4 * B * H + 1));
        js.gruForward(B, H, xg, 2, hg, 0, hp, 0, hoj, 0, kj, 1, m, 0);
        be.gruForward(B, H, xg, 2, hg, 0, hp, 0, hon, 0, kn, 1, m, 0);
        close(hon, hoj, `gruForward h ${what}`);
        close(kn, kj, `gruForward cache ${what}`);
        const [xj, xn] = twin(rand(3 * B * H)), [yj, yn] = twin(rand(3 * B * H)), [pj, pn] = twin(rand(B * H));
        js.gruBackward(B, H, hp, 0, kj, 1, dh, 0, xj, 0, yj, 0, pj, 0, m, 0);
        be.gruBackward(B, H, hp, 0, kj, 1, dh, 0, xn, 0, yn, 0, pn, 0, m, 0);
        close(xn, xj, `gruBackward dxg ${what}`);
        close(yn, yj, `gruBackward dhg ${what}`);
        close(pn, pj, `gruBackward dhPrev ${what}`);
      }
    }
  });

  test(`${isa}: vectorised exp/tanh/sigmoid over their whole range`, { skip: SKIP }, async () => {
    const be = await make();
    const n = 4001, x = Float32Array.from({ length: n }, (_, i) => -100 + (200 * i) / (n - 1));
    const hp = new Float32Array(n);
    for (const act of ['tanh', 'sigmoid'] as Activation[]) {
      const [yj, yn] = twin(new Float32Array(n));
      js.elmanForward(act, 1, n, x, 0, hp, 0, yj, 0, null, 0);
      be.elmanForward(act, 1, n, x, 0, hp, 0, yn, 0, null, 0);
      close(yn, yj, act, 4e-6, 1e-7);
    }
    // Near zero, where 1 − 2/(e^{2x}+1) would lose tanh's relative accuracy.
    const small = Float32Array.from({ length: 101 }, (_, i) => (i - 50) * 1e-4);
    const [yj, yn] = twin(new Float32Array(101));
    js.elmanForward('tanh', 1, 101, small, 0, hp, 0, yj, 0, null, 0);
    be.elmanForward('tanh', 1, 101, small, 0, hp, 0, yn, 0, null, 0);
    close(yn, yj, 'tanh near 0', 1e-6, 1e-12);
  });

  test(`${isa}: softmax, its backward, cross-entropy, squared error`, { skip: SKIP }, async () => {
    const be = await make();
    for (const [rows, cols] of [[1, 1], [1, 83], [7, 5], [40, 17]]) {
      const x = rand(2 + rows * cols, -8, 8);
      for (const t of [1, 0.5]) {
        const [oj, on] = twin(new Float32Array(rows * cols + 1));
        js.softmax(rows, cols, x, 2, oj, 1, t);
        be.softmax(rows, cols, x, 2, on, 1, t);
        close(on, oj, `softmax ${rows}×${cols} T=${t}`);
      }
      const p = rand(rows * cols, 0, 1), dp = rand(rows * cols);
      for (const acc of [false, true]) {
        const [dj, dn] = twin(rand(rows * cols));
        js.softmaxBackward(rows, cols, p, 0, dp, 0, dj, 0, acc);
        be.softmaxBackward(rows, cols, p, 0, dp, 0, dn, 0, acc);
        close(dn, dj, `softmaxBackward ${rows}×${cols} acc=${acc}`);
      }
      const targets = ints(rows + 1, -1, cols);
      const [dj, dn] = twin(rand(rows * cols + 2));
      const lj = js.softmaxCrossEntropy(rows, cols, x, 2, targets, 1, dj, 2, 0.25);
      const ln = be.softmaxCrossEntropy(rows, cols, x, 2, targets, 1, dn, 2, 0.25);
      close([ln], [lj], `softmaxCrossEntropy loss ${rows}×${cols}`, 1e-5, 1e-6);
      close(dn, dj, `softmaxCrossEntropy dlogits ${rows}×${cols}`);
      close([be.softmaxCrossEntropy(rows, cols, x, 2, targets, 1, null, 0, 1)], [lj], 'softmaxCrossEntropy without dlogits', 1e-5, 1e-6);
    }
    for (const n of [1, 5, 17, 1000]) {
      const pred = rand(n + 1), target = rand(n + 2), w = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : 1));
      for (const weight of [null, w]) {
        const [dj, dn] = twin(rand(n));
        const lj = js.squaredError(n, pred, 1, target, 2, weight, 0, dj, 0, 0.5);
        const ln = be.squaredError(n, pred, 1, target, 2, weight, 0, dn, 0, 0.5);
        close([ln], [lj], `squaredError n=${n}`, 1e-5, 1e-6);
        close(dn, dj, `squaredError dpred n=${n}`);
        close([be.squaredError(n, pred, 1, target, 2, weight, 0, null, 0, 1)], [lj], 'squaredError without dpred', 1e-5, 1e-6);
      }
    }
  });

  test(`${isa}: vector ops and optimizer updates`, { skip: SKIP }, async () => {
    const be = await make();
    for (const n of [1, 15, 17, 1000, 40000]) {
      const x = rand(n + 3, -3, 3);
      const pairs: [string, (b: Backend, y: Float32Array) => void][] = [
        ['fill', (b, y) => b.fill(y, 1, n, 0.25)],
        ['copy', (b, y) => b.copy(n, x, 3, y, 1)],
        ['axpy', (b, y) => b.axpy(n, -0.7, x, 2, y, 1)],
        ['scale', (b, y) => b.scale(n, 1.7, y, 2)],
        ['mul', (b, y) => b.mul(n, x, 1, y, 2, y, 0)],
        ['clampAbs', (b, y) => b.clampAbs(n, y, 1, 0.5)],
      ];
      for (const [name, op] of pairs) {
        const [yj, yn] = twin(rand(n + 3, -2, 2));
        op(js, yj);
        op(be, yn);
        close(yn, yj, `${name} n=${n}`);
      }
      close([be.sumSquares(n, x, 2)], [js.sumSquares(n, x, 2)], `sumSquares n=${n}`, 1e-6, 1e-9);

      const g = rand(n, -2, 2);
      const opt: [string, (b: Backend, p: Float32Array, s1: Float32Array, s2: Float32Array) => void][] = [
        ['sgd', (b, p) => b.sgdStep(n, p, g, null, 0.1, 0, false, 0, true)],
        ['sgd momentum first', (b, p, v) => b.sgdStep(n, p, g, v, 0.1, 0.9, false, 0.01, true)],
        ['sgd nesterov', (b, p, v) => b.sgdStep(n, p, g, v, 0.1, 0.9, true, 0.01, false)],
        ['adagrad', (b, p, _m, s) => b.adagradStep(n, p, g, s, 0.1, 1e-10, 0.01)],
        ['rmsprop', (b, p, _m, s) => b.rmspropStep(n, p, g, s, 0.01, 0.99, 1e-8, 0.01)],
        ['adam', (b, p, m, v) => b.adamStep(n, p, g, m, v, 2e-3, 0.9, 0.999, 1e-8, 0, false, 3)],
        ['adam l2', (b, p, m, v) => b.adamStep(n, p, g, m, v, 2e-3, 0.9, 0.999, 1e-8, 0.1, false, 1)],
        ['adamw', (b, p, m, v) => b.adamStep(n, p, g, m, v, 2e-3, 0.9, 0.999, 1e-8, 0.01, true, 7)],
      ];
      for (const [name, step] of opt) {
        // Slot 2 holds squares (Adagrad's sum, RMSprop's and Adam's second moment): non-negative.
        const [pj, pn] = twin(rand(n)), [aj, an] = twin(rand(n, -1, 1)), [bj, bn] = twin(rand(n, 0, 1));
        step(js, pj, aj, bj);
        step(be, pn, an, bn);
        close(pn, pj, `${name} p n=${n}`, 1e-5, 1e-6);
        close(an, aj, `${name} slot 1 n=${n}`, 1e-5, 1e-6);
        close(bn, bj, `${name} slot 2 n=${n}`, 1e-5, 1e-6);
      }
    }
  });

  test(`${isa}: results are bit-identical for 1, 2 and 3 threads`, { skip: SKIP }, async () => {
    const bes = await Promise.all([make(1), make(2), make(3)]);
    const jobsBefore = (addon as Record<string, () => { jobs: number }>).poolStats().jobs;
    const runAll = (f: (be: Backend) => ArrayLike<number>[], what: string): void => {
      const [ref, ...rest] = bes.map(f);
      rest.forEach((out, t) => out.forEach((o, i) => same(o, ref[i], `${what} (${t + 2} threads, output ${i})`)));
    };
    // One shape per GEMM path, each large enough to be split across threads.
    for (const [ta, tb, m, n, k] of [[false, false, 64, 200, 300], [true, false, 300, 64, 200], [false, true, 1, 4096, 64],
      [false, true, 32, 1024, 256], [false, true, 200, 100, 300], [true, true, 100, 80, 50]] as [boolean, boolean, number, number, number][]) {
      const A = rand(m * k), B = rand(k * n), C0 = rand(m * n);
      runAll((be) => {
        const C = C0.slice();
        be.gemm(ta, tb, m, n, k, 1, A, 0, ta ? m : k, B, 0, tb ? k : n, 1, C, 0, n);
        return [C];
      }, `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k}`);
    }
    const B = 64, H = 300, m = mask(B);
    const gates = rand(4 * B * H, -4, 4), c0 = rand(B * H), h0 = rand(B * H), dh = rand(B * H), dc = rand(B * H);
    runAll((be) => {
      const g = gates.slice(), c = new Float32Array(B * H), h = new Float32Array(B * H);
      be.lstmForward(B, H, g, 0, c0, 0, c, 0, h0, 0, h, 0, m, 0);
      const dg = new Float32Array(4 * B * H), dcp = new Float32Array(B * H), dhp = dh.slice();
      be.lstmBackward(B, H, g, 0, c0, 0, c, 0, dh, 0, dc, 0, dg, 0, dcp, 0, dhp, 0, m, 0);
      const hg = new Float32Array(B * H), cache = new Float32Array(4 * B * H);
      be.gruForward(B, H, gates, 0, gates, B * H, h0, 0, hg, 0, cache, 0, m, 0);
      const e = new Float32Array(B * H);
      be.elmanForward('tanh', B, H, gates, 0, h0, 0, e, 0, m, 0);
      return [g, c, h, dg, dcp, dhp, hg, cache, e];
    }, 'cell kernels');
    const rows = 700, V = 83, logits = rand(rows * V, -5, 5), targets = ints(rows, -1, V), big = rand(200_000, -3, 3);
    const ids = ints(2000, 0, V), src = rand(2000 * 256);
    runAll((be) => {
      const d = new Float32Array(rows * V), p = new Float32Array(rows * V);
      const loss = be.softmaxCrossEntropy(rows, V, logits, 0, targets, 0, d, 0, 1 / rows);
      be.softmax(rows, V, logits, 0, p, 0, 1);
      const pm = big.slice(), m1 = new Float32Array(big.length), v1 = new Float32Array(big.length);
      be.adamStep(big.length, pm, big, m1, v1, 1e-3, 0.9, 0.999, 1e-8, 0, false, 1);
      const sums = new Float32Array(256), gc = new Float32Array(2000 * 256), W = new Float32Array(256 * V);
      be.sumRows(src, 0, 2000, 256, 256, sums, 0);
      be.gatherCols(logits, 256, V, ids, 0, 2000, gc, 0, 256, 0);
      be.scatterAddCols(src, 0, 256, ids, 0, 2000, W, 256, V);
      return [[loss], d, p, [be.sumSquares(big.length, big, 0)], pm, m1, v1, sums, gc, W];
    }, 'losses, optimizer, sums');
    // The 2- and 3-thread runs really went through the pool (whether a worker got there before the
    // caller had done every task depends on the machine's load, so that is not asserted).
    const jobs = (addon as Record<string, () => { jobs: number }>).poolStats().jobs - jobsBefore;
    assert.ok(jobs >= 24, `only ${jobs} parallel jobs ran`);
  });

  test(`${isa}: whole models (Elman, LSTM, GRU, two layers) match the JS backend's loss and gradients`, { skip: SKIP }, async () => {
    const be = await make(2);
    const V = 11, T = 7, B = 3;
    const configs: Partial<ModelConfig>[] = [
      { cell: 'elman', activation: 'tanh', hidden: 37, layers: 2, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax' },
      { cell: 'lstm', hidden: 37, layers: 2, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax' },
      { cell: 'gru', hidden: 37, layers: 2, inputKind: 'tokens', inputSize: V, embed: 5, outputSize: V, head: 'softmax' },
      { cell: 'lstm', hidden: 19, layers: 2, bidirectional: true, inputKind: 'dense', inputSize: 4, outputSize: 2, head: 'mse' },
    ];
    for (const config of configs) {
      const what = `${config.cell} ${config.inputKind}${config.bidirectional ? ' bidirectional' : ''}`;
      const batch: Batch = { T, B };
      if (config.inputKind === 'tokens') { batch.tokens = ints(T * B, 0, V); batch.targets = ints(T * B, 0, V); }
      else {
        batch.inputs = rand(T * B * 4);
        batch.targetValues = rand(T * B * 2);
        batch.lengths = Int32Array.from([T, 3, 5]);
      }
      const run = (b: Backend): { loss: number; grads: Buf; h: Buf[] } => {
        const model = new Model(config, b).init(new Rng(11));
        const state = model.newState(B);
        const loss = model.forward(batch, state, { train: true })!;
        model.zeroGrads();
        model.backward();
        return { loss: loss.loss, grads: model.grads.data, h: state.h };
      };
      const want = run(js), got = run(be);
      close([got.loss], [want.loss], `${what} loss`, 1e-4, 1e-5);
      close(got.grads, want.grads, `${what} gradients`, 1e-4, 1e-5);
      got.h.forEach((h, i) => close(h, want.h[i], `${what} final state ${i}`, 1e-4, 1e-5));
    }
    // Three training steps (SGD with momentum, global-norm clipping) end at the same parameters.
    const config: Partial<ModelConfig> = { cell: 'lstm', hidden: 29, layers: 1, inputKind: 'tokens', inputSize: V, outputSize: V, head: 'softmax' };
    const train = (b: Backend): Buf => {
      const model = new Model(config, b).init(new Rng(5));
      const trainer = new Trainer(model, new Optimizer(b, model.params, { name: 'sgd', lr: 0.5, momentum: 0.9 }), { clipNorm: 1 });
      const state = model.newState(B), r = new Rng(3);
      for (let s = 0; s < 3; s++) {
        const tokens = Int32Array.from({ length: T * B }, () => r.int(V));
        trainer.step({ T, B, tokens, targets: Int32Array.from(tokens, (t) => (t + 1) % V) }, state);
      }
      return model.params.data;
    };
    close(train(be), train(js), 'parameters after 3 training steps', 1e-4, 1e-5);
  });

  test(`${isa}: bad arguments throw RangeError/TypeError and write nothing`, { skip: SKIP }, async () => {
    const be = await make();
    const A = rand(12), B = rand(16), C = rand(12), before = C.slice();
    assert.throws(() => be.gemm(false, false, 3, 4, 4, 1, A, 1, 4, B, 0, 4, 0, C, 0, 4), /RangeError|A: needs 13 elements/);
    assert.throws(() => be.gemm(false, false, 3, 4, 4, 1, A, 0, 4, B, 0, 4, 0, C, 1, 4), /C: needs/);
    assert.throws(() => be.gemm(false, false, 3, 4, 4, 1, A, 0, 3, B, 0, 4, 0, C, 0, 4), /leading dimension/);
    assert.throws(() => be.gemm(false, false, -1, 4, 4, 1, A, 0, 4, B, 0, 4, 0, C, 0, 4), /negative/);
    assert.throws(() => be.gemm(false, false, 2, 2, 2, 1, new Float64Array(4), 0, 2, B, 0, 2, 0, C, 0, 2), /Float32Array/);
    assert.throws(() => be.fill(C, 10, 3, 0), RangeError);
    assert.throws(() => be.lstmForward(2, 2, rand(15), 0, C, 0, C, 4, C, 0, C, 4, null, 0), /gates/);
    same(C, before, 'C after refused calls');
    const ids = Int32Array.from([0, 5]), table = rand(10), dst = new Float32Array(4);
    assert.throws(() => be.gatherRows(table, 2, ids, 0, 2, dst, 0, 2, 0), /out of range/);
    assert.throws(() => be.gatherCols(table, 2, 5, ids, 0, 2, dst, 0, 2, 0), /out of range/);
    assert.throws(() => be.softmaxCrossEntropy(1, 3, table, 0, Int32Array.from([3]), 0, null, 0, 1), /out of range/);
    assert.throws(() => be.adamStep(20, rand(20), rand(19), rand(20), rand(20), 1, 0.9, 0.99, 1e-8, 0, false, 1), /g: needs/);
    same(dst, new Float32Array(4), 'dst after refused gathers');
  });

  test(`${isa}: packed matrix-vector products equal gemm, for any threads, and refuse what is not theirs`, { skip: SKIP }, async () => {
    const bes = [await make(1), await make(2), await make(3)];
    for (const [n, k] of [[1, 1], [7, 3], [83, 256], [129, 17], [1024, 256], [300, 1000]] as const) {
      const ldw = k + 3, W = rand(n * ldw + 5), x = rand(k + 2), y0 = rand(n + 1);
      for (const [alpha, beta] of [[1, 0], [0.5, 1], [-2, 0.25]]) {
        const want = y0.slice();
        js.gemm(false, true, 1, n, k, alpha, x, 2, k, W, 5, ldw, beta, want, 1, n);
        let first: Float32Array | null = null;
        for (const be of bes) {
          const P = be.packMatvec(n, k, W, 5, ldw, null);
          const got = y0.slice();
          be.matvecPacked(P, alpha, x, 2, beta, got, 1);
          // a float32 sum of k products against the reference's double sum: the error grows with k
          const tol = 1e-5 * Math.max(1, k / 100);
          close(got, want, `${n}×${k} alpha ${alpha} beta ${beta}, ${be.threads} threads`, 1e-5, tol);
          if (first) same(got, first, `${n}×${k}: threads`); else first = got;
          // Repacking into the same copy follows a change of the weights.
          const W2 = W.map((v) => -v), P2 = be.packMatvec(n, k, W2, 5, ldw, P);
          assert.equal(P2, P, 'packing into an earlier copy returns it');
          const neg = y0.slice(), negWant = y0.slice();
          be.matvecPacked(P2, alpha, x, 2, beta, neg, 1);
          js.gemm(false, true, 1, n, k, alpha, x, 2, k, W2, 5, ldw, beta, negWant, 1, n);
          close(neg, negWant, `${n}×${k} repacked`, 1e-5, tol);
        }
      }
    }
    const be = bes[0], P = be.packMatvec(4, 3, rand(12), 0, 3, null), y = new Float32Array(4);
    assert.throws(() => be.matvecPacked(P, 1, rand(2), 0, 0, y, 0), /x: needs/);
    assert.throws(() => be.matvecPacked(P, 1, rand(3), 0, 0, new Float32Array(3), 0), /y: needs/);
    assert.throws(() => be.matvecPacked({} as never, 1, rand(3), 0, 0, y, 0), /packed matrix/);
    assert.throws(() => be.packMatvec(4, 3, rand(11), 0, 3, null), /W: needs/);
    assert.throws(() => be.packMatvec(4, 3, rand(12), 0, 3, {} as never), /packed matrix/);
    same(y, new Float32Array(4), 'y after refused calls');
  });

  test(`${isa}: alloc gives zeroed, 64-byte aligned Float32Arrays of the size asked`, { skip: SKIP }, async () => {
    const be = await make();
    for (const n of [0, 1, 7, 1000]) {
      const b = be.alloc(n);
      assert.ok(b instanceof Float32Array);
      assert.equal(b.length, n);
      assert.ok(b.every((v) => v === 0));
    }
    assert.throws(() => be.alloc(-1), RangeError);
  });
}

test('createNativeBackend refuses bad options clearly', { skip: SKIP }, async () => {
  await assert.rejects(createNativeBackend({ threads: 0 }), /threads/);
  await assert.rejects(createNativeBackend({ isa: 'neon' as NativeIsa }), /unknown instruction set/);
  const be = await createNativeBackend({ threads: 2 });
  assert.equal(be.name, 'native');
  assert.match(be.describe(), /^native \((avx512|avx2|sse), 2 threads\)$/);
});
