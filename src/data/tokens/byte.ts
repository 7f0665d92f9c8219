/**
 * Byte tokens: the 256 byte values, so any file in any script or encoding trains without a vocabulary
 * to learn or a symbol to refuse. A sampled sequence may stop in the middle of a UTF-8 character or
 * draw bytes that form none; decode() shows those as U+FFFD (display only: ids are always the bytes).
 */
import { checkId, lenientUtf8, utf8, type Tokenizer } from './tokenizer.js';

export class ByteTokenizer implements Tokenizer {
  readonly kind = 'byte' as const;
  readonly size = 256;

  encode(text: string): Int32Array { return Int32Array.from(utf8(text)); }

  encodeBytes(bytes: Uint8Array): Int32Array { return Int32Array.from(bytes); }

  decode(ids: ArrayLike<number>): string {
    const b = new Uint8Array(ids.length);
    for (let i = 0; i < ids.length; i++) { checkId(ids[i], 256, i); b[i] = ids[i]; }
    return lenientUtf8(b);
  }

  cut(_bytes: Uint8Array, _start: number, end: number): number { return end; }

  toJSON(): { kind: 'byte' } { return { kind: 'byte' }; }
}
