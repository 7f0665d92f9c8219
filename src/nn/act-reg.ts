/**
 * Activation regularisation (Merity et al. 2017, "Revisiting activation regularization"): penalties
 * on the top layer's output h [T·B×W], added to the training objective (the reported loss stays the
 * cross-entropy):
 *
 *   AR  = α/N  · Σ y²                        y = the output as the head reads it (after output dropout: h ⊙ m), N = T·B·W
 *   TAR = β/N′ · Σ_{t≥1} (h_t − h_{t−1})²    on h before dropout, within the chunk, N′ = (T−1)·B·W
 *
 *   dh   = 2α/N · y ⊙ m                      (m = 1 without output dropout)
 *   dh_t += 2β/N′ · (h_t − h_{t−1}),   dh_{t−1} −= 2β/N′ · (h_t − h_{t−1})
 *
 * AR keeps activations small (large ones saturate and overfit); TAR keeps them slow, which suits
 * text whose hidden state should change little from one character to the next. Both are means over
 * every element, padded steps included (they hold the state there, so their TAR term is 0).
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';

export class ActivationReg {
  /** AR + TAR of the last forward. */
  value = 0;
  /** Their gradient on h [T·B×W] (time-major, as h), made by forward. */
  grad: Buf;
  private diff: Buf;
  private cap = -1;

  constructor(readonly be: Backend, readonly alpha: number, readonly beta: number) {
    this.grad = this.diff = be.alloc(0);
  }

  /** Penalties and their gradient for h (at hOff) and y (at yOff), [T·B×W] each; `mask`: the output dropout's, or null. */
  forward(T: number, B: number, W: number, h: Buf, hOff: number, y: Buf, yOff: number, mask: Buf | null): number {
    const be = this.be, n = T * B * W, step = B * W, n1 = n - step;
    if (n > this.cap) {
      release(be, [this.grad, this.diff]);
      this.cap = n;
      this.grad = be.alloc(n); this.diff = be.alloc(n);
    }
    const g = this.grad;
    this.value = 0;
    if (this.alpha > 0) {
      this.value += (this.alpha / n) * be.sumSquares(n, y, yOff);
      if (mask) be.mul(n, y, yOff, mask, 0, g, 0); else be.copy(n, y, yOff, g, 0);
      be.scale(n, (2 * this.alpha) / n, g, 0);
    } else be.fill(g, 0, n, 0);
    if (this.beta > 0 && n1 > 0) {
      const d = this.diff, k = (2 * this.beta) / n1;
      be.copy(n1, h, hOff + step, d, 0);
      be.axpy(n1, -1, h, hOff, d, 0);
      this.value += (this.beta / n1) * be.sumSquares(n1, d, 0);
      be.axpy(n1, k, d, 0, g, step);
      be.axpy(n1, -k, d, 0, g, 0);
    }
    return this.value;
  }
}
