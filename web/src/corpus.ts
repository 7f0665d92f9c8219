/**
 * The texts a visitor can train on, as plain strings: the built-in excerpts (cut at build time) and
 * text they paste or drop. Platform-free, so the session tests run it in Node.
 */
import { Rng } from '../../src/util/rng.js';
import type { CorpusId } from './protocol.js';

/** Pasted or dropped text beyond this is refused: the JS backend would take hours over it anyway. */
export const MAX_CUSTOM_CHARS = 2_000_000;

export const CORPUS_LABELS: Record<CorpusId, string> = {
  moby: 'Moby Dick (first 100 K characters)',
  names: 'First names (8 000, one per line)',
  custom: 'Your own text (paste or drop a file)',
};

/**
 * The names as one stream, one per line, in an order shuffled by `seed`: the list is sorted, and a
 * sorted stream would put every validation name at the end of the alphabet.
 */
export function namesText(names: readonly string[], seed: number): string {
  const order = new Rng(seed).shuffle([...names]);
  return `${order.join('\n')}\n`;
}

/** A visitor's text, with line endings made uniform (a CR would otherwise be a character to learn). */
export function customText(text: string): string {
  const t = text.replace(/\r\n?/g, '\n');
  if (t.trim().length === 0) throw new Error('the text box is empty: paste or drop some text to train on');
  if (t.length > MAX_CUSTOM_CHARS) {
    throw new Error(`the text has ${t.length.toLocaleString('en')} characters; the playground takes at most ${MAX_CUSTOM_CHARS.toLocaleString('en')}`);
  }
  return t;
}
