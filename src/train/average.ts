/**
 * Weight averaging for evaluation: training updates the raw weights θ; validation, samples and the
 * saved model use an average of the recent θ, which sits nearer the centre of the valley the noisy
 * updates wander around (Polyak & Juditsky 1992; AWD-LSTM's averaged SGD, Merity et al. 2017).
 *
 * The average is an exponential moving average, θ̄ ← β_k·θ̄ + (1 − β_k)·θ after the k-th update, with
 * β_k = min(β, (1 + k)/(10 + k)) so that the first updates (far from any valley) are soon forgotten
 * and a short run averages over its own length. Why not AWD-LSTM's uniform average from a trigger
 * (NT-ASGD): their trigger watches plain SGD's validation loss stall at a constant rate, while recur's
 * default is Adam on a decaying schedule whose validation loss rarely stalls within a time budget;
 * step-matched runs on Moby Dick (bench/quality/defaults.ts, README) compare the two choices.
 *
 * `swap()` exchanges the averaged and raw weights in the parameter buffer (the optimizer's moments
 * stay with the raw weights), so that the one Params every evaluation reads can hold either. Platform-free.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import type { Params } from '../nn/params.js';

export const AVERAGE_BETA = 0.999;

export class WeightAverage {
  /** θ̄, laid out like the parameters. */
  readonly avg: Buf;
  /** Updates averaged so far. */
  count = 0;
  private readonly spare: Buf;
  /** True while the parameter buffer holds θ̄ (and `avg` holds θ). */
  private swapped = false;

  constructor(readonly be: Backend, readonly params: Params, readonly beta = AVERAGE_BETA) {
    this.avg = be.alloc(params.size);
    this.spare = be.alloc(params.size);
    be.copy(params.size, params.data, 0, this.avg, 0);
  }

  /** β for the next update. */
  private rate(): number { return Math.min(this.beta, (1 + this.count) / (10 + this.count)); }

  /** Fold the current raw weights in (after each update): θ̄ ← β·θ̄ + (1 − β)·θ. */
  update(): void {
    if (this.swapped) throw new Error('the averaged weights are in place: swap back before updating');
    const n = this.params.size, b = this.rate();
    this.be.scale(n, b, this.avg, 0);
    this.be.axpy(n, 1 - b, this.params.data, 0, this.avg, 0);
    this.count++;
  }

  /** Exchange θ and θ̄ in the parameter buffer; call again to put the raw weights back. */
  swap(): void {
    const n = this.params.size, be = this.be;
    be.copy(n, this.params.data, 0, this.spare, 0);
    be.copy(n, this.avg, 0, this.params.data, 0);
    be.copy(n, this.spare, 0, this.avg, 0);
    this.params.touch();
    this.swapped = !this.swapped;
  }

  /** Run `fn` with θ̄ in the parameter buffer, θ back afterwards. */
  with<T>(fn: () => T): T {
    this.swap();
    try { return fn(); } finally { this.swap(); }
  }

  /** The raw weights whichever buffer holds them (for the resume record). */
  get raw(): Buf { return this.swapped ? this.avg : this.params.data; }

  /** The averaged weights whichever buffer holds them. */
  get mean(): Buf { return this.swapped ? this.params.data : this.avg; }
}
