/**
 * Streams and their state. A model runs B streams at once, chunk after chunk (truncated BPTT): what a
 * chunk leaves behind (the last K hidden states of every layer and direction, a cell's extra state such
 * as LSTM's c, the Jordan feedback) is the next chunk's initial state. A stream starts from the model's
 * initial state: zero, a random draw, or a learned h0/c0; while it is there (`fresh`), the gradient on
 * its initial state flows into the learned h0/c0, and nowhere else is the gradient carried across a
 * chunk boundary.
 *
 * StreamState moves a RecurrentState into a stack's layers before a chunk and out after it, remembers
 * which streams started fresh, and adds their initial-state gradients into h0/c0 after backward. Its
 * buffers are sized once per batch size: nothing is allocated per chunk.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';
import type { H0Mode } from './config.js';
import type { RecurrentLayer } from './layer.js';
import type { Params } from './params.js';
import type { Stack } from './stack.js';

/** A chunk of T time steps for B sequences, time-major (row t·B + b). */
export interface Batch {
  T: number;
  B: number;
  /** Token ids [T·B] for token inputs. */
  tokens?: Int32Array;
  /** Real-valued inputs [T·B·F] for dense inputs. */
  inputs?: ArrayLike<number>;
  /** Class targets: [T·B] for outputMode 'every' (−1 = none), [B] for 'last'. */
  targets?: Int32Array;
  /** Regression targets: [T·B·O] for 'every', [B·O] for 'last'. */
  targetValues?: ArrayLike<number>;
  /** Real length of each sequence (1 … T); steps at or after it are padding. Absent: all T. */
  lengths?: Int32Array;
}

export interface RecurrentState {
  B: number;
  /** Per layer·direction: K blocks [B×H], block k = h_{−(k+1)}. */
  h: Buf[];
  /** Per layer·direction whose cell carries an extra state (LSTM's c): [B×H]. */
  c: Buf[];
  /** Feedback into layer 0 (Jordan's o_{−1}) [B×O]. */
  fb: Buf | null;
  /** 1 where a sequence starts from the model's initial state (gradient flows into a learned h0). */
  fresh: Uint8Array;
}

export interface InitialState {
  mode: H0Mode;
  /** Standard deviation of a random initial state. */
  scale: number;
}

/** Copy state `from` into `to` (same model, same B): a pass can be re-run from where a chunk started. */
export function copyState(be: Backend, from: RecurrentState, to: RecurrentState): void {
  if (from.B !== to.B) throw new Error(`copyState: ${from.B} streams into ${to.B}`);
  from.h.forEach((b, i) => be.copy(b.length, b, 0, to.h[i], 0));
  from.c.forEach((b, i) => be.copy(b.length, b, 0, to.c[i], 0));
  if (from.fb) be.copy(from.fb.length, from.fb, 0, to.fb!, 0);
  to.fresh.set(from.fresh);
}

export class StreamState {
  private readonly layers: RecurrentLayer[];
  /** Offsets of each layer's learned h0 and (cells with an extra state) c0 in the parameters; −1 = none. */
  private readonly h0: number[];
  private readonly c0: number[];
  /** The layer that reads a feedback input, if any. */
  private readonly fbLayer: RecurrentLayer | null;
  /** Which streams of the last loaded chunk started from the initial state. */
  private started = new Uint8Array(0);
  private B = 0;

  constructor(readonly be: Backend, readonly stack: Stack, readonly params: Params, readonly grads: Params, readonly init: InitialState) {
    this.layers = stack.all;
    const names = stack.names.flat(), learned = init.mode === 'learned';
    this.h0 = names.map((n) => (learned ? params.offset(n.h0) : -1));
    this.c0 = names.map((n, i) => (learned && this.layers[i].extra ? params.offset(n.c0) : -1));
    this.fbLayer = this.layers.find((l) => l.feedback > 0) ?? null;
  }

  /** A state for B streams, every stream at the initial state. */
  create(B: number, rng?: Rng): RecurrentState {
    const be = this.be, H = this.stack.H;
    const st: RecurrentState = { B, h: [], c: [], fb: this.fbLayer ? be.alloc(B * this.fbLayer.feedback) : null, fresh: new Uint8Array(B) };
    for (const layer of this.layers) {
      st.h.push(be.alloc(layer.K * B * H));
      if (layer.extra) st.c.push(be.alloc(B * H));
    }
    this.reset(st, null, rng);
    return st;
  }

