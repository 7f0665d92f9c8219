/**
 * Row and column bookkeeping around the matrix products: bias add/sum and embedding-style gathers and scatters.
 * They are memory-bound and small next to the GEMMs, so they stay single-threaded and simple; ids are i32 arrays
 * already copied into wasm memory by the JS side.
 */
import { ld, st, splat, at } from './simd';

/** C[r, :] += bias for each row. */
export function addRowVector(C: usize, rows: i32, cols: i32, ldc: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const c = at(C, r * ldc);
    for (let j = 0; j < cols; j += 4) {
      const n = cols - j;
      st(at(c, j), f32x4.add(ld(at(c, j), n), ld(at(bias, j), n)), n);
    }
  }
}

/** dst[j] += Σ_r src[r, j], rows added in order. */
export function sumRows(src: usize, rows: i32, cols: i32, lds: i32, dst: usize): void {
  for (let j = 0; j < cols; j += 4) {
    const n = cols - j;
    let acc = ld(at(dst, j), n);
    for (let r = 0; r < rows; r++) acc = f32x4.add(acc, ld(at(src, r * lds + j), n));
    st(at(dst, j), acc, n);
  }
}

/** dst[i, :] = beta·dst[i, :] + table[ids[i], :]; id < 0 contributes nothing. */
export function gatherRows(table: usize, dim: i32, ids: usize, n: i32, dst: usize, ldd: i32, beta: f32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const d = at(dst, i * ldd);
    for (let j = 0; j < dim; j += 4) {
      const r = dim - j;
      let v = beta == 0 ? splat(0) : f32x4.mul(ld(at(d, j), r), splat(beta));
      if (id >= 0) v = f32x4.add(v, ld(at(table, id * dim + j), r));
      st(at(d, j), v, r);
    }
  }
}

/** table[ids[i], :] += src[i, :]; id < 0 skipped. Rows are added in order of i (ids may repeat). */
export function scatterAddRows(src: usize, lds: i32, ids: usize, n: i32, table: usize, dim: i32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id < 0) continue;
    const s = at(src, i * lds), t = at(table, id * dim);
    for (let j = 0; j < dim; j += 4) {
      const r = dim - j;
      st(at(t, j), f32x4.add(ld(at(t, j), r), ld(at(s, j), r)), r);
    }
  }
}

/** dst[i, r] = beta·dst[i, r] + W[r, ids[i]] (W rows×cols): a one-hot input times Wᵀ. */
export function gatherCols(W: usize, rows: i32, cols: i32, ids: usize, n: i32, dst: usize, ldd: i32, beta: f32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    const d = at(dst, i * ldd);
    for (let r = 0; r < rows; r++) {
      const p = at(d, r);
      let v: f32 = beta == 0 ? 0 : beta * load<f32>(p);
      if (id >= 0) v += load<f32>(at(W, r * cols + id));
      store<f32>(p, v);
    }
  }
}

/** W[r, ids[i]] += src[i, r]. */
export function scatterAddCols(src: usize, lds: i32, ids: usize, n: i32, W: usize, rows: i32, cols: i32): void {
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (id < 0) continue;
    const s = at(src, i * lds);
    for (let r = 0; r < rows; r++) {
      const p = at(W, r * cols + id);
      store<f32>(p, load<f32>(p) + load<f32>(at(s, r)));
    }
  }
}

