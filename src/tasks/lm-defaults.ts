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
  /** Streams (or sequences) per step. */
  batch: number;
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
  hidden: DEFAULT_ARCH.hidden, batch: DEFAULT_SETTINGS.batch, lr: DEFAULT_SETTINGS.lr, dropoutInput: 0, dropoutOutput: 0, dropoutEmbed: 0, weightDrop: 0, average: false,
};

/**
 * First matching row wins; the last row catches everything.
 *
 * Moby Dick (1,084,497 training characters), 2026-12-02 on a quiet machine, candidates side by side in
 * pairs, one thread each, native backend, `--time` as a user gives it; validation loss (nats/char, the
 * first 50,000 held-out characters) of what the file holds:
 *  - 180 s. Today's settings (256 units, batch 32) 1.4478, still falling at the end (train 1.31): not
 *    overfitted but short of updates. The chars/s of the fused kernels hardly fall with the batch
 *    (61k at 32, 52k at 16, 50k at 8), so a smaller batch buys more updates for the same text:
 *      256, batch 16: 1.4334 (lr 3e-3: 1.4410; 8e-3: 1.4238)     256, batch 8: 1.4174 (overfits at the end)
 *      384, batch 8: 1.3963                                       384, batch 16: 1.4002; batch 4: 1.4085
 *      384, batch 8, lr 3e-3: 1.4135; 7e-3: 1.4088; 1e-2: 1.4297   512, batch 8: 1.4032
 *      384, batch 8, --lr-min 5e-5: 1.3997; --embed 128: 1.4184
 *      384, batch 8 beside --seq 32: 1.3961 vs 1.4106 (19,058 steps); beside --seq 128: 1.3950 vs 1.4088
 *      256, batch 32, locked dropout 0.25 out / 0.1 in, weight drop 0.2: 1.5093 (dropout only slows it here)
 *      256, batch 8, dropout 0.15 out / 0.05 in: 1.4334
 *    → 384 units, batch 8, no dropout. (defaults-floors.sh, another pair: today 1.4402, this row 1.3984.)
 *  - 600 s. Today's settings overfit: best 1.4710 at step 10,738 of 17,552 (train 1.18), 1.4772 at the
 *    end. Wider with locked dropout, batch 8:
 *      512, dropout 0.2 out / 0.1 in: 1.3812 (still falling at the end)   384, the same dropout: 1.3842
 *      512, dropout 0.1 out / 0.05 in: 1.3817 (best at step 16,489 of 17,412)
 *    → 512 units, batch 8, dropout 0.2 on the output and 0.1 on the embedding. (defaults-floors.sh:
 *    today 1.4500, this row 1.3833.)
 *  - averaging (bench/quality/average.ts, today's model, 3,000 steps, the first 50,000 held-out
 *    characters): the EMA θ̄ better than θ at every check (1.4712 vs 1.4765 at 3,000; Polyak from the
 *    middle 1.4786) → on by default.
 * Names (59,166 characters, lines: batch = names per step), today's model, side by side, 3,000 steps
 * (about 13 epochs; bench/quality/defaults.ts --corpus names --budget steps=3000), best validation (its
 * step), train loss at the end: θ only 1.9344 (1,394), train 1.43; --average 1.9032 (1,173), train
 * 1.42; --average with locked dropout 0.3 out / 0.2 in 1.9024 (2,634, still improving), train 1.73 →
 * a small corpus gets the dropout. At 600 s (about 100,000 steps) that row had passed its best by the
 * first validation (1.9367 at step 5,191; today's settings 2.1254 beside it, defaults-floors.sh); a
 * pair at 600 s: dropout 0.5 out / 0.3 in 1.9066, also at the first validation and then rising; with
 * weight drop 0.5 and lr 2e-3 as well 1.8938, still falling at the end (train 1.83) → past 300 s a
 * small corpus gets the strong row (re-run beside today's settings: 1.8902 vs 2.1454).
 * Names at 180 s, 2026-12-02 (later), after weight drop's masks were drawn ~6x faster (training 1.8x) and validation became as often
 * as it is cheap (about every 2 s here; the 30-s validations had missed every best above 30 s), pairs:
 *   the 3,000-step row 1.9040 (best 17 s in, then overfitting: 2.16 at the end) beside lr 3e-3, dropout
 *   0.4 out / 0.25 in, weight drop 0.3: 1.8915 (best 75 s in, then flat); that row again 1.8914 beside
 *   the strong row 1.8981 (still falling at the end). Before 25 s the 3,000-step row was ahead (1.904
 *   vs 1.935 at 18 s) → that row up to 30 s, the middle one up to 300 s, the strong one past it.
 * Names at 600 s, the same code: the strong row 1.8888 beside today's settings 2.1044 (its best at step
 * 36,521 of 68,946, then a slow rise); with embedding dropout 0.1 as well 1.8849 (best at 61,884 of 66,334)
 * beside 384 units 1.8908 (best at 9,942: wider overfits), and 1.8826 beside the strong row's 1.8873 → the
 * strong row takes embedding dropout 0.1.
 * Past 5 M characters the 600-s row is not applied (a larger corpus is read fewer times over, and no
 * run here measured dropout on one): the 180-s row stands for it.
 */
export const DEFAULTS_TABLE: readonly Row[] = [
  { maxChars: 200_000, maxSeconds: 30, defaults: { ...TODAY, dropoutOutput: 0.3, dropoutInput: 0.2, average: true }, runs: 'names, 3,000 steps (about 17 s) side by side' },
  { maxChars: 200_000, maxSeconds: 300, defaults: { ...TODAY, lr: 3e-3, dropoutOutput: 0.4, dropoutInput: 0.25, weightDrop: 0.3, average: true }, runs: 'names, 180 s: 1.8915 beside the 3,000-step row\'s 1.9040; 1.8914 beside the strong row\'s 1.8981' },
  { maxChars: 200_000, maxSeconds: Infinity, defaults: { ...TODAY, lr: 2e-3, dropoutOutput: 0.5, dropoutInput: 0.3, dropoutEmbed: 0.1, weightDrop: 0.5, average: true }, runs: 'names, 600 s: 1.8938 among candidates; beside today\'s settings 1.8902 vs 2.1454; with embedding dropout 0.1 1.8826 vs 1.8873 without' },
  { maxChars: Infinity, maxSeconds: 300, defaults: { ...TODAY, hidden: 384, batch: 8, average: true }, runs: 'Moby Dick, 180 s: 1.3963 among candidates; beside today\'s settings 1.3984 vs 1.4402' },
  { maxChars: 5_000_000, maxSeconds: Infinity, defaults: { ...TODAY, hidden: 512, batch: 8, dropoutOutput: 0.2, dropoutInput: 0.1, average: true }, runs: 'Moby Dick, 600 s: 1.3812 among candidates; beside today\'s settings 1.3833 vs 1.4500' },
  { maxChars: Infinity, maxSeconds: Infinity, defaults: { ...TODAY, hidden: 384, batch: 8, average: true }, runs: 'the 180-s row (no longer run was measured on a larger corpus)' },
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
