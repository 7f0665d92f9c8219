/**
 * The simple recurrent layer: Elman, Jordan, or both at once.
 *
 *   pre_t = W_ih x_t + b_ih + b_hh  +  W_hh h_{t−1}           (Elman recurrence)
 *                                   +  Σ_k W_k h_{t−k}         (longer reach, k ∈ lags)
 *                                   +  W_oh o_{t−1}            (Jordan recurrence: the model's previous output)
 *   h_t   = σ(pre_t)
 *
 * Backward, for the total gradient dh_t (from the output above and from later steps):
 *   dpre_t = σ'(h_t) ⊙ dh_t
 *   dh_{t−1} += dpre_t W_hh,   dh_{t−k} += dpre_t W_k,   do_{t−1} = dpre_t W_oh
 *   dW_hh = Σ_t dpre_tᵀ h_{t−1},  dW_k = Σ_t dpre_tᵀ h_{t−k},  dW_oh = Σ_t dpre_tᵀ o_{t−1},  db = Σ_t dpre_t
 * The weight sums are single matrix products over all steps, taken after the time loop.
 *
 * The Jordan feedback o_{t−1} is the head's output (see jordan.ts): the step-by-step schedule writes it
 * into the layer's feedback slots `fb` (slot t holds o_{t−1}) and reads its gradient from `dfb`.
 */
import type { Activation, Backend } from '../kernels/backend.js';
import { RecurrentLayer, type LayerNames } from './layer.js';
import type { Params } from './params.js';

export interface ElmanOptions {
  activation: Activation;
  /** The ordinary recurrence W_hh h_{t−1} (false for a pure Jordan layer). */
  elman: boolean;
  lags: number[];
  /** Jordan feedback width (0 = none). */
  feedback: number;
  /** Whether the feedback carries a gradient (not under teacher forcing: targets are data). */
  feedbackGrad: boolean;
}

export class ElmanLayer extends RecurrentLayer {
  readonly G = 1;
  /** Tensor names of the lag matrices (same order as opt.lags), made once. */
  private readonly lagNames: string[];

  constructor(be: Backend, params: Params, grads: Params, names: LayerNames, inSize: number, H: number,
    reverse: boolean, readonly opt: ElmanOptions) {
    super(be, params, grads, names, inSize, H, reverse, Math.max(1, ...opt.lags));
    this.feedback = opt.feedback;
    this.lagNames = opt.lags.map((k) => names.lag(k));
  }

  forwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, P = this.params.data, t = this.step(s);
    const pre = t * B * H;
    if (this.opt.elman) {
      be.gemm(false, true, B, H, H, 1, this.hs, this.hOff(s - 1), H, this.whh.w, this.whh.off, H, 1, this.xw, pre, H);
    }
    for (let i = 0; i < this.opt.lags.length; i++) {
      const k = this.opt.lags[i];
      be.gemm(false, true, B, H, H, 1, this.hs, this.hOff(s - k), H, P, this.p(this.lagNames[i]), H, 1, this.xw, pre, H);
    }
    const O = this.opt.feedback;
    if (O > 0) {
      be.gemm(false, true, B, H, O, 1, this.fb, t * B * O, O, P, this.p(this.names.woh), O, 1, this.xw, pre, H);
    }
    be.elmanForward(this.opt.activation, B, H, this.xw, pre, this.hs, this.hOff(s - 1), this.hs, this.hOff(s),
      this.mask, this.maskOff(t));
  }

  backwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, P = this.params.data, t = this.step(s);
    const dpre = t * B * H;
    be.elmanBackward(this.opt.activation, B, H, this.hs, this.hOff(s), this.dhs, this.hOff(s), this.dxw, dpre,
      this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
    if (this.opt.elman) {
      be.gemm(false, false, B, H, H, 1, this.dxw, dpre, H, this.whh.w, this.whh.off, H, 1, this.dhs, this.hOff(s - 1), H);
    }
    for (let i = 0; i < this.opt.lags.length; i++) {
      const k = this.opt.lags[i];
      be.gemm(false, false, B, H, H, 1, this.dxw, dpre, H, P, this.p(this.lagNames[i]), H, 1, this.dhs, this.hOff(s - k), H);
    }
    const O = this.opt.feedback;
    if (O > 0 && this.opt.feedbackGrad) {
      be.gemm(false, false, B, O, H, 1, this.dxw, dpre, H, P, this.p(this.names.woh), O, 0, this.dfb, t * B * O, O);
    }
  }

  paramGrads(): void {
    const be = this.be, rows = this.T * this.B, H = this.H, g = this.grads;
    this.inputParamGrads();
    be.sumRows(this.dxw, 0, rows, H, H, g.data, g.offset(this.names.bhh));
    if (this.opt.elman) {
      be.gemm(true, false, H, H, rows, 1, this.dxw, 0, H, this.hs, this.lagStart(1) * this.B * H, H, 1, this.whh.g, this.whh.gOff, H);
    }
    this.opt.lags.forEach((k, i) => {
      be.gemm(true, false, H, H, rows, 1, this.dxw, 0, H, this.hs, this.lagStart(k) * this.B * H, H, 1, g.data, g.offset(this.lagNames[i]), H);
    });
    const O = this.opt.feedback;
    if (O > 0) {
      be.gemm(true, false, H, O, rows, 1, this.dxw, 0, H, this.fb, 0, O, 1, g.data, g.offset(this.names.woh), O);
    }
  }
}
