/**
 * Row and column bookkeeping around the matrix products: bias add/sum and embedding-style gathers and scatters.
 * They are memory-bound and small next to the GEMMs, so they stay single-threaded and simple; ids are i32 arrays
 * already copied into wasm memory by the JS side.
 */
import { ld, st, splat, at } from './simd';

/** C[r, :] += bias for each row. */
export function addRowVector(C: usize, rows: i32, cols: i32, ldc: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) addInto(at(C, r * ldc), bias, cols);
}

/** dst[j] += Σ_r src[r, j], rows added in order (row by row, so that reads stay sequential). */
export function sumRows(src: usize, rows: i32, cols: i32, lds: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) addInto(dst, at(src, r * lds), cols);
}

/** d[0:n] += s[0:n] */
function addInto(d: usize, s: usize, n: i32): void {
  for (let j = 0; j < n; j += 4) {
    const r = n - j;
    st(at(d, j), f32x4.add(ld(at(d, j), r), ld(at(s, j), r)), r);
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
    addInto(at(table, id * dim), at(src, i * lds), dim);
  }
}

/**
 * dst[i, r] = beta·dst[i, r] + W[r, ids[i]] (W rows×cols): a one-hot input times Wᵀ.
 * Reading a column of W is a strided walk; when many rows are gathered (n > 2·cols) W is first transposed into
 * `scratch` (cols×rows floats; 0 = no scratch), after which every gathered column is a contiguous row.
 */
export function gatherCols(W: usize, rows: i32, cols: i32, ids: usize, n: i32, dst: usize, ldd: i32, beta: f32,
  scratch: usize): void {
  if (scratch != 0 && n > 2 * cols) {
    transpose(W, rows, cols, scratch);
    gatherRows(scratch, rows, ids, n, dst, ldd, beta);
    return;
  }
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

/**
 * W[r, ids[i]] += src[i, r]. With `scratch` (cols×rows floats) and many rows (n > 2·cols), the rows are first summed
 * per id into a zeroed transposed copy with contiguous vector adds, then added into W's columns once.
 */
export function scatterAddCols(src: usize, lds: i32, ids: usize, n: i32, W: usize, rows: i32, cols: i32,
  scratch: usize): void {
  if (scratch != 0 && n > 2 * cols) {
    memory.fill(scratch, 0, <usize>rows * cols << 2);
    scatterAddRows(src, lds, ids, n, scratch, rows);
    addTransposed(scratch, cols, rows, W);
    return;
  }
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

/** dst (cols×rows) = srcᵀ for src rows×cols. */
function transpose(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let r = 0; r < rows; r++) {
    const s = at(src, r * cols);
    for (let c = 0; c < cols; c++) store<f32>(at(dst, c * rows + r), load<f32>(at(s, c)));
  }
}

/** dst (cols×rows) += srcᵀ for src rows×cols. */
function addTransposed(src: usize, rows: i32, cols: i32, dst: usize): void {
  for (let c = 0; c < cols; c++) {
    const d = at(dst, c * rows);
    for (let r = 0; r < rows; r++) {
      const p = at(d, r);
      store<f32>(p, load<f32>(p) + load<f32>(at(src, r * cols + c)));
    }
  }
}
