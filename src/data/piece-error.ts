/**
 * Errors in a piece of bytes at a known place: a tokenizer that finds something wrong at byte `at` of
 * the piece it was handed throws a PieceError, so the reader that handed the piece over (token-cursor.ts)
 * can name the file and the offset in the corpus: "<what> at byte N<rest>". Platform-free.
 */
import { firstInvalidUtf8 } from './text.js';

export class PieceError extends Error {
  constructor(readonly what: string, readonly at: number, readonly rest = '') { super(`${what} at byte ${at}${rest ? ` ${rest}` : ''}`); }
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 of a piece; a PieceError names the byte where it breaks. */
export function decodePiece(bytes: Uint8Array): string {
  try {
    return fatal.decode(bytes);
  } catch {
    throw new PieceError('invalid UTF-8', Math.max(0, firstInvalidUtf8(bytes)));
  }
}
