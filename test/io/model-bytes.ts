/**
 * Editing model files as bytes, for tests that build bad ones: the header's JSON text (kept as text,
 * so that duplicate keys and odd nesting survive) and its string metadata.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const legacyPath = (name: string): string => fileURLToPath(new URL(`../fixtures/legacy/${name}`, import.meta.url));
export const LEGACY = (name: string): Uint8Array => new Uint8Array(readFileSync(legacyPath(name)));

const headerLength = (b: Uint8Array): number => Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true));

export const headerText = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(8, 8 + headerLength(b)));

/** The same data section under another header text. */
export function withHeaderText(b: Uint8Array, text: string): Uint8Array {
  const h = new TextEncoder().encode(text);
  const data = b.subarray(8 + headerLength(b));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** Edit the string metadata (config, vocab, task... are JSON texts inside it). */
export function withMetadata(b: Uint8Array, edit: (meta: Record<string, string>) => void): Uint8Array {
  const header = JSON.parse(headerText(b)) as Record<string, unknown>;
  const meta = { ...(header.__metadata__ as Record<string, string>) };
  edit(meta);
  return withHeaderText(b, JSON.stringify({ ...header, __metadata__: meta }));
}

/** Edit the parsed config of a model file. */
export const withConfig = (b: Uint8Array, edit: (config: Record<string, unknown>) => void): Uint8Array =>
  withMetadata(b, (m) => { const c = JSON.parse(m.config) as Record<string, unknown>; edit(c); m.config = JSON.stringify(c); });

/** Text nested `depth` levels deep: [[[...1...]]]. */
export const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
