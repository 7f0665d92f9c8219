/**
 * JSON from a model file, read without trusting it: a depth limit and a duplicate-key check done by
 * one iterative scan (no recursion over file content, so no nesting can exhaust the stack), and
 * excerpts that quote at most a few dozen characters of a value in an error message.
 *
 * Platform-free. Every refusal is a ModelFileError with a one-line message.
 */
import { ModelFileError } from './model-file-error.js';

/** Longest excerpt of a file's text that a message quotes. */
export const EXCERPT_CHARS = 40;

/**
 * A value from a file, for a one-line message: a string quoted and cut to EXCERPT_CHARS, with every
 * control character escaped (JSON.stringify leaves C1 controls such as U+009B, a terminal's CSI, raw);
 * anything else named by its type, never serialised (an array may be nested a million deep).
 */
export function excerpt(value: unknown): string {
  if (typeof value === 'string') {
    const cut = [...value.slice(0, 2 * EXCERPT_CHARS)].slice(0, EXCERPT_CHARS).join('');
    const quoted = JSON.stringify(cut).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return cut.length < value.length ? `${quoted.slice(0, -1)}…"` : quoted;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'missing';
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Parse JSON text from a file: valid JSON, nested at most `maxDepth` deep (an empty `{}` or `[]`
 * counts as one level), and no object with the same key twice (JSON.parse would silently keep the
 * last, so two readers of one file could disagree). `what` names the text in messages.
 */
export function parseFileJson(text: string, what: string, maxDepth: number): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text); // V8's parser is iterative: deep nesting cannot overflow the stack here
  } catch {
    throw new ModelFileError(`${what} is not valid JSON`);
  }
  scan(text, what, maxDepth);
  return value;
}

/** One pass over valid JSON text: a stack of open containers, each object with the keys seen so far. */
function scan(text: string, what: string, maxDepth: number): void {
  const open: (Set<string> | null)[] = []; // a Set for an object, null for an array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      if (expectKey) {
        const raw = text.slice(start + 1, i);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
        const keys = open[open.length - 1]!;
        if (keys.has(key)) throw new ModelFileError(`${what} has the key ${excerpt(key)} twice`);
        keys.add(key);
        expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (open.length === maxDepth) throw new ModelFileError(`${what} is nested more than ${maxDepth} levels deep`);
      open.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      open.pop();
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = open.length > 0 && open[open.length - 1] !== null;
    }
  }
}

/** "a "forecast" model" for a task's kind or type field, without echoing whatever else a file put there. */
export const describeKind = (kind: unknown): string =>
  typeof kind === 'string' ? `a ${excerpt(kind)} model` : 'a model that does not say what task it is for';
