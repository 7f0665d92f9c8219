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

/** One source in HELD_OUT_SHARE (chosen by a seeded hash of its text) is held out of training. */
export const HELD_OUT_SHARE = 20;

/** FNV-1a of the text's UTF-16 units, salted with the seed. */
function hash(text: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * A built-in task's source. Whether a source is held out depends on the source alone (a seeded hash),
 * not on how often it is drawn: every kind of input keeps most of its sources for training. (Holding
 * out the first 500 distinct sources drawn took every one-digit sum out of addition --length 2, whose
 * 100 one-digit sums make up a quarter of the draws, and the model never learnt them.) The held-out
 * pairs are distinct, as in a split of a data set (Keras's addition example splits distinct
 * questions): repeats would let the few held-out one-digit sums, each drawn often, weigh as much as
 * all the others. Training never sees their sources.
 */
export function syntheticSource(name: string, length: number, seed: number, heldOut = HELD_OUT_SYNTHETIC): PairSource {
  const task: SyntheticTask = syntheticTask(name, length);
  const root = new Rng(seed), held = root.fork(), rng = root.fork(), salt = root.nextU32();
  const isHeld = (source: string): boolean => hash(source, salt) % HELD_OUT_SHARE === 0;
  const pairs: Pair[] = [], taken = new Set<string>();
  // A small task has fewer held-out sources than asked for: it keeps those it found.
  for (let tries = 0; pairs.length < heldOut && tries < heldOut * HELD_OUT_SHARE * 50; tries++) {
    const p = task.sample(held);
    if (isHeld(p[0]) && !taken.has(p[0])) { taken.add(p[0]); pairs.push(p); }
  }
  if (pairs.length === 0) throw new Error(`task ${name} --length ${length} has too few inputs to hold any out for scoring`);
  const fresh = (): Pair => {
    // Bounded: a task whose few inputs all hashed into the held-out share still trains.
    for (let tries = 0; ; tries++) {
      const p = task.sample(rng);
      if (!isHeld(p[0]) || tries >= 1000) return p;
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
