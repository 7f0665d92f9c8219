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

/** First matching row wins; the last rows catch everything. */
export const DEFAULTS_TABLE: readonly Row[] = [
  { maxChars: Infinity, maxSeconds: Infinity, defaults: TODAY, runs: 'today\'s defaults (lm-settings.ts)' },
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
