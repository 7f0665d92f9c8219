/**
 * Tokens for text classification: words (the default) or characters, and a vocabulary built from the
 * training texts only (a word first seen in validation or test data maps to <unk>, as it would for a
 * text the model meets after training). Platform-free.
 *
 * Words: lower-cased runs of letters/digits (an apostrophe inside a word is kept), and every other
 * non-space character as a token of its own, so that markup and punctuation ("<", "$", "!") still
 * reach the model. A sequence of words is ~5× shorter than its characters, which is what makes a
 * recurrent classifier affordable on whole e-mail bodies.
 */

export type TokenMode = 'words' | 'chars';
export const TOKEN_MODES: TokenMode[] = ['words', 'chars'];

/** Id 0 of every vocabulary: tokens not seen often enough in training. */
export const UNK = '<unk>';

const WORD = /[\p{L}\p{N}]+(?:'[\p{L}]+)*|[^\s\p{L}\p{N}]/gu;

/** The tokens of a text, in order. */
export function tokenize(text: string, mode: TokenMode): string[] {
  if (mode === 'chars') return [...text];
  return text.toLowerCase().match(WORD) ?? [];
}

export interface VocabOptions {
  mode: TokenMode;
  /** Most tokens kept (the most frequent), <unk> included. */
  maxSize: number;
  /** A token must occur this often in training to get its own id. */
  minCount: number;
}

export class TokenVocab {
  private readonly ids = new Map<string, number>();

  constructor(readonly mode: TokenMode, readonly tokens: readonly string[]) {
    if (tokens[0] !== UNK) throw new Error(`a token vocabulary starts with ${UNK}`);
    tokens.forEach((t, i) => {
      if (typeof t !== 'string' || t === '') throw new Error(`vocabulary entry ${i} is not a token`);
      if (this.ids.has(t)) throw new Error(`vocabulary entry ${i} repeats ${JSON.stringify(t)}`);
      this.ids.set(t, i);
    });
  }

  /** The vocabulary of the training texts: most frequent first, ties in code-unit order (deterministic). */
  static build(texts: readonly string[], opts: VocabOptions): TokenVocab {
    if (!(Number.isInteger(opts.maxSize) && opts.maxSize >= 2)) throw new Error(`vocabulary size must be an integer ≥ 2, got ${opts.maxSize}`);
    if (!(Number.isInteger(opts.minCount) && opts.minCount >= 1)) throw new Error(`minimum count must be a positive integer, got ${opts.minCount}`);
    const counts = new Map<string, number>();
    for (const text of texts) for (const t of tokenize(text, opts.mode)) counts.set(t, (counts.get(t) ?? 0) + 1);
    counts.delete(UNK);
    const kept = [...counts].filter(([, n]) => n >= opts.minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, opts.maxSize - 1).map(([t]) => t);
    return new TokenVocab(opts.mode, [UNK, ...kept]);
  }

  get size(): number { return this.tokens.length; }

  id(token: string): number { return this.ids.get(token) ?? 0; }

  /** Ids of the first `maxLen` tokens of a text (0 = no limit). */
  encode(text: string, maxLen = 0): Int32Array {
    const toks = tokenize(text, this.mode);
    const n = maxLen > 0 ? Math.min(maxLen, toks.length) : toks.length;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.id(toks[i]);
    return out;
  }

  toJSON(): { mode: TokenMode; tokens: string[] } { return { mode: this.mode, tokens: [...this.tokens] }; }

  static fromJSON(j: unknown): TokenVocab {
    const o = j as { mode?: unknown; tokens?: unknown };
    if (typeof o !== 'object' || o === null || !TOKEN_MODES.includes(o.mode as TokenMode) || !Array.isArray(o.tokens)) {
      throw new Error('not a token vocabulary');
    }
    return new TokenVocab(o.mode as TokenMode, o.tokens as string[]);
  }
}
