/**
 * The bridge from the encoder's final state to the decoder's initial state, per layer:
 *   unidirectional   h_0 = h_n, c_0 = c_n (the same cell and depth on both sides)
 *   bidirectional    h_0 = tanh(W_h [h_fwd; h_bwd] + b_h),  c_0 = W_c [c_fwd; c_bwd] + b_c
 * Backward: dpre = (1 − h_0²) ⊙ dh_0 (c: no tanh);  dW += dpreᵀ [fwd; bwd], db += Σ dpre,
 * d fwd = dpre W[:, :H], d bwd = dpre W[:, H:], added to the encoder's final-state gradients.
 * The concatenation is never built: each half of W multiplies its direction's state.
 */
import { release, type Backend, type Buf } from '../../kernels/backend.js';
import type { ExtraState, RecurrentLayer } from '../layer.js';
import type { Params } from '../params.js';
import type { Stack } from '../stack.js';

/** A state a layer hands over: h (its own methods) or the extra state (LSTM's c). */
interface Carried { getFinal(buf: Buf): void; setInitial(buf: Buf): void; getInitialGrad(buf: Buf): void; addFinalGrad(buf: Buf, off: number): void }

const hOf = (l: RecurrentLayer): Carried => l;
const cOf = (l: RecurrentLayer): Carried => l.extra as ExtraState;

export class Bridge {
  /** Per layer: the encoder's final fwd/bwd states, the decoder's initial state, gradients ([B×H] each). */
  private fwd: Buf[][] = [];
  private bwd: Buf[][] = [];
  private init: Buf[][] = [];
  private dInit: Buf[][] = [];
  private dPre: Buf;
  private bCap = -1;
  private B = 0;
  /** The states handed over: h, and c for LSTM. */
  private readonly parts: { of: (l: RecurrentLayer) => Carried; module: string; tanh: boolean }[];

  constructor(readonly be: Backend, readonly params: Params, readonly grads: Params, readonly H: number, readonly bidirectional: boolean,
    hasC: boolean) {
    this.parts = [{ of: hOf, module: 'bridge_h', tanh: true }, ...(hasC ? [{ of: cOf, module: 'bridge_c', tanh: false }] : [])];
    this.dPre = be.alloc(0);
  }

  private ensure(B: number, L: number): void {
    this.B = B;
    if (B <= this.bCap) return;
    this.bCap = B;
    const be = this.be, n = B * this.H, all = [this.fwd, this.bwd, this.init, this.dInit].flat(2);
    release(be, [...all, this.dPre]);
    const make = (): Buf[][] => this.parts.map(() => Array.from({ length: L }, () => be.alloc(n)));
    this.fwd = make(); this.bwd = make(); this.init = make(); this.dInit = make();
    this.dPre = be.alloc(n);
  }

  /** The decoder's initial state from the encoder's final state (both stacks sized for the batch). */
  forward(enc: Stack, dec: Stack, B: number): void {
    const L = dec.layers.length, be = this.be, H = this.H, P = this.params;
    this.ensure(B, L);
    this.parts.forEach((p, i) => {
      for (let l = 0; l < L; l++) {
        const f = this.fwd[i][l], out = this.init[i][l];
        p.of(enc.layers[l][0]).getFinal(f);
        if (!this.bidirectional) { p.of(dec.layers[l][0]).setInitial(f); continue; }
        const b = this.bwd[i][l], w = P.offset(`${p.module}.weight`);
        p.of(enc.layers[l][1]).getFinal(b);
        be.gemm(false, true, B, H, H, 1, f, 0, H, P.data, w, 2 * H, 0, out, 0, H);
        be.gemm(false, true, B, H, H, 1, b, 0, H, P.data, w + H, 2 * H, 1, out, 0, H);
        be.addRowVector(out, 0, B, H, H, P.data, P.offset(`${p.module}.bias`));
        if (p.tanh) be.elmanForward('tanh', B, H, out, 0, out, 0, out, 0, null, 0);
        p.of(dec.layers[l][0]).setInitial(out);
      }
    });
  }

  /** After the decoder's backward: its initial-state gradient into the encoder's final states (and W, b). */
  backward(enc: Stack, dec: Stack): void {
    const L = dec.layers.length, be = this.be, H = this.H, B = this.B, P = this.params, G = this.grads;
    this.parts.forEach((p, i) => {
      for (let l = 0; l < L; l++) {
        const d = this.dInit[i][l];
        p.of(dec.layers[l][0]).getInitialGrad(d);
        if (!this.bidirectional) { p.of(enc.layers[l][0]).addFinalGrad(d, 0); continue; }
        const w = P.offset(`${p.module}.weight`), gw = G.offset(`${p.module}.weight`), dp = this.dPre;
        if (p.tanh) be.elmanBackward('tanh', B, H, this.init[i][l], 0, d, 0, dp, 0, dp, 0, null, 0);
        else be.copy(B * H, d, 0, dp, 0);
        be.gemm(true, false, H, H, B, 1, dp, 0, H, this.fwd[i][l], 0, H, 1, G.data, gw, 2 * H);
        be.gemm(true, false, H, H, B, 1, dp, 0, H, this.bwd[i][l], 0, H, 1, G.data, gw + H, 2 * H);
        be.sumRows(dp, 0, B, H, H, G.data, G.offset(`${p.module}.bias`));
        // d fwd and d bwd reuse the final-state buffers (their values were needed only for dW above)
        be.gemm(false, false, B, H, H, 1, dp, 0, H, P.data, w, 2 * H, 0, this.fwd[i][l], 0, H);
        be.gemm(false, false, B, H, H, 1, dp, 0, H, P.data, w + H, 2 * H, 0, this.bwd[i][l], 0, H);
        p.of(enc.layers[l][0]).addFinalGrad(this.fwd[i][l], 0);
        p.of(enc.layers[l][1]).addFinalGrad(this.bwd[i][l], 0);
      }
    });
  }

  /** The state the last forward handed to decoder layer l: part 0 = h, 1 = c. */
  handed(part: number, l: number): Buf { return (this.bidirectional ? this.init : this.fwd)[part][l]; }
}
