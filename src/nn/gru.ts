/**
 * GRU layer, exactly as torch.nn.GRU (gate rows r, z, n; the reset gate multiplies W_hn h + b_hn):
 *
 *   r = σ(W_ir x + b_ir + W_hr h_{t−1} + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h_{t−1} + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
 *
 * Because r acts on W_hn h + b_hn, the input side (xg = W_ih x + b_ih) and the recurrent side
 * (hg = W_hh h + b_hh) stay separate, and so do their gradients dxg and dhg:
 *   dn' = dh (1 − z)(1 − n²),  dz' = dh (h_{t−1} − n) z(1 − z),  dr' = dn' ⊙ hg_n ⊙ r(1 − r)
 *   dxg = [dr', dz', dn'],  dhg = [dr', dz', dn' ⊙ r],  dh_{t−1} = dh ⊙ z + dhg W_hh
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import { RecurrentLayer, type LayerNames } from './layer.js';
import type { Params } from './params.js';

export class GruLayer extends RecurrentLayer {
  readonly G = 3;
  /** Per step [r, z, n, hg_n] (B×4H), kept for the backward pass. */
  cache: Buf;
  /** Recurrent-side pre-activation hg of the current step (scratch, B×3H). */
  hg: Buf;
  /** Gradients on hg for all steps (T·B×3H): the rows of dW_hh and db_hh. */
  dhg: Buf;

  constructor(be: Backend, params: Params, grads: Params, names: LayerNames, inSize: number, H: number, reverse: boolean) {
    super(be, params, grads, names, inSize, H, reverse, 1);
    this.cache = this.hg = this.dhg = be.alloc(0);
  }

  protected override allocate(rows: number, slotRows: number): void {
    super.allocate(rows, slotRows);
    const be = this.be;
    release(be, [this.cache, this.hg, this.dhg]);
    this.cache = be.alloc(rows * 4 * this.H);
    this.dhg = be.alloc(rows * 3 * this.H);
    this.hg = be.alloc(this.capacityB * 3 * this.H);
  }

  protected override addInputBias(t0: number, rows: number): void {
    const GH = 3 * this.H;
    this.be.addRowVector(this.xw, t0 * this.B * GH, rows, GH, GH, this.params.data, this.p(this.names.bih));
  }

  forwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s), P = this.params.data;
    be.gemm(false, true, B, 3 * H, H, 1, this.hs, this.hOff(s - 1), H, P, this.p(this.names.whh), H, 0, this.hg, 0, 3 * H);
    be.addRowVector(this.hg, 0, B, 3 * H, 3 * H, P, this.p(this.names.bhh));
    be.gruForward(B, H, this.xw, t * B * 3 * H, this.hg, 0, this.hs, this.hOff(s - 1), this.hs, this.hOff(s),
      this.cache, t * B * 4 * H, this.mask, this.maskOff(t));
  }

  backwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s);
    be.gruBackward(B, H, this.hs, this.hOff(s - 1), this.cache, t * B * 4 * H, this.dhs, this.hOff(s),
      this.dxw, t * B * 3 * H, this.dhg, t * B * 3 * H, this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
    be.gemm(false, false, B, H, 3 * H, 1, this.dhg, t * B * 3 * H, 3 * H, this.params.data, this.p(this.names.whh), H, 1,
      this.dhs, this.hOff(s - 1), H);
  }

  paramGrads(): void {
    const be = this.be, rows = this.T * this.B, H = this.H, gr = this.grads;
    this.inputParamGrads();
    be.sumRows(this.dhg, 0, rows, 3 * H, 3 * H, gr.data, gr.offset(this.names.bhh));
    be.gemm(true, false, 3 * H, H, rows, 1, this.dhg, 0, 3 * H, this.hs, this.lagStart(1) * this.B * H, H, 1, gr.data, gr.offset(this.names.whh), H);
  }
}
