/**
 * Where a seq2seq run's pairs come from: a built-in task (fresh pairs every batch, drawn from the
 * seed; a held-out set drawn first from its own stream, and never trained on) or a user's pairs
 * (a seeded held-out split, then shuffled epochs in batches of similar source length). Platform-free.
 */
import { Rng } from '../../util/rng.js';
import { bucketBatches } from '../classify.js';
import type { Pair } from './pairs-tsv.js';
import { syntheticTask, type SyntheticTask } from './synthetic.js';
import { chars, RESERVED, SymbolVocab } from './vocab.js';

/** Pairs held out for scoring a built-in task. */
export const HELD_OUT_SYNTHETIC = 500;
/** Fraction of a user's pairs held out (at least one, at most MAX_HELD_OUT). */
export const HELD_OUT_FRACTION = 0.1, MAX_HELD_OUT = 1000;

export interface PairSource {
  /** What the model file records about the data (`task` metadata). */
  describe: Record<string, unknown>;
  srcVocab: SymbolVocab;
  tgtVocab: SymbolVocab;
  /** Longest target a decoder is asked for (characters). */
  maxTarget: number;
  heldOut: Pair[];
  /** The next training batch of `B` pairs (a user's data: the last batch of an epoch may be smaller). */
  next(B: number): Pair[];
  /** Epochs done (fractional; null for a generated task, which has no end). */
  epoch(): number | null;
}

const alphabetVocab = (alphabet: string): SymbolVocab => new SymbolVocab([...RESERVED, ...chars(alphabet)]);

/** A built-in task's source: a held-out set, then fresh pairs whose sources are not held out. */
export function syntheticSource(name: string, length: number, seed: number, heldOut = HELD_OUT_SYNTHETIC): PairSource {
  const task: SyntheticTask = syntheticTask(name, length);
  const root = new Rng(seed), held = root.fork(), rng = root.fork();
  const pairs: Pair[] = [];
  const taken = new Set<string>();
  // Small tasks (addition of 1-digit numbers has 100 sources) cannot hold out more than they have.
  for (let tries = 0; pairs.length < heldOut && tries < heldOut * 20; tries++) {
    const p = task.sample(held);
    if (taken.has(p[0])) continue;
    taken.add(p[0]);
    pairs.push(p);
  }
  const fresh = (): Pair => {
    // Give up on avoiding the held-out set only when almost every source is held out.
    for (let tries = 0; ; tries++) {
      const p = task.sample(rng);
      if (!taken.has(p[0]) || tries >= 100) return p;
    }
  };
  return {
    describe: { task: task.name, length: task.length }, srcVocab: alphabetVocab(task.srcAlphabet), tgtVocab: alphabetVocab(task.tgtAlphabet),
    maxTarget: task.maxTarget, heldOut: pairs, next: (B) => Array.from({ length: B }, fresh), epoch: () => null,
  };
}

/** A user's pairs: a seeded held-out split, vocabularies of the training part, shuffled epochs. */
export function userSource(all: readonly Pair[], maxTarget: number, seed: number, source: string): PairSource {
  if (all.length < 2) throw new Error(`${all.length} pair is too few to hold some out for scoring (need at least 2)`);
  const rng = new Rng(seed), order = rng.shuffle([...all.keys()]);
  const nHeld = Math.min(MAX_HELD_OUT, Math.max(1, Math.round(all.length * HELD_OUT_FRACTION)));
  const heldOut = order.slice(0, nHeld).map((i) => all[i]), train = order.slice(nHeld).map((i) => all[i]);
  const lengths = train.map((p) => chars(p[0]).length);
  let batches: number[][] = [], at = 0, epochs = 0, size = 0;
  return {
    describe: { task: 'data', source }, srcVocab: SymbolVocab.of(train.map((p) => p[0])), tgtVocab: SymbolVocab.of(train.map((p) => p[1])),
    maxTarget, heldOut,
    next: (B) => {
      if (B !== size || at === batches.length) {
        if (batches.length > 0 && at === batches.length) epochs++;
        batches = bucketBatches(lengths, B, rng); at = 0; size = B;
      }
      return batches[at++].map((i) => train[i]);
    },
    epoch: () => epochs + (batches.length ? at / batches.length : 0),
  };
}
