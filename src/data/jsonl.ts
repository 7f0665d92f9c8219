/**
 * JSON Lines: one JSON object per line, blank lines skipped, a byte-order mark tolerated, CRLF or LF.
 * One reader, strict, whose errors name the line ("line 4: malformed JSON (…)"); the callers add the
 * file name. Platform-free.
 */

/** The objects of a JSONL text with their 1-based line numbers. */
export function readJsonl(text: string): { line: number; record: Record<string, unknown> }[] {
  const out: { line: number; record: Record<string, unknown> }[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((src, i) => {
    if (src.trim() === '') return;
    const at = `line ${i + 1}`;
    let rec: unknown;
    try { rec = JSON.parse(src); } catch (e) { throw new Error(`${at}: malformed JSON (${(e as Error).message})`); }
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new Error(`${at}: expected a JSON object`);
    out.push({ line: i + 1, record: rec as Record<string, unknown> });
  });
  return out;
}

export interface LabeledText { text: string; label: string }

/** The non-empty "text" of a record. */
function textOf(rec: Record<string, unknown>, at: string): string {
  const t = rec.text;
  if (t === undefined) throw new Error(`${at}: missing "text"`);
  if (typeof t !== 'string') throw new Error(`${at}: "text" must be a string`);
  if (t.trim() === '') throw new Error(`${at}: empty "text"`);
  return t;
}

/**
 * The label of a record as a string (null when absent): a non-empty string or a finite number, the same rule
 * for training data and for texts to label (an object would print as "[object Object]").
 */
function labelOf(rec: Record<string, unknown>, at: string): string | null {
  const label = rec.label;
  if (label === undefined || label === null) return null;
  if (typeof label === 'number' ? !Number.isFinite(label) : typeof label !== 'string' || label === '') {
    throw new Error(`${at}: "label" must be a non-empty string or a finite number`);
  }
  return String(label);
}

/**
 * Classification records, one JSON object {"text": string, "label": string | number} per line.
 * Labels are returned as strings so that 1 and "1" are one class; `classes` lists them sorted
 * (numerically when every label was a number), and a label's index in it is its class id.
 */
export function parseJsonl(text: string): { records: LabeledText[]; classes: string[] } {
  const records: LabeledText[] = [];
  let allNumeric = true;
  for (const { line, record } of readJsonl(text)) {
    const at = `line ${line}`, t = textOf(record, at), label = labelOf(record, at);
    if (label === null) throw new Error(`${at}: missing "label"`);
    if (typeof record.label !== 'number') allNumeric = false;
    records.push({ text: t, label });
  }
  if (records.length === 0) throw new Error('JSONL is empty');
  const classes = [...new Set(records.map((r) => r.label))];
  classes.sort(allNumeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < 2) throw new Error(`need at least two classes, found ${classes.length} (${classes.join(', ')})`);
  return { records, classes };
}

/** Texts to label, one {"text": string, "label"?: string | number} per line (a label, when present, as a string). */
export function parseTexts(text: string): { texts: string[]; labels: (string | null)[] } {
  const texts: string[] = [], labels: (string | null)[] = [];
  for (const { line, record } of readJsonl(text)) {
    const at = `line ${line}`;
    texts.push(textOf(record, at));
    labels.push(labelOf(record, at));
  }
  if (texts.length === 0) throw new Error('no records');
  return { texts, labels };
}
