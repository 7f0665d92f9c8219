/**
 * A tokenizer from the JSON a model file stores (`tokenizerFromJSON`, which treats it as untrusted: every
 * field is checked, sizes are bounded before anything is built, and a refusal is one line naming the
 * problem). Learning one from a text is build.ts: a page that only loads models does not carry the trainers.
 */
import { Vocab } from '../text.js';
import { BpeTokenizer, MAX_MERGES } from './bpe.js';
import { ByteTokenizer } from './byte.js';
import { CharTokenizer } from './char.js';
import { WordTokenizer } from './word.js';
import { TOKEN_KINDS, UNK, type TokenKind, type Tokenizer } from './tokenizer.js';

export * from './tokenizer.js';
export { BpeTokenizer, ByteTokenizer, CharTokenizer, WordTokenizer };

/** Most ids a stored tokenizer may have: far above a useful softmax, far below exhausting memory. */
export const MAX_TOKENS = 1 << 20;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => { const s = JSON.stringify(v) ?? String(v); return s.length > 40 ? `${s.slice(0, 40)}…` : s; };

/** The contract's name for tokenizerFromJSON. */
export const fromJSON = (json: unknown): Tokenizer => tokenizerFromJSON(json);

/** A tokenizer from its toJSON() form; throws an Error with one line saying what is wrong. */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  if (!isObj(json)) throw new Error(`tokens is not an object: ${show(json)}`);
  const kind = json.kind as TokenKind;
  if (!TOKEN_KINDS.includes(kind)) throw new Error(`tokens has an unknown kind ${show(json.kind)} (expected ${TOKEN_KINDS.join(', ')})`);
  const list = (key: string): unknown[] => {
    const v = json[key];
    if (!Array.isArray(v)) throw new Error(`${kind} tokens have no ${key} list`);
    if (v.length > MAX_TOKENS * 2) throw new Error(`${kind} tokens list ${v.length} ${key}, more than the limit`);
    return v;
  };
  const extra = Object.keys(json).find((k) => !['kind', kind === 'char' ? 'chars' : kind === 'word' ? 'words' : 'merges', ...(kind === 'char' ? ['unk'] : [])].includes(k));
  if (extra !== undefined) throw new Error(`${kind} tokens have an unknown field ${show(extra)}`);
  try {
    switch (kind) {
      case 'byte': return new ByteTokenizer();
      case 'char': {
        const chars = list('chars');
        if (chars.length === 0 || chars.length > MAX_TOKENS) throw new Error(`the character list has ${chars.length} entries (1 to ${MAX_TOKENS})`);
        chars.forEach((c, i) => { if (typeof c !== 'string' || [...c].length !== 1) throw new Error(`character ${i} is not a single character: ${show(c)}`); });
        const vocab = new Vocab(chars as string[]);
        if (vocab.size !== chars.length) throw new Error('the character list repeats a character');
        // Ids are positions in the stored list; the Vocab orders by code point, so the two must agree.
        if (vocab.chars.some((ch, i) => ch !== chars[i])) throw new Error('the character list is not in code-point order');
        if (json.unk !== undefined && json.unk !== UNK) throw new Error(`unk is ${show(json.unk)}, not ${show(UNK)}`);
        return new CharTokenizer(vocab, json.unk === UNK);
      }
      case 'word': {
        const words = list('words');
        if (words.length < 2 || words.length > MAX_TOKENS) throw new Error(`the word list has ${words.length} entries (2 to ${MAX_TOKENS})`);
        return new WordTokenizer(words as string[]);
      }
      case 'bpe': {
        const flat = list('merges');
        if (flat.length % 2 !== 0 || flat.length / 2 > MAX_MERGES) throw new Error(`the merge list has ${flat.length} numbers (pairs, at most ${MAX_MERGES})`);
        const merges: [number, number][] = [];
        for (let i = 0; i < flat.length; i += 2) merges.push([flat[i], flat[i + 1]] as [number, number]);
        return new BpeTokenizer(merges);
      }
    }
  } catch (e) {
    throw new Error(`${kind} tokens: ${(e as Error).message}`);
  }
}
