/**
 * What the seq2seq subcommands share: reading a file of pairs with the file in every message, and
 * loading a seq2seq model file (refusing any other kind in one line).
 */
import type { Backend } from '../kernels/backend.js';
import { decodeSeq2Seq } from '../io/seq2seq-file.js';
import { parsePairs, type Pair } from '../tasks/seq2seq/pairs-tsv.js';
import { loadedSeq2Seq, type LoadedSeq2Seq } from '../tasks/seq2seq/file.js';
import { readModelFile, readText } from './lm-io.js';

/** Default bound on a target's length in a file of pairs (characters). */
export const DEFAULT_MAX_TARGET = 100;

export async function readPairs(path: string, maxTarget: number): Promise<Pair[]> {
  const text = await readText(path);
  try {
    return parsePairs(text, maxTarget);
  } catch (e) {
    throw new Error(`${path === '-' ? 'standard input' : path}: ${(e as Error).message}`);
  }
}

export const loadSeq2Seq = (path: string, be: Backend): LoadedSeq2Seq =>
  readModelFile(path, (bytes) => loadedSeq2Seq(decodeSeq2Seq(bytes, be)));
