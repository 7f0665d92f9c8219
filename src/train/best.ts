/**
 * The best parameters seen on validation data: a long budget cannot make the result worse through
 * overfitting, because the run ends with the parameters that scored best, not the last ones.
 */
import type { Params } from '../nn/params.js';

export class BestSnapshot<Score> {
  private best: { data: Float32Array; score: Score } | null = null;

  /** `better(a, b)`: is score a better than score b. */
  constructor(readonly params: Params, readonly better: (a: Score, b: Score) => boolean) {}

  get score(): Score | null { return this.best?.score ?? null; }

  /** Keep a copy of the current parameters if they score better than the best so far; true if they did. */
  offer(score: Score): boolean {
    if (this.best && !this.better(score, this.best.score)) return false;
    const p = this.params.data;
    const data = this.best?.data ?? new Float32Array(p.length);
    data.set(p);
    this.best = { data, score };
    return true;
  }

  /** Put the best parameters back (nothing to do before the first offer); returns their score. */
  restore(): Score | null {
    if (!this.best) return null;
    this.params.data.set(this.best.data);
    this.params.touch();
    return this.best.score;
  }
}
