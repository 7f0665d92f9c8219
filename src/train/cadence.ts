/**
 * When to do something between updates (log, validate, sample, save): every n updates, or every s
 * seconds of training. Step cadences fall on multiples of n, so a resumed run validates and saves at
 * the same steps as one that never stopped; second cadences count training time only.
 */
export type Every = { steps: number } | { seconds: number };

/** The loop's counters a cadence reads (TrainLoop has them). */
export interface Clocked { readonly step: number; readonly elapsed: number }

export class Cadence {
  private since: { step: number; time: number };

  /** `every` null: never due. */
  constructor(readonly every: Every | null, private readonly loop: Clocked) {
    this.since = { step: loop.step, time: loop.elapsed };
  }

  get due(): boolean {
    const e = this.every, l = this.loop;
    if (!e) return false;
    if ('steps' in e) return l.step > this.since.step && l.step % e.steps === 0;
    return l.elapsed - this.since.time >= e.seconds;
  }

  /** It was done now: the next one is counted from here. */
  done(): void { this.since = { step: this.loop.step, time: this.loop.elapsed }; }
}
