/** Seeded stratified train/validation/test split. Platform-free. */
import { Rng } from '../util/rng.js';

/**
 * Splits every class separately in the given proportions, so that each part keeps the class balance
 * of the whole (a plain random split can leave a rare class out of the test set). The result is a
 * function of (items, labels, fractions, seed) only; classes are visited in sorted order so that the
 * order in which labels first appear does not matter. Each part is shuffled, not grouped by class.
 */
export function stratifiedSplit<T>(
  items: readonly T[],
  label: (t: T) => string,
  fractions: { train: number; val: number; test: number },
  seed: number,
): { train: T[]; val: T[]; test: T[] } {
  const { train, val, test } = fractions;
  if (![train, val, test].every((f) => f >= 0 && f <= 1) || Math.abs(train + val + test - 1) > 1e-9) {
    throw new Error(`fractions must be non-negative and sum to 1, got ${JSON.stringify(fractions)}`);
  }
  const byClass = new Map<string, T[]>();
  for (const it of items) {
    const k = label(it);
    let list = byClass.get(k);
    if (!list) byClass.set(k, (list = []));
    list.push(it);
  }
  const rng = new Rng(seed);
  let out = { train: [] as T[], val: [] as T[], test: [] as T[] };
  for (const k of [...byClass.keys()].sort()) {
    const list = rng.shuffle(byClass.get(k)!);
    const nVal = Math.round(list.length * val);
    const nTest = Math.min(Math.round(list.length * test), list.length - nVal);
    // concat, not push(...spread), which overflows the stack for very large classes.
    out = {
      val: out.val.concat(list.slice(0, nVal)),
      test: out.test.concat(list.slice(nVal, nVal + nTest)),
      train: out.train.concat(list.slice(nVal + nTest)),
    };
  }
  rng.shuffle(out.train);
  rng.shuffle(out.val);
  rng.shuffle(out.test);
  return out;
}
