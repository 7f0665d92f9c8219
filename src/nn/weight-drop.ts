/**
 * A weight tensor with a mask drawn once per chunk, used in place of the tensor for that chunk:
 *
 *   W̃ = W ⊙ m,   m ∈ {0, 1/(1−p)}                 (forward and backward read W̃)
 *   dW += dW̃ ⊙ m                                   (after the users' gradients went into dW̃)
 *
 * Two regularisers are this: DropConnect on the recurrent weights (Wan et al. 2013; AWD-LSTM's
 * WeightDrop; stack.ts), a mask per element of W_hh, and embedding dropout (Gal & Ghahramani 2016;
 * AWD-LSTM's embedded_dropout; inputs.ts), a mask per row of the embedding, so that a dropped symbol
 * loses its whole vector wherever it occurs in the chunk. Dropping units of h_{t−1} instead would
 * break the memory the recurrence carries; dropping weights leaves the cells' kernels untouched.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import type { Rng } from '../util/rng.js';
import type { Params } from './params.js';

export class DroppedWeight {
  /** W̃ and dW̃ (read and written by the tensor's users during the chunk). */
  readonly w: Buf;
  readonly g: Buf;
  private readonly mask: Buf;
  private readonly n: number;
  private readonly wOff: number;
  private readonly gOff: number;

  constructor(readonly be: Backend, readonly params: Params, readonly grads: Params, readonly name: string) {
    this.n = params.view(name).size;
    this.wOff = params.offset(name);
    this.gOff = grads.offset(name);
    this.mask = be.alloc(this.n); this.w = be.alloc(this.n); this.g = be.alloc(this.n);
  }

  /** This chunk's mask (one draw per `row` consecutive elements: 1 = per element) and W̃ = W ⊙ m. */
  draw(rng: Rng, p: number, row = 1): void {
    const keep = 1 / (1 - p), m = this.mask, n = this.n;
    // The per-element case draws in one call: a fill() per element cost more than the chunk's update.
    if (row === 1) rng.mask(m, n, p, keep);
    else for (let i = 0; i < n; i += row) m.fill(rng.next() < p ? 0 : keep, i, i + row);
    this.be.mul(this.n, this.params.data, this.wOff, m, 0, this.w, 0);
  }

  /** dW̃ starts at zero (the users add into it). */
  beginBackward(): void { this.be.fill(this.g, 0, this.n, 0); }

  /** dW += dW̃ ⊙ m. */
  fold(): void {
    this.be.mul(this.n, this.g, 0, this.mask, 0, this.g, 0);
    this.be.axpy(this.n, 1, this.g, 0, this.grads.data, this.gOff);
  }
}
