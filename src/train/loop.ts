/**
 * The training loop every job runs (char-rnn, classifier, forecaster, lab, the playground): a budget
 * in steps, seconds and/or epochs (the first one spent ends the run), the learning-rate schedule over
 * that budget, the clock, and divergence.
 *
 * The loop owns the update count and the training time; the job owns its data and its cadence
 * (validation, samples, saving, progress), which it runs between updates. One update is `next()`,
 * so the loop can be driven to the end (`while (!loop.done) loop.next()`) or in slices by a browser
 * worker that must stay responsive. Seconds count only the updates themselves: validation,
 * sampling and saving between them are not training time, and a budget in seconds buys the same
 * amount of training whatever the cadence.
 *
 * Divergence (divergence.ts): a non-finite loss or gradient (the Trainer stops before the update), or
 * a finite loss that stays far above the uniform guess or the first loss. Either way the parameters
 * go back to the last good snapshot, and a TrainingDiverged says why, at which step, and which
 * step's parameters were kept. The snapshot is a copy of the parameters taken every SNAPSHOT_EVERY
 * updates and kept once the next update's loss (computed with exactly those parameters) is healthy.
 *
 * Platform-free: the clock is passed in or is `performance.now()`.
 */
import type { Params } from '../nn/params.js';
import { DivergenceGuard, type GuardOptions } from './divergence.js';
import { scheduledLr, type Schedule } from './schedule.js';
import { DivergedError, type StepStats } from './trainer.js';

/**
 * What ends a run: any of these (null or absent: no limit of that kind). With none, the run goes on
 * until the caller stops calling next() (the playground trains until paused).
 */
export interface Budget {
  steps?: number | null;
  seconds?: number | null;
  epochs?: number | null;
}

export interface LoopOptions {
  budget: Budget;
  schedule: Schedule;
  guard: GuardOptions;
  /** The parameters the loop snapshots and restores. */
  params: Params;
  /** Epochs of data done so far (fractional), for an epoch budget. */
  epoch?: () => number;
  /** Clock in milliseconds (default performance.now). */
  now?: () => number;
  /** A resumed run's update count and training seconds. */
  start?: { step: number; elapsed: number };
}

/** One update as the loop saw it. */
export interface StepReport extends StepStats {
  /** Updates done, this one included. */
  step: number;
  lr: number;
  /** Seconds this update took. */
  seconds: number;
  /** False for a step whose loss was above the divergence limit (not yet divergence). */
  healthy: boolean;
}

/** Training diverged; the parameters are back at those of `keptStep` (the run's start when no later step was known good). */
export class TrainingDiverged extends DivergedError {
  constructor(message: string, readonly step: number, readonly keptStep: number) { super(message); }
}

/** Updates between snapshots of the last good parameters. */
export const SNAPSHOT_EVERY = 10;

interface Snapshot { data: Float32Array; step: number }

export class TrainLoop {
  /** Updates done (counting those before a resume). */
  step: number;
  /** Seconds of training (counting those before a resume). */
  elapsed: number;
  schedule: Schedule;
  private readonly guard: DivergenceGuard;
  private readonly now: () => number;
  private good: Snapshot | null = null;
  private candidate: Snapshot | null;
  private spare: Float32Array | null = null;

  constructor(private readonly update: (lr: number) => StepStats, readonly opts: LoopOptions) {
    const b = opts.budget;
    if (b.epochs != null && !opts.epoch) throw new Error('an epoch budget needs the epoch count');
    this.step = opts.start?.step ?? 0;
    this.elapsed = opts.start?.elapsed ?? 0;
    this.schedule = opts.schedule;
    this.guard = new DivergenceGuard({ warmup: opts.schedule.warmup, ...opts.guard });
    this.now = opts.now ?? (() => performance.now());
    this.candidate = { data: Float32Array.from(opts.params.data), step: this.step };
  }

  /** Fraction of the budget spent (the largest over its kinds), in [0, 1]. */
  get progress(): number {
    const b = this.opts.budget;
    let p = 0;
    if (b.steps != null) p = Math.max(p, b.steps > 0 ? this.step / b.steps : 1);
    if (b.seconds != null) p = Math.max(p, b.seconds > 0 ? this.elapsed / b.seconds : 1);
    if (b.epochs != null) p = Math.max(p, b.epochs > 0 ? this.opts.epoch!() / b.epochs : 1);
    return Math.min(1, p);
  }

  get done(): boolean {
    const b = this.opts.budget;
    return (b.steps != null && this.step >= b.steps) || (b.seconds != null && this.elapsed >= b.seconds)
      || (b.epochs != null && this.opts.epoch!() >= b.epochs);
  }

  /** Learning rate of the next update. */
  lr(): number { return scheduledLr(this.schedule, this.step, this.progress); }

  /** One timed update; throws TrainingDiverged (parameters restored) when training has diverged. */
  next(): StepReport {
    const lr = this.lr(), t0 = this.now();
    let stats: StepStats;
    try {
      stats = this.update(lr);
    } catch (e) {
      if (e instanceof DivergedError && !(e instanceof TrainingDiverged)) this.fail(this.step + 1, e.message);
      throw e;
    }
    const seconds = (this.now() - t0) / 1000;
    this.elapsed += seconds;
    this.step++;
    const verdict = this.guard.judge(this.step, stats.loss);
    if (verdict !== 'healthy') {
      this.drop();
      if (verdict !== 'bad') this.fail(this.step, verdict);
    } else {
      // The candidate's parameters have just scored a healthy loss: they are the last good ones.
      if (this.candidate) { if (this.good) this.spare = this.good.data; this.good = this.candidate; this.candidate = null; }
      if (this.step % SNAPSHOT_EVERY === 0) this.take();
    }
    return { ...stats, step: this.step, lr, seconds, healthy: verdict === 'healthy' };
  }

  private take(): void {
    const p = this.opts.params.data;
    const data = this.spare && this.spare.length === p.length ? this.spare : new Float32Array(p.length);
    this.spare = null;
    data.set(p);
    this.candidate = { data, step: this.step };
  }

  private drop(): void {
    if (this.candidate) { this.spare = this.candidate.data; this.candidate = null; }
  }

  private fail(step: number, why: string): never {
    const kept = this.good ?? this.candidate!;
    const params = this.opts.params;
    params.data.set(kept.data);
    params.touch();
    throw new TrainingDiverged(`training diverged at step ${step}: ${why}`, step, kept.step);
  }
}
