/**
 * What `recur train` picks when the user does not say: the model's width, its regularisation, the
 * learning rate and weight averaging, by the time budget and the size of the training text. A small
 * corpus trained for long is read many times over and ends overfitted unless it is regularised; a
 * short run on a large corpus reads each character about once and gains nothing from dropout. A
 * flag the user gives always wins (the caller applies only the keys not given).
 *
 * The rows come from side-by-side runs (bench/quality/defaults.ts: candidates started at the same
 * moment, one thread each, step-matched to what the budget buys on a quiet machine); the runs that
 * made each row are listed with it. The floors (today's defaults against these, 180 s and 600 s on
 * Moby Dick, 600 s on the names) are re-measured by bench/quality/defaults-floors.sh. Platform-free.
 */
import { DEFAULT_ARCH, DEFAULT_SETTINGS, DEFAULT_TIME_S } from './lm-settings.js';

export interface LmDefaults {
  hidden: number;
  lr: number;
  dropoutInput: number;
  dropoutOutput: number;
  dropoutEmbed: number;
  weightDrop: number;
  average: boolean;
}

interface Row {
  /** The row applies up to this many training characters... */
  maxChars: number;
  /** ...and up to this many seconds of training. */
  maxSeconds: number;
  defaults: LmDefaults;
  /** The measurements that chose it. */
  runs: string;
}

const TODAY: LmDefaults = {
  hidden: DEFAULT_ARCH.hidden, lr: DEFAULT_SETTINGS.lr, dropoutInput: 0, dropoutOutput: 0, dropoutEmbed: 0, weightDrop: 0, average: false,
};

/**
 * First matching row wins; the last row catches everything.
 *
 * The runs (2026-12-02, on the shared 2-core machine under a load of 20–50, so every comparison is
 * within one run or side by side):
 *  - averaging, Moby Dick, today's model, 3,000 steps, one run scoring θ, the EMA θ̄ and a Polyak average
 *    from the middle on the first 50,000 held-out characters (bench/quality/average.ts): θ̄ better than θ
 *    at every check, 1.7966/1.8076 at step 250, 1.5133/1.5419 at 1,500, 1.4712/1.4765 at 3,000; Polyak
 *    1.4786 at 3,000 (it still holds the iterates of the higher learning rate) → the EMA, on by default.
 *  - names, today's model, side by side (bench/quality/defaults.ts, steps=3000, stopped by the deadline at
 *    ~1,000 steps): best validation 1.9994 (θ, step 642) vs 1.9655 with --average (step 625); with locked
 *    dropout 0.3 out / 0.2 in 2.0258 (step 590): dropout only slows the first thousand steps, and the
 *    runs did not reach the overfitting regime where it pays, so it stays off until measured there.
 * Width and learning rate were not re-measured: today's (lm-settings.ts) stand. Rows for a small corpus
 * and a long budget (where dropout should win) are the next measurement: defaults-floors.sh and
 * defaults.ts on a quiet machine.
 */
export const DEFAULTS_TABLE: readonly Row[] = [
  { maxChars: Infinity, maxSeconds: Infinity, defaults: { ...TODAY, average: true }, runs: 'averaging: bench/quality/average.ts (Moby Dick), defaults.ts (names)' },
];

/**
 * The defaults for a run of `seconds` of training (null: a step budget, taken as the default time)
 * over `trainChars` characters of training text.
 */
export function defaultsFor(seconds: number | null, trainChars: number): LmDefaults {
  const s = seconds ?? DEFAULT_TIME_S;
  const row = DEFAULTS_TABLE.find((r) => trainChars <= r.maxChars && s <= r.maxSeconds)!;
  return { ...row.defaults };
}
