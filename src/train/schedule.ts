/**
 * Learning-rate schedules over a budget: a linear warm-up over the first steps, then constant, or a
 * cosine or straight line from `lr` down to `lrMin` as the budget is spent (the fraction p ∈ [0, 1]
 * comes from the loop: steps, seconds or epochs, whichever runs out first).
 *
 *   cosine:  lr(p) = lrMin + (lr − lrMin) · ½ (1 + cos πp)
 *   linear:  lr(p) = lr + (lrMin − lr) · p
 *   warm-up: lr(p) · (step + 1) / warmup while step < warmup
 */
export type ScheduleName = 'constant' | 'cosine' | 'linear';
export const SCHEDULE_NAMES: ScheduleName[] = ['constant', 'cosine', 'linear'];

export interface Schedule {
  kind: ScheduleName;
  lr: number;
  /** Rate at the end of the budget (cosine and linear). */
  lrMin: number;
  /** Steps of linear warm-up (0 = none). */
  warmup: number;
}

export const constantSchedule = (lr: number): Schedule => ({ kind: 'constant', lr, lrMin: lr, warmup: 0 });

/** The rate of update number `step` (from 0) with a fraction `p` of the budget spent. */
export function scheduledLr(s: Schedule, step: number, p: number): number {
  let lr = s.lr;
  if (s.kind === 'cosine') lr = s.lrMin + (s.lr - s.lrMin) * 0.5 * (1 + Math.cos(Math.PI * p));
  else if (s.kind === 'linear') lr = s.lr + (s.lrMin - s.lr) * p;
  if (s.warmup > 0 && step < s.warmup) lr *= (step + 1) / s.warmup;
  return lr;
}
