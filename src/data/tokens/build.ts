/**
 * Learning a tokenizer from a training text: what `recur train --tokens` does for a fresh model. Kept
 * apart from index.ts so that loading a model (the browser's loadModel) does not bundle the trainers.
 */
import { BpeTokenizer } from './bpe.js';
import { trainBpe } from './bpe-train.js';
import { ByteTokenizer } from './byte.js';
import { CharTokenizer } from './char.js';
import { WordTokenizer } from './word.js';
import type { TokenKind, Tokenizer } from './tokenizer.js';

/** Vocabulary size of word and BPE tokens when none is given. */
export const DEFAULT_VOCAB_SIZE = 4096;
/**
 * The tokenizer of `kind` learned from `text`. `vocabSize` bounds the ids (<unk> included): char keeps
 * every character without it, byte has 256 whatever it says, word and BPE default to DEFAULT_VOCAB_SIZE.
 */
export function buildTokenizer(kind: TokenKind, text: string, vocabSize?: number): Tokenizer {
  switch (kind) {
    case 'char': return CharTokenizer.fromText(text, vocabSize);
    case 'byte':
      if (vocabSize !== undefined && vocabSize !== 256) throw new Error(`byte tokens have 256 ids; a vocabulary size of ${vocabSize} does not apply`);
      return new ByteTokenizer();
    case 'word': return WordTokenizer.fromText(text, vocabSize ?? DEFAULT_VOCAB_SIZE);
    case 'bpe': return new BpeTokenizer(trainBpe(text, vocabSize ?? DEFAULT_VOCAB_SIZE));
  }
}
