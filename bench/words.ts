/**
 * W6's word-level ids, computed by the benchmark itself (so the figure depends on nothing but the corpus):
 * a word is a run of ASCII letters, a run of digits, or any other single code point that is not a space,
 * tab, CR, LF or form feed (punctuation, dashes and quotes are words of their own); case is kept. The
 * vocabulary is <unk> (id 0) then the `size` − 1 most frequent words, by count descending, ties in
 * code-point order of the word; every other word is <unk>. bench/peers/torch_bench.py (`word_ids`)
 * implements the same rule.
 */
export const WORD_PATTERN = /[A-Za-z]+|[0-9]+|[^ \t\n\r\fA-Za-z0-9]/gu;

export interface WordIds { words: string[]; ids: Int32Array }

const byCodePoint = (a: string, b: string): number => {
  const x = [...a], y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i].codePointAt(0)! - y[i].codePointAt(0)!;
  return x.length - y.length;
};

export function wordIds(text: string, size: number): WordIds {
  const tokens = text.match(WORD_PATTERN) ?? [];
  const counts = new Map<string, number>();
  for (const w of tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || byCodePoint(a[0], b[0])).slice(0, size - 1).map((e) => e[0]);
  const index = new Map(ranked.map((w, i) => [w, i + 1]));
  return { words: ['<unk>', ...ranked], ids: Int32Array.from(tokens, (w) => index.get(w) ?? 0) };
}
