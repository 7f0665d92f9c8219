/**
 * Variational ("locked") dropout (Gal & Ghahramani 2016; AWD-LSTM's LockedDropout): one mask per
 * stream per chunk, so the same units are dropped at every time step of the chunk:
 *
 *   y_t = x_t ⊙ m,    m ∈ {0, 1/(1−p)}^{B×W}, drawn once per chunk      (forward)
 *   dx_t = dy_t ⊙ m                                                     (backward)
 *
 * A fresh mask per step (the older dropout) lets a recurrent network average the noise away over
 * time and, between layers, corrupts the long-range signal at every step; a locked mask removes the
 * same units for the whole chunk. The mask is kept replicated over the T steps ([T·B×W]), so forward
 * and backward over any range of steps are one elementwise product each (the `mul` kernel).
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';

export class LockedDropout {
  /** The mask [T·B×W] (0 or 1/(1−p), the same rows at every step), the dropped values and a gradient buffer. */
  mask: Buf;
  out: Buf;
  dOut: Buf;
  private T = 0;
  private B = 0;
  private rowsCap = -1;

  /** `width`: units per row (W). */
  constructor(readonly be: Backend, readonly width: number) {
    this.mask = this.out = this.dOut = be.alloc(0);
  }

  /** Steps of the current chunk. */
  get steps(): number { return this.T; }

  /** Size for T steps of B streams (buffers reused when large enough). */
  ensure(T: number, B: number): void {
    this.T = T; this.B = B;
    const rows = T * B;
    if (rows <= this.rowsCap) return;
    this.rowsCap = rows;
    release(this.be, [this.mask, this.out, this.dOut]);
    const n = rows * this.width;
    this.mask = this.be.alloc(n); this.out = this.be.alloc(n); this.dOut = this.be.alloc(n);
  }

  /** This chunk's mask: B×W draws, then the same block at every step. */
  draw(rng: Rng, p: number): void {
    const keep = 1 / (1 - p), n = this.B * this.width, m = this.mask;
    rng.mask(m, n, p, keep);
    for (let t = 1; t < this.T; t++) this.be.copy(n, m, 0, m, t * n);
  }

  /** out = x ⊙ m for steps [t0, t1); x is [T·B×W] at xOff (rows contiguous). */
  forward(x: Buf, xOff: number, t0: number, t1: number): void {
    const n = this.B * this.width, o = t0 * n;
    this.be.mul((t1 - t0) * n, x, xOff + o, this.mask, o, this.out, o);
  }

  /** dx = dy ⊙ m over steps [t0, t1), in place in dy ([T·B×W] at dOff). */
  backward(dy: Buf, dOff: number, t0: number, t1: number): void {
    const n = this.B * this.width, o = t0 * n;
    this.be.mul((t1 - t0) * n, dy, dOff + o, this.mask, o, dy, dOff + o);
  }
}
