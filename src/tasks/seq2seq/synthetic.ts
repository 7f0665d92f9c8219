/**
 * The built-in seq2seq tasks, generated on the fly from a seed: reverse and sort a string of letters
 * (lengths uniform in 1..length), add two numbers of up to `length` digits, rewrite a written date as
 * ISO. Each task has fixed alphabets, so its vocabularies do not depend on the data drawn, and known
 * longest source and target. Platform-free.
 */
import type { Rng } from '../../util/rng.js';
import { datePair, DATE_FORMATS, FIRST_YEAR, LAST_YEAR } from './dates.js';

export const TASK_NAMES = ['reverse', 'sort', 'addition', 'dates'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export interface SyntheticTask {
  name: TaskName;
  length: number;
  /** Every character a source or a target can hold. */
  srcAlphabet: string;
  tgtAlphabet: string;
  /** Longest source and target, in characters. */
  maxSource: number;
  maxTarget: number;
  /** One (source, target) pair. */
  sample(rng: Rng): [string, string];
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

function letters(rng: Rng, length: number): string {
  const n = 1 + rng.int(length);
  let s = '';
  for (let i = 0; i < n; i++) s += LETTERS[rng.int(LETTERS.length)];
  return s;
}

/** A number of 1..length digits (digit count uniform, as Keras's addition example draws them). */
function number(rng: Rng, length: number): number {
  const digits = 1 + rng.int(length);
  return rng.int(10 ** digits);
}

/** Every character the date formats write and their longest text (over all months, weekdays and day widths). */
function dateFormats(): { alphabet: string; longest: number } {
  const seen = new Set<string>([...DIGITS]);
  let longest = 0;
  const days = [{ y: FIRST_YEAR, m: 1, d: 1, weekday: 0 }, { y: LAST_YEAR, m: 12, d: 31, weekday: 6 }];
  for (let m = 1; m <= 12; m++) for (let w = 0; w < 7; w++) days.push({ y: 2000, m, d: 23, weekday: w });
  for (const t of days) {
    for (const f of DATE_FORMATS) {
      const text = f(t);
      longest = Math.max(longest, text.length);
      for (const c of text) seen.add(c);
    }
  }
  return { alphabet: [...seen].sort().join(''), longest };
}

/** The task named `name` at this length; throws a one-line error for an unknown name or a bad length. */
export function syntheticTask(name: string, length: number): SyntheticTask {
  if (!(TASK_NAMES as readonly string[]).includes(name)) throw new Error(`unknown task '${name}' (expected ${TASK_NAMES.join(', ')})`);
  if (!(Number.isInteger(length) && length >= 1)) throw new Error(`--length must be a positive integer, got ${length}`);
  switch (name as TaskName) {
    case 'reverse':
      return { name: 'reverse', length, srcAlphabet: LETTERS, tgtAlphabet: LETTERS, maxSource: length, maxTarget: length,
        sample: (rng) => { const s = letters(rng, length); return [s, [...s].reverse().join('')]; } };
    case 'sort':
      return { name: 'sort', length, srcAlphabet: LETTERS, tgtAlphabet: LETTERS, maxSource: length, maxTarget: length,
        sample: (rng) => { const s = letters(rng, length); return [s, [...s].sort().join('')]; } };
    case 'addition':
      return { name: 'addition', length, srcAlphabet: `${DIGITS}+`, tgtAlphabet: DIGITS, maxSource: 2 * length + 1, maxTarget: length + 1,
        sample: (rng) => { const a = number(rng, length), b = number(rng, length); return [`${a}+${b}`, String(a + b)]; } };
    case 'dates': {
      const { alphabet, longest } = dateFormats();
      return { name: 'dates', length, srcAlphabet: alphabet, tgtAlphabet: `${DIGITS}-`, maxSource: longest, maxTarget: 10, sample: datePair };
    }
  }
}
