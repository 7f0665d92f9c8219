/**
 * User data for seq2seq: one pair per line, source TAB target (UTF-8 characters; a CRLF line end is
 * allowed, blank lines are skipped). Every refusal is one line naming the line. Platform-free.
 */
import { chars } from './vocab.js';

export type Pair = [source: string, target: string];

/** Pairs of a TSV text; `maxTarget` bounds a target's length in characters. */
export function parsePairs(text: string, maxTarget: number): Pair[] {
  const pairs: Pair[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (line.trim() === '') continue;
    const at = `line ${i + 1}`;
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`${at} has no tab (expected source TAB target)`);
    if (line.indexOf('\t', tab + 1) >= 0) throw new Error(`${at} has more than one tab (expected source TAB target)`);
    const source = line.slice(0, tab), target = line.slice(tab + 1);
    if (source === '') throw new Error(`${at} has an empty source`);
    const n = chars(target).length;
    if (n > maxTarget) throw new Error(`${at} has a target of ${n} characters, longer than --max-target ${maxTarget}`);
    pairs.push([source, target]);
  }
  if (pairs.length === 0) throw new Error('no pairs (expected lines of source TAB target)');
  return pairs;
}
