/**
 * A seq2seq model file as the tasks use it: the model and its vocabularies (src/io/seq2seq-file.ts
 * reads and writes the bytes), plus the `task` entry: where the pairs came from and the longest
 * target to decode (`max_target`). Platform-free; every refusal is one ModelFileError line.
 */
import { encodeSeq2Seq } from '../../io/seq2seq-file.js';
import { ModelFileError } from '../../io/safetensors.js';
import type { Seq2Seq } from '../../nn/seq2seq/model.js';
import { SymbolVocab } from './vocab.js';

/** Longest output decoded when the file does not say (a file written elsewhere). */
export const FALLBACK_MAX_TARGET = 100;

export interface LoadedSeq2Seq {
  model: Seq2Seq;
  srcVocab: SymbolVocab;
  tgtVocab: SymbolVocab;
  maxTarget: number;
  task: Record<string, unknown> | null;
}

function vocab(list: string[], size: number, which: string): SymbolVocab {
  let v: SymbolVocab;
  try { v = new SymbolVocab(list); } catch (e) { throw new ModelFileError(`model file ${which} vocabulary is invalid: ${(e as Error).message}`); }
  if (v.size !== size) throw new ModelFileError(`model file ${which} vocabulary has ${v.size} symbols but its model has ${size}`);
  return v;
}

/** Check what decodeSeq2Seq read: vocabularies of the model's sizes, a sane max_target. */
export function loadedSeq2Seq(d: { model: Seq2Seq; srcVocab: string[]; tgtVocab: string[]; task: Record<string, unknown> | null }): LoadedSeq2Seq {
  const c = d.model.config;
  const srcVocab = vocab(d.srcVocab, c.src_vocab, 'source'), tgtVocab = vocab(d.tgtVocab, c.tgt_vocab, 'target');
  const m = d.task?.max_target;
  if (m !== undefined && !(typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 1_000_000)) throw new ModelFileError('model file has an invalid max_target');
  return { model: d.model, srcVocab, tgtVocab, maxTarget: (m as number | undefined) ?? FALLBACK_MAX_TARGET, task: d.task };
}

/** The bytes of a trained model: vocabularies, the data's description and the decoding bound. */
export function seq2seqBytes(model: Seq2Seq, l: { srcVocab: SymbolVocab; tgtVocab: SymbolVocab; maxTarget: number; describe: Record<string, unknown> },
  training?: Record<string, unknown>): Uint8Array {
  return encodeSeq2Seq(model, [...l.srcVocab.symbols], [...l.tgtVocab.symbols], { task: { ...l.describe, max_target: l.maxTarget }, training });
}