  /** Put streams (all, or those listed) back to the initial state. */
  reset(st: RecurrentState, which: readonly number[] | null = null, rng?: Rng): void {
    if (this.init.mode === 'random' && !rng) throw new Error('h0 = random needs a random generator');
    const H = this.stack.H, B = st.B, n = which ? which.length : B;
    for (let i = 0, j = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      for (let r = 0; r < n; r++) {
        const b = which ? which[r] : r;
        for (let k = 0; k < layer.K; k++) this.initRow(st.h[i], (k * B + b) * H, this.h0[i], rng);
        if (layer.extra) this.initRow(st.c[j], b * H, this.c0[i], rng);
      }
      if (layer.extra) j++;
    }
    for (let r = 0; r < n; r++) {
      const b = which ? which[r] : r;
      st.fresh[b] = 1;
      if (st.fb) this.be.fill(st.fb, b * this.fbLayer!.feedback, this.fbLayer!.feedback, 0);
    }
  }

  private initRow(buf: Buf, off: number, param: number, rng?: Rng): void {
    const H = this.stack.H;
    if (this.init.mode === 'learned') this.be.copy(H, this.params.data, param, buf, off);
    else if (this.init.mode === 'random') for (let j = 0; j < H; j++) buf[off + j] = this.init.scale * rng!.normal();
    else this.be.fill(buf, off, H, 0);
  }

  /** Before a chunk (the stack sized for it): the state becomes each layer's state before the sequence. */
  load(st: RecurrentState): void {
    const H = this.stack.H, B = st.B, learned = this.init.mode === 'learned';
    if (this.started.length < B) this.started = new Uint8Array(B);
    this.started.set(st.fresh);
    this.B = B;
    for (let i = 0, j = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      // A learned h0 may have changed since the state was reset: fresh streams read its current value.
      if (learned) for (let b = 0; b < B; b++) if (st.fresh[b]) {
        for (let k = 0; k < layer.K; k++) this.initRow(st.h[i], (k * B + b) * H, this.h0[i]);
        if (layer.extra) this.initRow(st.c[j], b * H, this.c0[i]);
      }
      layer.setInitial(st.h[i]);
      if (layer.extra) layer.extra.setInitial(st.c[j++]);
    }
    const f = this.fbLayer;
    if (f) this.be.copy(B * f.feedback, st.fb!, 0, f.fb, 0);
  }

  /** After a chunk: each layer's final state becomes the streams' state; no stream is fresh any more. */
  save(st: RecurrentState): void {
    for (let i = 0, j = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      layer.getFinal(st.h[i]);
      if (layer.extra) layer.extra.getFinal(st.c[j++]);
    }
    const f = this.fbLayer;
    if (f) this.be.copy(st.B * f.feedback, f.fb, f.T * st.B * f.feedback, st.fb!, 0);
    st.fresh.fill(0);
  }

  /**
   * After backward: the gradient on the initial state of the streams that started from a learned
   * h0/c0, summed over those streams (and over the K lag slots), added into its gradient.
   */
  addH0Grads(): void {
    if (this.init.mode !== 'learned') return;
    const g = this.grads.data;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      for (let b = 0; b < this.B; b++) if (this.started[b]) {
        layer.addInitialGradRow(b, g, this.h0[i]);
        if (layer.extra) layer.extra.addInitialGradRow(b, g, this.c0[i]);
      }
    }
  }

  /** Gradient on the state before the chunk, per layer·direction (tests and diagnostics; allocates). */
  initialGrads(): { h: Buf[]; c: Buf[] } {
    const out = { h: [] as Buf[], c: [] as Buf[] }, H = this.stack.H, B = this.stack.B;
    for (const layer of this.layers) {
      const h = this.be.alloc(layer.K * B * H);
      layer.getInitialGrad(h);
      out.h.push(h);
      if (layer.extra) { const c = this.be.alloc(B * H); layer.extra.getInitialGrad(c); out.c.push(c); }
    }
    return out;
  }
}
