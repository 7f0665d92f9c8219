/**
 * Where a corpus's bytes come from: a size and random reads into the caller's buffer, so that a
 * reader holds only what it asked for. The in-memory source serves the browser, the library and
 * tests; Node's file-backed one (node/byte-files.ts) serves files of any size. Platform-free.
 */

export interface ByteSource {
  /** Bytes in the corpus. */
  readonly size: number;
  /** What to call the corpus in messages ("moby-dick", a path, "2 files in data/"). */
  readonly name: string;
  /**
   * Copy the bytes at [offset, offset + into.length) into `into` (clamped to the end); returns how
   * many were copied. Throws, naming the source, when the bytes cannot be read.
   */
  read(offset: number, into: Uint8Array): number;
  /** Which file a byte offset of the corpus is in, and where in it (for messages). */
  locate(offset: number): { name: string; offset: number };
}

export class MemoryByteSource implements ByteSource {
  readonly size: number;
  constructor(readonly bytes: Uint8Array, readonly name = 'the text') { this.size = bytes.length; }

  /** The UTF-8 bytes of a text; a lone surrogate (no UTF-8 form: TextEncoder would make it U+FFFD) is refused. */
  static fromText(text: string, name?: string): MemoryByteSource {
    const lone = /\p{Cs}/u.exec(text);
    if (lone) {
      const code = lone[0].charCodeAt(0).toString(16).toUpperCase();
      throw new Error(`${name ?? 'the text'}: a lone surrogate (U+${code}) at position ${lone.index} is not a character: it has no UTF-8 form`);
    }
    return new MemoryByteSource(new TextEncoder().encode(text), name);
  }

  read(offset: number, into: Uint8Array): number {
    const n = Math.max(0, Math.min(into.length, this.size - offset));
    into.set(this.bytes.subarray(offset, offset + n));
    return n;
  }

  locate(offset: number): { name: string; offset: number } { return { name: this.name, offset }; }
}

/**
 * A fingerprint of a source that costs a few reads, not a pass: its size and an FNV-1a hash of
 * 16 blocks of 4 KiB spread evenly over it (the first and the last included). A resumed run
 * checks it to catch being given another corpus; an edit that misses every block goes unseen.
 */
export function fingerprint(src: ByteSource): string {
  const BLOCKS = 16, BLOCK = 4096;
  const buf = new Uint8Array(BLOCK);
  let h = 0x811c9dc5;
  const mix = (v: number): void => { h = Math.imul(h ^ v, 0x01000193) >>> 0; };
  for (let k = 0; k < BLOCKS; k++) {
    const at = Math.floor(Math.max(0, src.size - BLOCK) * k / (BLOCKS - 1));
    const n = src.read(at, buf);
    for (let i = 0; i < n; i++) mix(buf[i]);
  }
  return h.toString(16).padStart(8, '0');
}
