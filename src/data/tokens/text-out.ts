/**
 * Text from ids as they are drawn, one at a time. Character and word ids are whole strings (a table
 * lookup); byte and BPE ids are bytes, which may stop inside a UTF-8 character or form none: a
 * streaming TextDecoder holds an unfinished character until its next bytes come and shows a sequence
 * that cannot be UTF-8 as U+FFFD, so what is printed is always valid text.
 */
import { BpeTokenizer } from './bpe.js';
import type { Tokenizer } from './tokenizer.js';

export class TextOut {
  private readonly table: string[] | null;
  private readonly utf8: TextDecoder | null;
  private readonly one = new Uint8Array(1);

  constructor(private readonly tokens: Tokenizer) {
    const byBytes = tokens.kind === 'byte' || tokens.kind === 'bpe';
    this.table = byBytes ? null : Array.from({ length: tokens.size }, (_, i) => tokens.decode([i]));
    this.utf8 = byBytes ? new TextDecoder('utf-8', { fatal: false }) : null;
  }

  /** The text of one more id ('' while a character is unfinished). */
  push(id: number): string {
    if (this.table) {
      const s = this.table[id];
      if (s === undefined) throw new Error(`id ${id} is outside the vocabulary (size ${this.tokens.size})`);
      return s;
    }
    let bytes: Uint8Array;
    if (this.tokens instanceof BpeTokenizer) bytes = this.tokens.bytes(id);
    else { this.one[0] = id; bytes = this.one; }
    return this.utf8!.decode(bytes, { stream: true });
  }

  /** What is left at the end: U+FFFD for an unfinished character, else ''. */
  end(): string { return this.utf8 ? this.utf8.decode() : ''; }
}
