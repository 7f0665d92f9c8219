/**
 * LSTM layer, exactly as torch.nn.LSTM (gate rows i, f, g, o):
 *
 *   [i, f, g, o] = [σ, σ, tanh, σ](W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,     h_t = o ⊙ tanh(c_t)
 *
 * Backward (dh_t total, dc_t from step t+1):
 *   dc = dc_t + dh_t ⊙ o ⊙ (1 − tanh² c_t)
 *   di = dc ⊙ g,  df = dc ⊙ c_{t−1},  dg = dc ⊙ i,  do = dh_t ⊙ tanh c_t   (then through σ', tanh')
 *   dc_{t−1} = dc ⊙ f,   dh_{t−1} += dgates W_hh
 * The cell state is additive through f: the gradient along c is not squashed at every step,
 * which is why LSTMs learn long spans where Elman networks fail.
 *
 * c is carried between chunks like h: the layer offers it to the state module as its `extra` state.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import { RecurrentLayer, type ExtraState, type LayerNames } from './layer.js';
import type { Params } from './params.js';

export class LstmLayer extends RecurrentLayer {
  readonly G = 4;
  /** Cell states, same slots as hs. */
  cs: Buf;
  dcs: Buf;

  constructor(be: Backend, params: Params, grads: Params, names: LayerNames, inSize: number, H: number, reverse: boolean) {
    super(be, params, grads, names, inSize, H, reverse, 1);
    this.cs = this.dcs = be.alloc(0);
    this.extra = this.cellState;
  }

  protected override allocate(rows: number, slotRows: number): void {
    super.allocate(rows, slotRows);
    release(this.be, [this.cs, this.dcs]);
    this.cs = this.be.alloc(slotRows * this.H);
    this.dcs = this.be.alloc(slotRows * this.H);
  }

  forwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s), g = t * B * 4 * H;
    be.gemm(false, true, B, 4 * H, H, 1, this.hs, this.hOff(s - 1), H, this.whh.w, this.whh.off, H, 1, this.xw, g, 4 * H);
    this.cellForward(s, t, g);
  }

  backwardStep(s: number): void {
    const be = this.be, B = this.B, H = this.H, t = this.step(s), g = t * B * 4 * H;
    this.cellBackward(s, t, g);
    be.gemm(false, false, B, H, 4 * H, 1, this.dxw, g, 4 * H, this.whh.w, this.whh.off, H, 1, this.dhs, this.hOff(s - 1), H);
  }

  /** The fused cell of step s (time t, gate rows at g) once xw holds every pre-activation term but the cell's own. */
  protected cellForward(s: number, t: number, g: number): void {
    this.be.lstmForward(this.B, this.H, this.xw, g, this.cs, this.hOff(s - 1), this.cs, this.hOff(s), this.hs, this.hOff(s - 1),
      this.hs, this.hOff(s), this.mask, this.maskOff(t));
  }

  /** Its backward: dxw's gate rows, dc_{t−1}, and dh_{t−1} for held rows (the caller adds dgates·W_hh). */
  protected cellBackward(s: number, t: number, g: number): void {
    this.be.lstmBackward(this.B, this.H, this.xw, g, this.cs, this.hOff(s - 1), this.cs, this.hOff(s), this.dhs, this.hOff(s),
      this.dcs, this.hOff(s), this.dxw, g, this.dcs, this.hOff(s - 1), this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
  }

  paramGrads(): void {
    const be = this.be, rows = this.T * this.B, H = this.H, gr = this.grads;
    this.inputParamGrads();
    be.sumRows(this.dxw, 0, rows, 4 * H, 4 * H, gr.data, gr.offset(this.names.bhh));
    be.gemm(true, false, 4 * H, H, rows, 1, this.dxw, 0, 4 * H, this.hs, this.lagStart(1) * this.B * H, H, 1, this.whh.g, this.whh.gOff, H);
  }

  override beginBackward(): void {
    super.beginBackward();
    this.be.fill(this.dcs, 0, (this.T + 1) * this.B * this.H, 0);
  }

  /** c before the sequence (slot −1) and after it (slot T−1), and their gradients in dcs. */
  private readonly cellState: ExtraState = {
    setInitial: (c) => this.be.copy(this.B * this.H, c, 0, this.cs, this.hOff(-1)),
    getFinal: (c) => this.be.copy(this.B * this.H, this.cs, this.hOff(this.T - 1), c, 0),
    getInitialGrad: (dc) => this.be.copy(this.B * this.H, this.dcs, this.hOff(-1), dc, 0),
    addInitialGradRow: (b, dst, off) => this.be.axpy(this.H, 1, this.dcs, this.hOff(-1) + b * this.H, dst, off),
    addFinalGrad: (dc, off) => this.be.axpy(this.B * this.H, 1, dc, off, this.dcs, this.hOff(this.T - 1)),
  };
}
