/**
 * What every recurrent layer shares: its place in time, its state history and its input projection.
 *
 * Time layout. A layer runs one direction over T steps. Processing step s (0 … T−1) handles original
 * time t = s (forward) or t = T−1−s (reverse). Hidden states live in `hs`, one [B×H] block per *slot*;
 * slot(s) = K + s forward, T−1−s in reverse, for s = −K … T−1, so the K states before the sequence
 * (the carried or initial state, and older ones for lags) sit just "before" the first step in
 * processing order, and in both directions the slots of the real steps are in original time order
 * (the layer's output is one contiguous [T·B×H] block). Step s reads its lag-k state at slot(s−k).
 *
 * Per-time buffers (`xw`, `dxw`, caches) are indexed by original time t, so that the input and
 * recurrent weight gradients are each one large matrix product over all T·B rows after the loop.
 *
 * Input projection. `xw[t] = W_ih x_t + bias` is computed for many steps at once (one GEMM), or as a
 * column gather of W_ih when the input is one-hot (no one-hot matrix is ever built).
 *
 * What a schedule or the state module needs from a cell beyond h is part of this interface, never a
 * type test: `extra` (a state carried besides h, such as LSTM's c) and `feedback` (an input fed back
 * from the model's output, such as Jordan's o_{t−1}).
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { LayerTensorNames } from './names.js';
import type { Params } from './params.js';

export type LayerInput =
  | { kind: 'dense'; buf: Buf; off: number; ld: number }
  | { kind: 'onehot'; ids: Int32Array };

export type LayerNames = LayerTensorNames;

/**
 * A state a cell carries besides h, one [B×H] block (LSTM: the cell state c). Same contract as the
 * layer's own h methods: the state before the sequence, after it, and their gradients.
 */
export interface ExtraState {
  setInitial(buf: Buf): void;
  getFinal(buf: Buf): void;
  /** Gradient on the state before the sequence [B×H]. */
  getInitialGrad(buf: Buf): void;
  /** dst[off … off+H) += gradient on stream b's state before the sequence. */
  addInitialGradRow(b: number, dst: Buf, off: number): void;
  /** Gradient on the final state from outside (a loss on c_n), [B×H] at off. */
  addFinalGrad(buf: Buf, off: number): void;
}

export abstract class RecurrentLayer {
  /** Gate blocks (rows of W_ih are G·H). */
  abstract readonly G: number;
  /** State slots before the first step (1, or the longest lag). */
  readonly K: number;
  T = 0;
  B = 0;
  hs: Buf;
  dhs: Buf;
  xw: Buf;
  dxw: Buf;
  input: LayerInput | null = null;
  /** Per-step masks [T×B] (1 = real step, 0 = padding: the state is held), or null. */
  mask: Buf | null = null;
  /** The state carried besides h, if the cell has one. */
  extra: ExtraState | null = null;
  /** Width of an input fed back from the model's output (Jordan: o_{t−1}); 0 = none. */
  feedback = 0;
  /**
   * Feedback slots [(T+1)·B×feedback] and their gradients: slot t holds what step t reads (o_{t−1}),
   * slot 0 the carried value, slot T the one for the next chunk. The schedule writes slots 1 … T.
   */
  fb: Buf;
  dfb: Buf;
  /**
   * Where the cell reads W_hh and adds its gradient: the parameters, or, in a chunk with weight drop,
   * the dropped copy and that copy's own gradient (weight-drop.ts). Offsets are 0 without W_hh.
   */
  readonly whh: { w: Buf; off: number; g: Buf; gOff: number };
  protected capacity = -1;
  protected capacityK = -1;
  protected capacityB = -1;

  constructor(
    readonly be: Backend,
    readonly params: Params,
    readonly grads: Params,
    readonly names: LayerNames,
    readonly inSize: number,
    readonly H: number,
    readonly reverse: boolean,
    K: number,
  ) {
    this.K = K;
    const has = params.has(names.whh);
    this.whh = { w: params.data, off: has ? params.offset(names.whh) : 0, g: grads.data, gOff: has ? grads.offset(names.whh) : 0 };
    this.hs = this.dhs = this.xw = this.dxw = this.fb = this.dfb = be.alloc(0);
  }

  /** Slot of processing step s (s may be negative: the states before the sequence). */
  slot(s: number): number { return this.reverse ? this.T - 1 - s : this.K + s; }
  /** Processing step of original time t. */
  step(t: number): number { return this.reverse ? this.T - 1 - t : t; }
  /** Offset in hs of processing step s. */
  hOff(s: number): number { return this.slot(s) * this.B * this.H; }
  /** Offset in hs of the layer's output at original time 0 (outputs are contiguous in time order). */
  outOff(): number { return (this.reverse ? 0 : this.K) * this.B * this.H; }
  /** First slot of the lag-k predecessors of t = 0, 1, … (contiguous, aligned with rows of dxw). */
  lagStart(k: number): number { return this.reverse ? k : this.K - k; }

  /** Size buffers for T steps of B rows; reuses them when they are large enough. */
  ensure(T: number, B: number): void {
    this.T = T;
    this.B = B;
    const rows = T * B;
    if (rows > this.capacity || (T + this.K) * B > this.capacityK || B > this.capacityB) {
      this.capacity = Math.max(rows, this.capacity);
      this.capacityK = Math.max((T + this.K) * B, this.capacityK);
      this.capacityB = Math.max(B, this.capacityB);
      this.allocate(this.capacity, this.capacityK);
    }
  }

