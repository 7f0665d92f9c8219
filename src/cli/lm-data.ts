/**
 * Where `recur train` and `recur eval` get a stream of text: files and directories read as one
 * corpus through a FileByteSource (any size, flat memory), or standard input. Standard input is
 * read into memory (up to MAX_TEXT_BYTES): B streams read from B offsets at once, which a single
 * pass could only serve by holding the bytes between them, so it gets the same training (and the
 * same validation split by position) as a file of that text. The tokens of a fresh model come from
 * another model (--vocab-from), from a sample (--vocab-sample) or from the corpus (one pass, or the
 * text itself when it fits in memory).
 */
import { resolve } from 'node:path';
import { MemoryByteSource, type ByteSource } from '../data/byte-source.js';
import { sampleText, scanChars } from '../data/corpus-scan.js';
import { CharTokenizer, type TokenKind, type Tokenizer } from '../data/tokens/index.js';
import { buildTokenizer } from '../data/tokens/build.js';
import type { Backend } from '../kernels/backend.js';
import { FileByteSource } from '../node/byte-files.js';
import { mobyDickPath } from '../node/corpora.js';
import { UsageError } from './common.js';
import { loadLm, MAX_TEXT_BYTES, readStdin } from './lm-io.js';

/** commander's collector for a repeatable flag. */
export const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The corpus of the --data paths ('-' = standard input, alone). */
export async function openCorpus(paths: readonly string[]): Promise<ByteSource> {
  if (paths.includes('-')) {
    if (paths.length > 1) throw new UsageError('standard input (--data -) cannot be combined with other --data');
    const bytes = await readStdin(MAX_TEXT_BYTES);
    if (bytes.length === 0) throw new Error('standard input is empty');
    return new MemoryByteSource(bytes, 'standard input');
  }
  const src = new FileByteSource(paths);
  if (src.size === 0) throw new Error(`data file${paths.length > 1 ? 's' : ''} ${paths.join(', ')} ${paths.length > 1 ? 'are' : 'is'} empty`);
  return src;
}

/** Moby Dick, read from the installed dataset as any file is. */
export const mobyCorpus = (): ByteSource => new FileByteSource([mobyDickPath()]);

/** The model file's `source` for these paths; a resumed run reads them again (corpusPaths). */
export function sourceOf(paths: readonly string[]): string {
  if (paths.length === 1) return paths[0] === '-' ? 'stdin' : `file:${resolve(paths[0])}`;
  return `files:${JSON.stringify(paths.map((p) => resolve(p)))}`;
}

/** The paths a `source` names, or null when it names none (a built-in corpus, standard input). */
export function corpusPaths(source: string): string[] | null {
  if (source.startsWith('file:')) return [source.slice(5)];
  if (!source.startsWith('files:')) return null;
  try {
    const v = JSON.parse(source.slice(6)) as unknown;
    if (Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string')) return v as string[];
  } catch { /* not ours: the caller says the source is unknown */ }
  return null;
}

/** Refuses an output inside a --data directory: the next run would read the model as text. */
export function checkOutsideCorpus(out: string, paths: readonly string[]): void {
  const file = resolve(out);
  for (const p of paths) {
    if (p === '-') continue;
    const dir = resolve(p);
    if (file.startsWith(`${dir}/`)) throw new UsageError(`--out ${out} is inside --data ${p}: the model file would become part of the corpus`);
  }
}

/** A pass over a corpus larger than this says so on stderr (it takes seconds to minutes). */
const ANNOUNCE_PASS_BYTES = 64e6;

/**
 * Largest corpus a tokenizer is learned from whole (word, BPE, char with --vocab-size); a larger one
 * gives its tokenizer --vocab-sample bytes, or this many, spread evenly over it.
 */
export const LEARN_WHOLE_BYTES = 64 << 20;

export interface TokenOpts { vocabFrom?: string; vocabSample?: number; tokens?: TokenKind; vocabSize?: number; json?: boolean }

/**
 * The tokens of a fresh streamed model: another model's (--vocab-from), the 256 bytes, or learned from
 * the corpus or a sample of it; undefined: the job reads every character in one pass (char tokens).
 */
export function streamTokens(opts: TokenOpts, src: ByteSource, be: Backend): Tokenizer | undefined {
  if (opts.vocabFrom !== undefined) return loadLm(opts.vocabFrom, be).tokens;
  const kind = opts.tokens ?? 'char';
  if (kind === 'byte') return buildTokenizer('byte', '', opts.vocabSize);
  if (kind === 'char' && opts.vocabSize === undefined) {
    if (opts.vocabSample !== undefined) return new CharTokenizer(scanChars(src, { sample: opts.vocabSample }));
    if (!opts.json && src.size > ANNOUNCE_PASS_BYTES) {
      process.stderr.write(`reading the vocabulary: one pass over ${(src.size / 1e6).toFixed(0)} MB (--vocab-from or --vocab-sample start at once)\n`);
    }
    return undefined;
  }
  const sample = opts.vocabSample ?? (src.size > LEARN_WHOLE_BYTES ? LEARN_WHOLE_BYTES : undefined);
  if (!opts.json && sample !== undefined && sample < src.size) {
    process.stderr.write(`learning ${kind} tokens from ${(Math.min(sample, src.size) / 1e6).toFixed(1)} MB spread over the ${(src.size / 1e6).toFixed(0)} MB corpus${opts.vocabSample === undefined ? ` (a corpus over ${LEARN_WHOLE_BYTES >> 20} MiB; --vocab-sample sets how much)` : ''}\n`);
  }
  return buildTokenizer(kind, sampleText(src, sample), opts.vocabSize);
}
