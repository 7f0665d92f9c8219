/**
 * One-page reports (lab results, benchmark summaries) as self-contained HTML with the SVG charts
 * inlined, or as Markdown that links image files written next to it. Platform-free: it only builds
 * strings; writing files is the caller's business.
 */

export interface ReportTable { columns: string[]; rows: (string | number)[][] }

export interface ReportSection {
  heading: string;
  /** Plain text; blank lines separate paragraphs. Escaped in both outputs, so it shows literally. */
  text?: string;
  /** An SVG chart, inlined by `htmlReport`. */
  svg?: string;
  /** File name of the same chart as an image (e.g. "eigs.png"), referenced by `markdownReport`. */
  image?: string;
  table?: ReportTable;
}

export interface Report { title: string; sections: ReportSection[] }

/** Numbers in tables: integers exactly, others to 4 significant digits. */
function formatCell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(3);
}

function checkTable(t: ReportTable, heading: string): void {
  t.rows.forEach((r, i) => {
    if (r.length !== t.columns.length) {
      throw new Error(`report section "${heading}": table row ${i} has ${r.length} cells for ${t.columns.length} columns`);
    }
  });
}

const isNumericColumn = (t: ReportTable, c: number): boolean =>
  t.rows.length > 0 && t.rows.every((r) => typeof r[c] === 'number');

const paragraphs = (text: string): string[] =>
  text.split(/\r?\n\s*\r?\n/).map((p) => p.trim()).filter((p) => p.length > 0);

// ---------------------------------------------------------------------------------------- HTML

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `body{font-family:system-ui,Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.25rem .6rem}th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}svg{max-width:100%;height:auto}`;

export function htmlReport(report: Report): string {
  const out: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head>`,
    '<body>',
    `<h1>${escapeHtml(report.title)}</h1>`,
  ];
  for (const s of report.sections) {
    out.push('<section>', `<h2>${escapeHtml(s.heading)}</h2>`);
    if (s.text) for (const p of paragraphs(s.text)) out.push(`<p>${escapeHtml(p).replace(/\r?\n/g, '<br>')}</p>`);
    // The SVG is our own chart markup, so it goes in verbatim; only an XML prolog is invalid inside HTML.
    if (s.svg) out.push(`<figure>${s.svg.replace(/^\s*<\?xml[^>]*\?>\s*/, '')}</figure>`);
    if (s.table) out.push(htmlTable(s.table, s.heading));
    out.push('</section>');
  }
  out.push('</body>', '</html>', '');
  return out.join('\n');
}

function htmlTable(t: ReportTable, heading: string): string {
  checkTable(t, heading);
  const num = t.columns.map((_, c) => isNumericColumn(t, c));
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) =>
    '<tr>' + r.map((v, c) => `<td${num[c] ? ' class="num"' : ''}>${escapeHtml(formatCell(v))}</td>`).join('') + '</tr>');
  return ['<table>', `<thead><tr>${head}</tr></thead>`, '<tbody>', ...body, '</tbody>', '</table>'].join('\n');
}

// ------------------------------------------------------------------------------------ Markdown

/** Backslash-escape Markdown syntax characters (CommonMark allows this for any ASCII punctuation). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>|#!]/g, '\\$&');
}

const oneLine = (s: string): string => s.replace(/\s*\r?\n\s*/g, ' ');

/** Markdown page; charts appear only for sections that name an `image` file. */
export function markdownReport(report: Report): string {
  const out: string[] = [`# ${escapeMarkdown(oneLine(report.title))}`, ''];
  for (const s of report.sections) {
    out.push(`## ${escapeMarkdown(oneLine(s.heading))}`, '');
    if (s.text) for (const p of paragraphs(s.text)) out.push(escapeMarkdown(p), '');
    if (s.image) out.push(`![${escapeMarkdown(oneLine(s.heading))}](<${s.image.replace(/[<>]/g, encodeURIComponent)}>)`, '');
    if (s.table) out.push(markdownTable(s.table, s.heading), '');
  }
  return out.join('\n');
}

function markdownTable(t: ReportTable, heading: string): string {
  checkTable(t, heading);
  const cell = (v: string | number) => escapeMarkdown(oneLine(formatCell(v)));
  const rule = t.columns.map((_, c) => (isNumericColumn(t, c) ? '---:' : '---'));
  return [t.columns.map(cell), rule, ...t.rows.map((r) => r.map(cell))]
    .map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
