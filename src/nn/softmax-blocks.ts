/**
 * The softmax head at large vocabularies: decoder and cross-entropy a block of R rows at a time, so the
 * [rows×V] logits never exist whole (64×128 rows at 32k words would be 1 GB, and as much again for their
 * gradient). For each block of rows of the features F (targets y; rows with y < 0 are not scored):
 *   Z  = F Wᵀ + b                                  logits of the block, R×V
 *   ℓ += Σ_r lse(Z_r) − Z_r[y_r]                   nats, float64
 *   dZ = scale · (softmax(Z) − onehot(y))
 *   dW += dZᵀ F,   db += Σ_r dZ_r,   dF = dZ W
 * The equations are those of Decoder + crossEntropy over all rows at once; only the order of the sums in
 * dW and db changes (a block's partial sum at a time), so results agree within float32 rounding.
 *
 * The weight is an operand (buffer + offset), not a tensor name, so a decoder tied to the embedding can
 * pass the embedding's view.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';

/** A linear map's weight [V×K] (row stride K) and bias [V]. */
export interface LinearOperand { w: Buf; wOff: number; b: Buf; bOff: number }

/** Where the head's gradients go: dW and db are added into, the features' gradient dF is written. */
export interface HeadGrads extends LinearOperand { dF: Buf; dfOff: number; lddf: number }

/** Block scratch: z and dz hold R×V each. */
export interface BlockScratch { R: number; z: Buf; dz: Buf }

/**
 * Summed cross-entropy (nats) of `rows` rows of features F [rows×K] (row stride ldf) through the linear
 * map `lin` against targets[tOff…]; with `grads`, also dW, db (accumulated) and dF (written) of
 * scale · (that sum).
 */
export function softmaxCrossEntropyBlocks(be: Backend, rows: number, K: number, V: number, F: Buf, fOff: number, ldf: number,
  targets: Int32Array, tOff: number, scale: number, lin: LinearOperand, s: BlockScratch, grads: HeadGrads | null): number {
  let sum = 0;
  for (let r0 = 0; r0 < rows; r0 += s.R) {
    const n = Math.min(s.R, rows - r0), f = fOff + r0 * ldf;
    be.gemm(false, true, n, V, K, 1, F, f, ldf, lin.w, lin.wOff, K, 0, s.z, 0, V);
    be.addRowVector(s.z, 0, n, V, V, lin.b, lin.bOff);
    sum += be.softmaxCrossEntropy(n, V, s.z, 0, targets, tOff + r0, grads ? s.dz : null, 0, scale);
    if (!grads) continue;
    be.gemm(true, false, V, K, n, 1, s.dz, 0, V, F, f, ldf, 1, grads.w, grads.wOff, K);
    be.sumRows(s.dz, 0, n, V, V, grads.b, grads.bOff);
    be.gemm(false, false, n, K, V, 1, s.dz, 0, V, lin.w, lin.wOff, K, 0, grads.dF, grads.dfOff + r0 * grads.lddf, grads.lddf);
  }
  return sum;
}

/** Where backward sends the features' gradient (a stack's gradTarget): beta = 0 writes, 1 adds. */
export interface GradSink { buf: Buf; off: number; ld: number; beta: number }

/**
 * The blocked head of a model: its scratch, and the gradients of a training forward kept until backward.
 * The trainer zeroes the parameter gradients between forward and backward, so dW and db wait here and
 * backward adds them in; the head's work is the same three products per row as unblocked.
 */
export class BlockedSoftmaxHead {
  private s: BlockScratch;
  private dW: Buf;
  private db: Buf;
  private dF: Buf;
  private rows = 0;
  private trained = false;

  /** `blockElems`: at most this many logits at once (R = blockElems / V rows, at least 1). */
  constructor(readonly be: Backend, readonly K: number, readonly V: number, blockElems: number) {
    const R = Math.max(1, Math.floor(blockElems / V)), z = be.alloc(0);
    this.s = { R, z, dz: z };
    this.dW = this.db = this.dF = z;
  }

  get blockRows(): number { return this.s.R; }

  /**
   * Mean-scaled loss over `rows` rows (scale = 1 / number of scored targets); with `train`, the gradients
   * are computed now and kept for backward.
   */
  forward(rows: number, F: Buf, fOff: number, ldf: number, targets: Int32Array, scale: number, lin: LinearOperand, train: boolean): number {
    const be = this.be, K = this.K, V = this.V;
    this.ensure(rows, train);
    this.rows = rows;
    this.trained = train;
    if (!train) return softmaxCrossEntropyBlocks(be, rows, K, V, F, fOff, ldf, targets, 0, scale, lin, this.s, null);
    be.fill(this.dW, 0, V * K, 0);
    be.fill(this.db, 0, V, 0);
    const g: HeadGrads = { w: this.dW, wOff: 0, b: this.db, bOff: 0, dF: this.dF, dfOff: 0, lddf: K };
    return softmaxCrossEntropyBlocks(be, rows, K, V, F, fOff, ldf, targets, 0, scale, lin, this.s, g);
  }

  /** dW, db of the last training forward into `grads`; its dF into `sink` (rows of width K). */
  backward(grads: LinearOperand, sink: GradSink): void {
    if (!this.trained) throw new Error('the blocked softmax head has no gradients: backward needs a training forward');
    const be = this.be, K = this.K, V = this.V, rows = this.rows;
    be.axpy(V * K, 1, this.dW, 0, grads.w, grads.wOff);
    be.axpy(V, 1, this.db, 0, grads.b, grads.bOff);
    if (sink.ld === K) addOrCopy(be, rows * K, this.dF, 0, sink);
    else for (let r = 0; r < rows; r++) addOrCopy(be, K, this.dF, r * K, { ...sink, off: sink.off + r * sink.ld });
    this.trained = false;
  }

  private ensure(rows: number, train: boolean): void {
    const be = this.be, K = this.K, V = this.V, s = this.s;
    const R = Math.min(s.R, rows);
    if (s.z.length < R * V) { release(be, [s.z]); s.z = be.alloc(R * V); }
    if (!train) return;
    if (s.dz.length < R * V) { release(be, [s.dz]); s.dz = be.alloc(R * V); }
    if (this.dW.length < V * K) { release(be, [this.dW, this.db]); this.dW = be.alloc(V * K); this.db = be.alloc(V); }
    if (this.dF.length < rows * K) { release(be, [this.dF]); this.dF = be.alloc(rows * K); }
  }

  /** Give the buffers back (WASM memory is not garbage-collected). */
  free(): void {
    const s = this.s;
    release(this.be, [s.z, s.dz, this.dW, this.db, this.dF]);
    s.z = s.dz = this.dW = this.db = this.dF = this.be.alloc(0);
  }
}

function addOrCopy(be: Backend, n: number, src: Buf, off: number, sink: GradSink): void {
  if (sink.beta === 0) be.copy(n, src, off, sink.buf, sink.off);
  else be.axpy(n, 1, src, off, sink.buf, sink.off);
}