  protected allocate(rows: number, slotRows: number): void {
    const be = this.be, GH = this.G * this.H;
    release(be, [this.hs, this.dhs, this.xw, this.dxw, this.fb, this.dfb]);
    this.hs = be.alloc(slotRows * this.H);
    this.dhs = be.alloc(slotRows * this.H);
    this.xw = be.alloc(rows * GH);
    this.dxw = be.alloc(rows * GH);
    // slotRows ≥ (T+1)·B: room for the feedback slots 0 … T.
    this.fb = be.alloc(slotRows * this.feedback);
    this.dfb = be.alloc(slotRows * this.feedback);
  }

  protected p(name: string): number { return this.params.offset(name); }

  /** xw[t] = W_ih x_t + bias for t in [t0, t1). */
  project(t0: number, t1: number): void {
    const be = this.be, B = this.B, GH = this.G * this.H, rows = (t1 - t0) * B, P = this.params.data;
    const inp = this.input!;
    if (inp.kind === 'dense') {
      be.gemm(false, true, rows, GH, this.inSize, 1, inp.buf, inp.off + t0 * B * inp.ld, inp.ld,
        P, this.p(this.names.wih), this.inSize, 0, this.xw, t0 * B * GH, GH);
    } else {
      const o = this.p(this.names.wih);
      be.gatherCols(P.subarray(o, o + GH * this.inSize), GH, this.inSize, inp.ids, t0 * B, rows, this.xw, t0 * B * GH, GH, 0);
    }
    this.addInputBias(t0, rows);
  }

  /** Which biases enter the input projection (Elman and LSTM fold both in; GRU only b_ih). */
  protected addInputBias(t0: number, rows: number): void {
    const GH = this.G * this.H, P = this.params.data;
    this.be.addRowVector(this.xw, t0 * this.B * GH, rows, GH, GH, P, this.p(this.names.bih));
    this.be.addRowVector(this.xw, t0 * this.B * GH, rows, GH, GH, P, this.p(this.names.bhh));
  }

  /** dX[t] (+)= dxw[t] · W_ih for t in [t0, t1) (dense inputs only). */
  inputGrad(dX: Buf, dOff: number, ld: number, t0: number, t1: number, beta: number): void {
    const B = this.B, GH = this.G * this.H;
    this.be.gemm(false, false, (t1 - t0) * B, this.inSize, GH, 1, this.dxw, t0 * B * GH, GH,
      this.params.data, this.p(this.names.wih), this.inSize, beta, dX, dOff + t0 * B * ld, ld);
  }

  /** dW_ih += dxwᵀ X over all steps; bias gradients. */
  protected inputParamGrads(): void {
    const be = this.be, rows = this.T * this.B, GH = this.G * this.H, g = this.grads.data;
    const inp = this.input!;
    if (inp.kind === 'dense') {
      be.gemm(true, false, GH, this.inSize, rows, 1, this.dxw, 0, GH, inp.buf, inp.off, inp.ld,
        1, g, this.grads.offset(this.names.wih), this.inSize);
    } else {
      const o = this.grads.offset(this.names.wih);
      be.scatterAddCols(this.dxw, 0, GH, inp.ids, 0, rows, g.subarray(o, o + GH * this.inSize), GH, this.inSize);
    }
    be.sumRows(this.dxw, 0, rows, GH, GH, g, this.grads.offset(this.names.bih));
  }

  /** Load the state before the sequence: hist holds K blocks [B×H], block k = h_{−(k+1)}. */
  setInitial(hist: Buf): void {
    const n = this.B * this.H;
    for (let k = 0; k < this.K; k++) this.be.copy(n, hist, k * n, this.hs, this.hOff(-1 - k));
  }
  /** Save the last K states (block k = h_{last−k}) for the next chunk of the same streams. */
  getFinal(hist: Buf): void {
    const n = this.B * this.H;
    for (let k = 0; k < this.K; k++) this.be.copy(n, this.hs, this.hOff(this.T - 1 - k), hist, k * n);
  }
  /** Gradient on the state before the sequence, in the layout of setInitial. */
  getInitialGrad(dhist: Buf): void {
    const n = this.B * this.H;
    for (let k = 0; k < this.K; k++) this.be.copy(n, this.dhs, this.hOff(-1 - k), dhist, k * n);
  }
  /** dst[off … off+H) += stream b's gradient on the states before the sequence, summed over the K slots. */
  addInitialGradRow(b: number, dst: Buf, off: number): void {
    for (let k = 0; k < this.K; k++) this.be.axpy(this.H, 1, this.dhs, this.hOff(-1 - k) + b * this.H, dst, off);
  }
  /** Gradient on the final state from outside (a loss on h_n), [B×H] at off. */
  addFinalGrad(dh: Buf, off: number): void { this.be.axpy(this.B * this.H, 1, dh, off, this.dhs, this.hOff(this.T - 1)); }

  /** Zero the gradient buffers before a backward pass. */
  beginBackward(): void {
    this.be.fill(this.dhs, 0, (this.T + this.K) * this.B * this.H, 0);
  }

  abstract forwardStep(s: number): void;
  abstract backwardStep(s: number): void;
  /** Weight and bias gradients over the whole sequence, after all backward steps. */
  abstract paramGrads(): void;

  protected maskOff(t: number): number { return t * this.B; }
}
