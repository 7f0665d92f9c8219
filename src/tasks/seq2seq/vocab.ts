/**
 * A seq2seq vocabulary: the four reserved symbols first (ids 0..3: <pad>, <bos>, <eos>, <unk>, as the
 * reference's), then one entry per character (a Unicode code point, so "é" or "日" is one symbol).
 * The list is what the model file stores (`src_vocab`, `tgt_vocab`): index = id. Platform-free.
 */

/** The reserved symbols, in id order (0 <pad>, 1 <bos>, 2 <eos>, 3 <unk>). */
export const RESERVED = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;
export const UNK_ID = 3;

/** The characters of a text, one per code point. */
export const chars = (s: string): string[] => Array.from(s);

export class SymbolVocab {
  private readonly index = new Map<string, number>();

  /** `symbols`: the whole list, reserved ones included (as stored in a model file). */
  constructor(readonly symbols: readonly string[]) {
    RESERVED.forEach((r, i) => {
      if (symbols[i] !== r) throw new Error(`vocabulary entry ${i} must be ${r}, got ${JSON.stringify(symbols[i])}`);
    });
    symbols.forEach((s, i) => {
      if (i < RESERVED.length) return;
      if (chars(s).length !== 1) throw new Error(`vocabulary entry ${i} is not one character: ${JSON.stringify(s)}`);
      if (this.index.has(s)) throw new Error(`vocabulary entry ${i} repeats ${JSON.stringify(s)}`);
      this.index.set(s, i);
    });
  }

  /** The vocabulary of every character of `texts`, in code-point order after the reserved ids. */
  static of(texts: Iterable<string>): SymbolVocab {
    const seen = new Set<string>();
    for (const t of texts) for (const c of chars(t)) seen.add(c);
    const list = [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new SymbolVocab([...RESERVED, ...list]);
  }

  get size(): number { return this.symbols.length; }

  /** Ids of a text; a character outside the vocabulary becomes <unk>. */
  encode(text: string): Int32Array {
    return Int32Array.from(chars(text), (c) => this.index.get(c) ?? UNK_ID);
  }

  /** Characters not in the vocabulary (for a warning or an error naming them). */
  unknown(text: string): string[] {
    return [...new Set(chars(text).filter((c) => !this.index.has(c)))];
  }

  /** Text of output ids (reserved ids other than <unk> are dropped; <unk> shows as U+FFFD). */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id === UNK_ID) s += '\ufffd';
      else if (id >= RESERVED.length && id < this.symbols.length) s += this.symbols[id];
    }
    return s;
  }
}
