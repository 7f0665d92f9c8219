/**
 * When has training diverged? A loss or gradient that is not finite is the obvious case (the Trainer
 * throws before the update). The other case stays finite: with a learning rate far too high the
 * loss jumps to tens of nats and stays there, and the run would otherwise end "successfully" with a
 * model worse than guessing.
 *
 * The rule, per update, on the training loss of the batch (computed with the parameters before the
 * update):
 *  - the reference level R is the worse of the run's first loss and, for cross-entropy over C classes,
 *    ln C, the loss of a uniform guess. For squared error there is no uniform guess, so R is the first
 *    loss (the initial model's), the level training starts from;
 *  - a loss above LIMIT_FACTOR · R is a diverging step: worse than twice what the untrained or
 *    uniformly guessing model scores (well above the noise of a batch, the overshoot of early
 *    training or of a learning-rate warm-up, which stay near R);
 *  - PATIENCE diverging steps in a row, after the warm-up, is divergence. A single spike (a hard
 *    batch, one clipped step of an exploding IRNN) recovers within a step or two and never trips it;
 *    a diverged run (lr 100 without clipping: 18–88 nats against ln V ≈ 3) never comes back;
 *  - a step whose loss is at most R is healthy: the parameters it was computed with are no worse than
 *    guessing, so they may be kept as the last good model (TrainLoop's snapshot, LmJob's saves). A
 *    step between R and the limit is neither: nothing is kept from it, and it does not count towards
 *    divergence.
 */
export const LIMIT_FACTOR = 2;
export const PATIENCE = 10;

export interface GuardOptions {
  /** ln C for a cross-entropy loss over C classes; null for squared error. */
  uniformLoss: number | null;
  /** Updates before the guard may call a finite loss divergence (the schedule's warm-up). */
  warmup?: number;
}

export class DivergenceGuard {
  private reference: number | null = null;
  private badRun = 0;

  constructor(readonly opts: GuardOptions) {}

  /** The loss above which a step is bad (Infinity before the first step). */
  get limit(): number { return this.reference === null ? Infinity : LIMIT_FACTOR * this.reference; }

  /**
   * Judge update number `step` (from 1) by its loss: 'healthy', 'bad' (not healthy, not yet
   * divergence) or a sentence saying why training has diverged.
   */
  judge(step: number, loss: number): 'healthy' | 'bad' | string {
    if (this.reference === null) this.reference = Math.max(loss, this.opts.uniformLoss ?? -Infinity);
    if (!(loss > this.limit)) { this.badRun = 0; return loss <= this.reference ? 'healthy' : 'bad'; }
    this.badRun++;
    if (this.badRun >= PATIENCE && step > (this.opts.warmup ?? 0)) {
      const what = this.reference === this.opts.uniformLoss ? "a uniform guess's" : "the first step's";
      return `the loss has stayed above ${fmt(this.limit)} (twice ${what} ${fmt(this.reference)}) for ${this.badRun} steps (now ${fmt(loss)})`;
    }
    return 'bad';
  }
}

const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));
