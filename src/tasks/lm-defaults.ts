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
 *  - names (59,166 characters), today's model, side by side, 3,000 steps (about 13 epochs; bench/quality/
 *    defaults.ts --corpus names --budget steps=3000), best validation (its step), train loss at the end:
 *      θ only                                1.9344 (1,394), train 1.43
 *      --average                             1.9032 (1,173), train 1.42
 *      --average, locked dropout 0.3 out, 0.2 in   1.9024 (2,634), train 1.73
 *    (with weight drop 0.3 as well: too slow to finish). Averaging alone overfits after ~1,200 steps; with
 *    dropout the run was still improving at the end, level with the best at 3,000 steps, and a 600-s run on
 *    a quiet machine buys many more steps: so a small corpus gets the dropout.
 * Width and learning rate were not re-measured: today's (lm-settings.ts) stand. Nor was dropout on Moby
 * Dick (its runs did not reach the overfitting regime in the time there was): the large-corpus row is
 * today's model with averaging. defaults-floors.sh measures the floors on a quiet machine.
 */
export const DEFAULTS_TABLE: readonly Row[] = [
  { maxChars: 200_000, maxSeconds: Infinity, defaults: { ...TODAY, dropoutOutput: 0.3, dropoutInput: 0.2, average: true }, runs: 'names, 3,000 steps side by side' },
  { maxChars: Infinity, maxSeconds: Infinity, defaults: { ...TODAY, average: true }, runs: 'averaging: bench/quality/average.ts (Moby Dick), names' },
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
