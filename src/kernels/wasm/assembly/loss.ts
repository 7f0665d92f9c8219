/**
 * Softmax heads and losses.
 *
 * Row sums of exponentials and dot products are accumulated in f64 lanes (the reference accumulates in double), and
 * the cross-entropy writes one f64 loss per row instead of a running total: the JS side then sums the rows in order,
 * so the returned loss does not depend on how rows were split between threads.
 */
import { ld, st, splat, laneMask, lowF64, highF64, hsumF64, at, partStart } from './simd';
import { exp4 } from './math';

/** max_j x[j]·s over a row (s = 1/temperature). */
function rowMax(x: usize, n: i32, s: f32): f32 {
  let m = splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) m = f32x4.max(m, f32x4.mul(v128.load(at(x, j)), splat(s)));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; j < n; j++) r = max(r, load<f32>(at(x, j)) * s);
  return r;
}

/** e[j] = exp(x[j]·s − mx) written to e; returns Σ e[j] in f64. */
function expRow(x: usize, n: i32, s: f32, mx: f32, e: usize): f64 {
  let lo = f64x2.splat(0), hi = lo;
  for (let j = 0; j < n; j += 4) {
    const r = n - j;
    let v = exp4(f32x4.sub(f32x4.mul(ld(at(x, j), r), splat(s)), splat(mx)));
    if (r < 4) v = v128.and(v, laneMask(r));
    st(at(e, j), v, r);
    lo = f64x2.add(lo, lowF64(v)); hi = f64x2.add(hi, highF64(v));
  }
  return hsumF64(f64x2.add(lo, hi));
}

/** y[j] *= a over a row. */
function scaleRow(y: usize, n: i32, a: f32): void {
  for (let j = 0; j < n; j += 4) {
    const r = n - j;
    st(at(y, j), f32x4.mul(ld(at(y, j), r), splat(a)), r);
  }
}

export function softmax(rows: i32, cols: i32, x: usize, out: usize, temperature: f32, part: i32, nparts: i32): void {
  const s: f32 = <f32>(1 / <f64>temperature);
  const r1 = partStart(rows, part + 1, nparts, 1);
  for (let r = partStart(rows, part, nparts, 1); r < r1; r++) {
    const xi = at(x, r * cols), oi = at(out, r * cols);
    const sum = expRow(xi, cols, s, rowMax(xi, cols, s), oi);
    scaleRow(oi, cols, <f32>(1 / sum));
  }
}

/** Σ_j p[j]·dp[j] in f64. */
function dotRow(p: usize, q: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = lo;
  for (let j = 0; j < n; j += 4) {
    const r = n - j;
    const v = f32x4.mul(ld(at(p, j), r), ld(at(q, j), r));
    lo = f64x2.add(lo, lowF64(v)); hi = f64x2.add(hi, highF64(v));
  }
  return hsumF64(f64x2.add(lo, hi));
}

export function softmaxBackward(rows: i32, cols: i32, p: usize, dp: usize, dx: usize, accumulate: i32): void {
  for (let r = 0; r < rows; r++) {
    const pi = at(p, r * cols), di = at(dp, r * cols), xi = at(dx, r * cols);
    const dot = splat(<f32>dotRow(pi, di, cols));
    for (let j = 0; j < cols; j += 4) {
      const n = cols - j;
      let v = f32x4.mul(ld(at(pi, j), n), f32x4.sub(ld(at(di, j), n), dot));
      if (accumulate) v = f32x4.add(ld(at(xi, j), n), v);
      st(at(xi, j), v, n);
    }
  }
}

/**
 * Per row r with targets[r] ≥ 0: loss[r] = logsumexp(l[r, :]) − l[r, t] (f64) and, when dl ≠ 0,
 * dl[r, :] = scale·(softmax − onehot). Ignored rows: loss 0, dl zeros.
 */
export function softmaxCrossEntropy(rows: i32, cols: i32, logits: usize, targets: usize, dl: usize, scale: f32,
  loss: usize, part: i32, nparts: i32): void {
  const r1 = partStart(rows, part + 1, nparts, 1);
  for (let r = partStart(rows, part, nparts, 1); r < r1; r++) {
    const t = load<i32>(targets + (<usize>r << 2));
    const li = at(logits, r * cols), di: usize = dl == 0 ? 0 : at(dl, r * cols);
    const lp = loss + (<usize>r << 3);
    if (t < 0) {
      store<f64>(lp, 0);
      if (dl != 0) memory.fill(di, 0, <usize>cols << 2);
      continue;
    }
    const mx = rowMax(li, cols, 1);
    // exponentials go to dl when it is wanted; otherwise they are only summed
    const sum = dl != 0 ? expRow(li, cols, 1, mx, di) : expSum(li, cols, mx);
    store<f64>(lp, <f64>mx + Math.log(sum) - <f64>load<f32>(at(li, t)));
    if (dl != 0) {
      scaleRow(di, cols, <f32>(<f64>scale / sum));
      store<f32>(at(di, t), load<f32>(at(di, t)) - scale);
    }
  }
}

/** Σ_j exp(x[j] − mx) without storing the terms. */
function expSum(x: usize, n: i32, mx: f32): f64 {
  let lo = f64x2.splat(0), hi = lo;
  for (let j = 0; j < n; j += 4) {
    const r = n - j;
    let v = exp4(f32x4.sub(ld(at(x, j), r), splat(mx)));
    if (r < 4) v = v128.and(v, laneMask(r));
    lo = f64x2.add(lo, lowF64(v)); hi = f64x2.add(hi, highF64(v));
  }
  return hsumF64(f64x2.add(lo, hi));
}

/** Σ (pred − target)² where weight ≠ 0 (weight = 0: all), in f64 as the reference; dpred = 2·scale·e when given. */
export function squaredError(n: i32, pred: usize, target: usize, weight: usize, dpred: usize, scale: f64): f64 {
  let loss: f64 = 0;
  for (let i = 0; i < n; i++) {
    const w: f32 = weight != 0 ? load<f32>(at(weight, i)) : 1;
    const e: f64 = w == 0 ? 0 : <f64>load<f32>(at(pred, i)) - <f64>load<f32>(at(target, i));
    loss += e * e;
    if (dpred != 0) store<f32>(at(dpred, i), <f32>(2 * scale * e));
  }
  return loss;
}

/** Σ of n f64 values in order (the per-row losses / per-block partial sums). */
export function sumF64(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += load<f64>(x + (<usize>i << 3));
  return s;
}
