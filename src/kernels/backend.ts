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

export type Buf = Float32Array | Float64Array;
/** A weight matrix in a backend's private layout (see Backend.packMatvec); opaque to callers. */
export type PackedMatrix = { readonly __packed: unique symbol };
export type DType = 'f32' | 'f64';

/** Elementwise nonlinearity of an Elman cell. */
export type Activation = 'tanh' | 'sigmoid' | 'relu' | 'identity';
export const ACTIVATION_CODE: Record<Activation, number> = { tanh: 0, sigmoid: 1, relu: 2, identity: 3 };

export interface Backend {
  readonly name: string;
  readonly dtype: DType;

  /** A zero-filled buffer living in this backend's memory. */
  alloc(n: number): Buf;
  /** Release a buffer obtained from alloc (a no-op where the GC owns memory). */
  free(buf: Buf): void;

  // ---------------------------------------------------------------- BLAS level 3
  /**
   * C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major.
   * op(A) = A (stored m×k, lda ≥ k) or Aᵀ (stored k×m, lda ≥ m); same for B.
   */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    A: Buf, aOff: number, lda: number,
    B: Buf, bOff: number, ldb: number,
    beta: number, C: Buf, cOff: number, ldc: number,
  ): void;

  /**
   * Optional, for repeated matrix-vector products with the same weights (sampling, one character at
   * a time): `packMatvec` copies W [n×k] (row stride ldw) into a layout of the backend's own, in
   * memory the backend owns (reusing `into`, an earlier result, when given), and `matvecPacked`
   * computes y[n] = alpha·W·x + beta·y from it. Backends that gain nothing leave both out; callers
   * then use gemm.
   */
  packMatvec?(n: number, k: number, W: Buf, wOff: number, ldw: number, into: PackedMatrix | null): PackedMatrix;
  matvecPacked?(P: PackedMatrix, alpha: number, x: Buf, xOff: number, beta: number, y: Buf, yOff: number): void;

  // ------------------------------------------------------------ rows and columns
  /** C[r, :] += bias for each of `rows` rows (row stride ldc). */
  addRowVector(C: Buf, cOff: number, rows: number, cols: number, ldc: number, bias: Buf, bOff: number): void;
  /** dst[j] += Σ_r src[r, j] (sum over rows; bias gradients). */
  sumRows(src: Buf, sOff: number, rows: number, cols: number, lds: number, dst: Buf, dOff: number): void;
  /** dst[i, :] = beta·dst[i, :] + table[ids[i], :] for i < n (embedding lookup). Rows with id < 0 get zeros. */
  gatherRows(table: Buf, dim: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void;
  /** table[ids[i], :] += src[i, :] (embedding gradient). Rows with id < 0 are skipped. */
  scatterAddRows(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, table: Buf, dim: number): void;
  /**
   * dst[i, :] = beta·dst[i, :] + W[:, ids[i]] where W is rows×cols (one-hot input times Wᵀ without
   * materialising the one-hot). Rows with id < 0 get beta·dst.
   */
  gatherCols(W: Buf, rows: number, cols: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void;
  /** W[:, ids[i]] += src[i, :] (gradient of gatherCols). */
  scatterAddCols(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, W: Buf, rows: number, cols: number): void;

  // ------------------------------------------------------ fused recurrent steps
  // The forward steps work element by element: h may be the same memory as hPrev, and c as cPrev
  // (every element's inputs are read before it is written). The sampling path (nn/one-step.ts)
  // updates the carried state in place this way; test/nn/one-step.test.ts checks it on every backend.
  /**
   * Elman step: h = act(pre) for a [B×H] block; where mask[b] == 0 the state is held: h = hPrev.
   * `pre` holds W_ih x + W_hh h_{t-1} + b (+ other recurrent terms).
   */
  elmanForward(act: Activation, B: number, H: number, pre: Buf, preOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void;
  /**
   * Elman step backward: dpre = act'(h) ⊙ dh (masked rows: 0), and for masked rows the
   * gradient passes to the held state: dhPrev += dh.
   */
  elmanBackward(act: Activation, B: number, H: number, h: Buf, hOff: number, dh: Buf, dhOff: number,
    dpre: Buf, dpreOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void;

  /**
   * LSTM step (PyTorch gate order i, f, g, o). `gates` [B×4H] holds the pre-activations on entry and
   * the activations i, f, g, o on exit. c = f⊙cPrev + i⊙g, h = o⊙tanh(c); masked rows hold (hPrev, cPrev).
   */
  lstmForward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void;
  /**
   * LSTM step backward. In: activated gates, cPrev, c, dh (total gradient on h_t) and dc (gradient on c_t
   * from the future). Out: dgates [B×4H] (pre-activation gradients), dcPrev (written, not accumulated),
   * and for masked rows dhPrev += dh.
   */
  lstmBackward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    dh: Buf, dhOff: number, dc: Buf, dcOff: number, dgates: Buf, dgOff: number, dcPrev: Buf, dcPrevOff: number,
    dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void;

  /**
   * GRU step (PyTorch: r, z, n). xg = W_ih x + b_ih and hg = W_hh h + b_hh, both [B×3H].
   * r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n), h = (1 − z) ⊙ n + z ⊙ hPrev.
   * Saves [r, z, n, h_n] into `cache` [B×4H] for the backward step; masked rows hold hPrev.
   */
  gruForward(B: number, H: number, xg: Buf, xgOff: number, hg: Buf, hgOff: number, hPrev: Buf, hPrevOff: number,
    h: Buf, hOff: number, cache: Buf, cacheOff: number, mask: Buf | null, maskOff: number): void;
  /**
   * GRU step backward: from dh and the cache, writes dxg [B×3H] (gradient on W_ih x + b_ih) and
   * dhg [B×3H] (gradient on W_hh h + b_hh), and ACCUMULATES dhPrev += z ⊙ dh (+= dh for masked
   * rows); the caller adds dhg · W_hh to dhPrev.
   */
  gruBackward(B: number, H: number, hPrev: Buf, hPrevOff: number, cache: Buf, cacheOff: number, dh: Buf, dhOff: number,
    dxg: Buf, dxgOff: number, dhg: Buf, dhgOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void;

  // ------------------------------------------------------------- heads and losses
  /** out[r, :] = softmax(x[r, :] / temperature) for `rows` rows of width `cols`. */
  softmax(rows: number, cols: number, x: Buf, xOff: number, out: Buf, outOff: number, temperature: number): void;
  /** dx[r, :] (+)= p ⊙ (dp − ⟨p, dp⟩): backward of softmax. accumulate: add into dx instead of writing. */
  softmaxBackward(rows: number, cols: number, p: Buf, pOff: number, dp: Buf, dpOff: number, dx: Buf, dxOff: number, accumulate: boolean): void;
  /**
   * Softmax cross-entropy over rows of logits; targets < 0 are ignored. Returns the summed loss
   * (nats, float64 accumulation). When dlogits is given, writes scale·(softmax − onehot) there
   * (zeros for ignored rows).
   */
  softmaxCrossEntropy(rows: number, cols: number, logits: Buf, lOff: number, targets: Int32Array, tOff: number,
    dlogits: Buf | null, dOff: number, scale: number): number;
  /**
   * Squared error Σ (pred − target)² over n elements where weight ≠ 0 (weight = null: all); writes
   * scale·2·(pred − target) into dpred when given. Returns the summed squared error.
   */
  squaredError(n: number, pred: Buf, pOff: number, target: Buf, tOff: number, weight: Buf | null, wOff: number,
    dpred: Buf | null, dOff: number, scale: number): number;

  // -------------------------------------------------------------- vector ops
  fill(x: Buf, off: number, n: number, value: number): void;
  copy(n: number, src: Buf, sOff: number, dst: Buf, dOff: number): void;
  /** y += a·x */
  axpy(n: number, a: number, x: Buf, xOff: number, y: Buf, yOff: number): void;
  /** x *= a */
  scale(n: number, a: number, x: Buf, xOff: number): void;
  /** x ⊙= m (elementwise product, e.g. a dropout mask) */
  mul(n: number, x: Buf, xOff: number, m: Buf, mOff: number, out: Buf, outOff: number): void;
  /** Σ x² (float64 accumulation) */
  sumSquares(n: number, x: Buf, off: number): number;
  /** x = clamp(x, −t, t): element-wise gradient clipping (t·sign(g) where |g| > t). */
  clampAbs(n: number, x: Buf, off: number, t: number): void;

  // ----------------------------------------------------------- optimizer updates
  /** PyTorch SGD: g += wd·p; v = μ·v + g (v = g at step 1); p −= lr·(nesterov ? g + μ·v : v). */
  sgdStep(n: number, p: Buf, g: Buf, v: Buf | null, lr: number, momentum: number, nesterov: boolean, weightDecay: number, first: boolean): void;
  /** PyTorch Adagrad: s += g²; p −= lr·g / (√s + eps). */
  adagradStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, eps: number, weightDecay: number): void;
  /** PyTorch RMSprop (no centring): s = α·s + (1−α)·g²; p −= lr·g / (√s + eps). */
  rmspropStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, alpha: number, eps: number, weightDecay: number): void;
  /**
   * Adam / AdamW (PyTorch): decoupled weight decay p −= lr·wd·p when decoupled, else g += wd·p;
   * m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; p −= lr·m̂ / (√v̂ + eps), bias-corrected at `step` (1-based).
   */
  adamStep(n: number, p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupled: boolean, step: number): void;
}

/** Free buffers once each, skipping empty placeholders (which several fields may share). */
export function release(be: Backend, bufs: readonly Buf[]): void {
  for (const b of new Set(bufs)) if (b.length > 0) be.free(b);
}
