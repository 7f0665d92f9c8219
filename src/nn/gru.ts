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
    be.gemm(false, true, B, 3 * H, H, 1, this.hs, this.hOff(s - 1), H, this.whh.w, this.whh.off, H, 0, this.hg, 0, 3 * H);
    be.addRowVector(this.hg, 0, B, 3 * H, 3 * H, P, this.p(this.names.bhh));
    be.gruForward(B, H, this.xw, t * B * 3 * H, this.hg, 0, this.hs, this.hOff(s - 1), this.hs, this.hOff(s),
      this.cache, t * B * 4 * H, this.mask, this.maskOff(t));
  }

  backwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s);
    be.gruBackward(B, H, this.hs, this.hOff(s - 1), this.cache, t * B * 4 * H, this.dhs, this.hOff(s),
      this.dxw, t * B * 3 * H, this.dhg, t * B * 3 * H, this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
    be.gemm(false, false, B, H, 3 * H, 1, this.dhg, t * B * 3 * H, 3 * H, this.whh.w, this.whh.off, H, 1,
      this.dhs, this.hOff(s - 1), H);
  }

  paramGrads(): void {
    const be = this.be, rows = this.T * this.B, H = this.H, gr = this.grads;
    this.inputParamGrads();
    be.sumRows(this.dhg, 0, rows, 3 * H, 3 * H, gr.data, gr.offset(this.names.bhh));
    be.gemm(true, false, 3 * H, H, rows, 1, this.dhg, 0, 3 * H, this.hs, this.lagStart(1) * this.B * H, H, 1, this.whh.g, this.whh.gOff, H);
  }
}

/**
 * GRU with the reset gate applied before the recurrent product (Cho et al. 2014; ONNX's default GRU,
 * linear_before_reset = 0; Keras reset_after = False). Same gate rows r, z, n and tensors as GruLayer:
 *
 *   r = σ(W_ir x + b_ir + W_hr h_{t−1} + b_hr),   z = σ(W_iz x + b_iz + W_hz h_{t−1} + b_hz)
 *   n = tanh(W_in x + b_in + W_hn (r ⊙ h_{t−1}) + b_hn)
 *   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
 *
 * No bias is multiplied by r, so both fold into the input projection; W_hn needs r first, so a step
 * is two kernels around that product. Backward:
 *   dn' = dh (1 − z)(1 − n²),  dz' = dh (h_{t−1} − n) z(1 − z),  d(rh) = dn' W_hn,  dr' = d(rh) ⊙ h_{t−1} ⊙ r(1 − r)
 *   dh_{t−1} = dh ⊙ z + d(rh) ⊙ r + [dr', dz'] W_h{r,z}
 *   dW_h{r,z} = Σ [dr', dz']ᵀ h_{t−1},  dW_hn = Σ dn'ᵀ (r ⊙ h_{t−1}),  db_ih = db_hh = Σ [dr', dz', dn']
 */
export class GruResetBeforeLayer extends RecurrentLayer {
  readonly G = 3;
  /** Per step [r, z, n] (T·B×3H). */
  cache: Buf;
  /** Per step r ⊙ h_{t−1} (T·B×H): the input of W_hn, kept for dW_hn. */
  rh: Buf;
  /** Recurrent products of the current step (scratch): [W_hr h, W_hz h] (B×2H) and W_hn (r ⊙ h) (B×H). */
  hrz: Buf;
  hn: Buf;
  /** d(r ⊙ h_{t−1}) of the current step (scratch, B×H). */
  drh: Buf;

  constructor(be: Backend, params: Params, grads: Params, names: LayerNames, inSize: number, H: number, reverse: boolean) {
    super(be, params, grads, names, inSize, H, reverse, 1);
    this.cache = this.rh = this.hrz = this.hn = this.drh = be.alloc(0);
  }

  protected override allocate(rows: number, slotRows: number): void {
    super.allocate(rows, slotRows);
    const be = this.be, H = this.H;
    release(be, [this.cache, this.rh, this.hrz, this.hn, this.drh]);
    this.cache = be.alloc(rows * 3 * H);
    this.rh = be.alloc(rows * H);
    this.hrz = be.alloc(this.capacityB * 2 * H);
    this.hn = be.alloc(this.capacityB * H);
    this.drh = be.alloc(this.capacityB * H);
  }

  forwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s), P = this.whh.w, W = this.whh.off, g = t * B * 3 * H;
    be.gemm(false, true, B, 2 * H, H, 1, this.hs, this.hOff(s - 1), H, P, W, H, 0, this.hrz, 0, 2 * H);
    be.gruResetGates(B, H, this.xw, g, this.hrz, 0, this.hs, this.hOff(s - 1), this.cache, g, this.rh, t * B * H);
    be.gemm(false, true, B, H, H, 1, this.rh, t * B * H, H, P, W + 2 * H * H, H, 0, this.hn, 0, H);
    be.gruResetUpdate(B, H, this.xw, g, this.hn, 0, this.hs, this.hOff(s - 1), this.hs, this.hOff(s), this.cache, g, this.mask, this.maskOff(t));
  }

  backwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s), P = this.whh.w, W = this.whh.off, g = t * B * 3 * H;
    be.gruResetUpdateBackward(B, H, this.hs, this.hOff(s - 1), this.cache, g, this.dhs, this.hOff(s), this.dxw, g,
      this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
    be.gemm(false, false, B, H, H, 1, this.dxw, g + 2 * H, 3 * H, P, W + 2 * H * H, H, 0, this.drh, 0, H);
    be.gruResetGatesBackward(B, H, this.hs, this.hOff(s - 1), this.cache, g, this.drh, 0, this.dxw, g,
      this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
    be.gemm(false, false, B, H, 2 * H, 1, this.dxw, g, 3 * H, P, W, H, 1, this.dhs, this.hOff(s - 1), H);
  }

  paramGrads(): void {
    const be = this.be, rows = this.T * this.B, H = this.H, gr = this.grads, dW = this.whh.g, W = this.whh.gOff;
    this.inputParamGrads();
    be.sumRows(this.dxw, 0, rows, 3 * H, 3 * H, gr.data, gr.offset(this.names.bhh));
    be.gemm(true, false, 2 * H, H, rows, 1, this.dxw, 0, 3 * H, this.hs, this.lagStart(1) * this.B * H, H, 1, dW, W, H);
    be.gemm(true, false, H, H, rows, 1, this.dxw, 2 * H, 3 * H, this.rh, 0, H, 1, dW, W + 2 * H * H, H);
  }
}
