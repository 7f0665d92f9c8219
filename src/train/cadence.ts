/**
 * When to do something between updates (log, validate, sample, save): every n updates, every s
 * seconds of training, or as often as it is cheap. Step cadences fall on multiples of n, so a resumed
 * run validates and saves at the same steps as one that never stopped; second cadences count training
 * time only.
 *
 * `{ seconds, share }` adapts to what the thing costs: after each one that took c seconds, the next
 * falls after c / share seconds of training, so that it takes about `share` of the run, but never
 * later than `seconds` and never sooner than share × seconds (the first one, its cost unknown, falls
 * there). Validation is the case: the held-out text of a small corpus scores in milliseconds, and a
 * model that overfits within seconds needs it often for its best weights to be caught (the names
 * corpus passes its best about 18 s into a 180-s run); a large held-out text costs a second or more (Moby Dick's 50,000 characters 1.6 s)
 * and stays at every `seconds`.
 */
export type Every = { steps: number } | { seconds: number; share?: number };

/** Whether `every` adapts to the cost of what it times (`{ seconds, share }`). */
export const adapts = (every: Every | null): every is { seconds: number; share: number } =>
  every !== null && 'seconds' in every && Boolean(every.share);

/** The loop's counters a cadence reads (TrainLoop has them). */
export interface Clocked { readonly step: number; readonly elapsed: number }

export class Cadence {
  private since: { step: number; time: number };
  /** Training seconds until the next one, for a cadence in seconds. */
  private interval: number;

  /** `every` null: never due. */
  constructor(readonly every: Every | null, private readonly loop: Clocked) {
    this.since = { step: loop.step, time: loop.elapsed };
    this.interval = every && 'seconds' in every ? every.seconds * (every.share ?? 1) : 0;
  }

  get due(): boolean {
    const e = this.every, l = this.loop;
    if (!e) return false;
    if ('steps' in e) return l.step > this.since.step && l.step % e.steps === 0;
    return l.elapsed - this.since.time >= this.interval;
  }

  /** It was done now, taking `cost` seconds (wall clock): the next one is counted from here. */
  done(cost = 0): void {
    this.since = { step: this.loop.step, time: this.loop.elapsed };
    const e = this.every;
    if (adapts(e)) this.interval = Math.min(e.seconds, Math.max(cost / e.share, e.seconds * e.share));
  }
}
