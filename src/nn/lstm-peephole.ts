/**
 * LSTM with peephole connections (Gers & Schmidhuber 2000; ONNX LSTM's input P): the gates also see the
 * cell state, through one diagonal weight vector each (p_i, p_f, p_o: the tensor `weight_peephole_l0` [3H]):
 *
 *   i = σ(W_ii x + W_hi h_{t−1} + b_i + p_i ⊙ c_{t−1}),   f = σ(W_if x + W_hf h_{t−1} + b_f + p_f ⊙ c_{t−1})
 *   g = tanh(W_ig x + W_hg h_{t−1} + b_g),                 c_t = f ⊙ c_{t−1} + i ⊙ g
 *   o = σ(W_io x + W_ho h_{t−1} + b_o + p_o ⊙ c_t),        h_t = o ⊙ tanh(c_t)
 *
 * Backward (the LSTM's, plus the paths through the peepholes):
 *   do' = dh ⊙ tanh c_t ⊙ o(1 − o),   dc = dc_t + dh ⊙ o ⊙ (1 − tanh² c_t) + do' ⊙ p_o
 *   di' = dc ⊙ g ⊙ i(1 − i),  df' = dc ⊙ c_{t−1} ⊙ f(1 − f),  dg' = dc ⊙ i ⊙ (1 − g²)
 *   dc_{t−1} = dc ⊙ f + di' ⊙ p_i + df' ⊙ p_f
 *   dp_i = Σ di' ⊙ c_{t−1},  dp_f = Σ df' ⊙ c_{t−1},  dp_o = Σ do' ⊙ c_t   (one pass after the time loop)
 *
 * Everything else (the recurrent product, c carried as the `extra` state, the other weight gradients) is
 * the LSTM's.
 */
import { LstmLayer } from './lstm.js';

export class LstmPeepholeLayer extends LstmLayer {
  protected override cellForward(s: number, t: number, g: number): void {
    this.be.lstmPeepholeForward(this.B, this.H, this.xw, g, this.params.data, this.p(this.names.peephole), this.cs, this.hOff(s - 1),
      this.cs, this.hOff(s), this.hs, this.hOff(s - 1), this.hs, this.hOff(s), this.mask, this.maskOff(t));
  }

  protected override cellBackward(s: number, t: number, g: number): void {
    this.be.lstmPeepholeBackward(this.B, this.H, this.xw, g, this.params.data, this.p(this.names.peephole), this.cs, this.hOff(s - 1),
      this.cs, this.hOff(s), this.dhs, this.hOff(s), this.dcs, this.hOff(s), this.dxw, g, this.dcs, this.hOff(s - 1),
      this.dhs, this.hOff(s - 1), this.mask, this.maskOff(t));
  }

  override paramGrads(): void {
    super.paramGrads();
    // c_{t−1} and c_t of every step, aligned with dxw's rows: the slots from lag 1 and lag 0 on (layer.ts)
    const rowsH = this.B * this.H;
    this.be.lstmPeepholeGrads(this.T * this.B, this.H, this.dxw, 0, this.cs, this.lagStart(1) * rowsH, this.cs, this.lagStart(0) * rowsH,
      this.grads.data, this.grads.offset(this.names.peephole));
  }
}
