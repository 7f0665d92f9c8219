/**
 * The numeric kernel interface: the only place where loops over matrices live.
 *
 * Cells, heads, losses and optimizers call these kernels; backends implement them
 * (the plain TypeScript reference in js.ts, SIMD WebAssembly, native). The shape
 * of the interface follows three rules so that a fast backend can sit behind it:
 *
 *  1. BLAS-style addressing: every operand is (buffer, offset, leading dimension).
 *     Nothing allocates or creates views per call, so the time loop allocates
 *     nothing; buffers come from `alloc` once per (batch, sequence length) and are
 *     reused across steps. A WASM backend maps (buffer, offset) to a pointer.
 *  2. Fused per-step cell kernels: one call does gates + nonlinearities + state
 *     update for a whole batch at one time step (forward), and one call its
 *     derivative (backward). The matrix products around them are `gemm` calls.
 *  3. Row-major storage everywhere; matrices are stored as PyTorch stores them.
 *
 * Buffers are Float32Array; the JS backend also accepts Float64Array (dtype 'f64')
 * so that finite-difference gradient checks can run in double precision.
 */

import type { Kernels } from './kernels.generated.js';
import type { Buf, DType } from './types.js';

export type { Activation, Buf, DType } from './types.js';
export { ACTIVATION_CODE, activationCode } from './types.js';
/** A weight matrix in a backend's private layout (see Backend.packMatvec); opaque to callers. */
export type PackedMatrix = { readonly __packed: unique symbol };

/**
 * A backend: memory, the kernels of the table (src/kernels/table.ts, whose generated interface
 * kernels.generated.ts lists them with their documentation), and optionally packed matrix-vector products.
 */
export interface Backend extends Kernels {
  readonly name: string;
  readonly dtype: DType;

  /** A zero-filled buffer living in this backend's memory. */
  alloc(n: number): Buf;
  /** Release a buffer obtained from alloc (a no-op where the GC owns memory). */
  free(buf: Buf): void;

  /**
   * Optional, for repeated matrix-vector products with the same weights (sampling, one character at
   * a time): `packMatvec` copies W [n×k] (row stride ldw) into a layout of the backend's own, in
   * memory the backend owns (reusing `into`, an earlier result, when given), and `matvecPacked`
   * computes y[n] = alpha·W·x + beta·y from it. Backends that gain nothing leave both out; callers
   * then use gemm.
   */
  packMatvec?(n: number, k: number, W: Buf, wOff: number, ldw: number, into: PackedMatrix | null): PackedMatrix;
  matvecPacked?(P: PackedMatrix, alpha: number, x: Buf, xOff: number, beta: number, y: Buf, yOff: number): void;
}

/** Free buffers once each, skipping empty placeholders (which several fields may share). */
export function release(be: Backend, bufs: readonly Buf[]): void {
  for (const b of new Set(bufs)) if (b.length > 0) be.free(b);
}
