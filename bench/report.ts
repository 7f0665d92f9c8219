/**
 * The Markdown report of one benchmark run: machine and versions, chars/s per configuration and
 * workload, recur/peer ratios (both figures from this same run), the issue's floors, validation
 * loss after 60 s, and peak memory. Every figure is read from the run's cell results, nothing else.
 */
import type { Cell } from './plan.js';
import { WORKLOADS, type ChildResult, type WorkloadId } from './workloads.js';

export type CellStatus = 'ok' | 'error' | 'timeout' | 'unsupported' | 'skipped';

export interface CellResult extends Cell {
  status: CellStatus;
  result?: ChildResult;
  /** Why it failed or was skipped (one line). */
  message?: string;
  /** Timeout before any step finished: the throughput is below this. */
  upperBound?: number;
  /** Timeout after some steps: throughput from the child's last progress line (warm-up included). */
  partial?: number;
  wallSeconds: number;
  /** 1-minute load average when the cell started (others' work on the machine shows here). */
  load1: number;
}

export interface RunInfo {
  date: string;
  command: string;
  machine: Record<string, string | number>;
  versions: Record<string, string>;
  mode: string;
  recurBackends: { available: string[]; missing: Record<string, string> };
  unavailablePeers: Record<string, string>;
  minutes: number;
}

const PEER_NAMES: Record<string, string> = { recur: 'recur', torch: 'PyTorch', numpy: 'numpy min-char-rnn', tfjs: 'tfjs', brain: 'brain.js' };

/** A configuration = one row of the tables. */
export const rowKey = (c: Cell): string => `${c.peer}|${c.backend}|${c.threads}`;
function rowLabel(c: Cell): string {
  const th = `${c.threads} thread${c.threads > 1 ? 's' : ''}`;
  if (c.peer === 'recur') return `recur ${c.backend}, ${th}`;
  if (c.peer === 'torch') return `PyTorch CPU, ${th}`;
  if (c.peer === 'tfjs') return `tfjs ${c.backend}, 1 thread`;
  return `${PEER_NAMES[c.peer]}, 1 thread`;
}

export function fmtRate(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(v >= 10 ? 1 : 2);
}

/** The text of one table cell for a throughput figure, with its marks. */
function rateCell(r: CellResult | undefined, notes: Notes): string {
  if (!r) return '';
  if (r.status === 'skipped') return `— ${notes.add(r.message ?? 'skipped')}`;
  if (r.status === 'unsupported') return `n/a ${notes.add(r.message ?? 'cannot express this workload')}`;
  if (r.status === 'timeout') {
    const v = r.partial !== undefined ? `~${fmtRate(r.partial)}` : r.upperBound !== undefined ? `< ${fmtRate(r.upperBound)}` : 'timeout';
    return `${v} ${notes.add(r.message ?? 'timed out')}`;
  }
  if (r.status === 'error') return `error ${notes.add(r.message ?? 'failed')}`;
  const res = r.result!;
  const v = res.gflops ?? res.charsPerSec ?? NaN;
  let s = fmtRate(v);
  if (res.cold) s += ' ‡';
  if (r.peer === 'brain' && r.workload !== 'S1') s += ' †';
  return s;
}

/** Numbered footnotes, deduplicated. */
class Notes {
  readonly list: string[] = [];
  add(text: string): string {
    let i = this.list.indexOf(text);
    if (i < 0) { this.list.push(text); i = this.list.length - 1; }
    return `[${i + 1}]`;
  }
}

const value = (r: CellResult | undefined): number | undefined =>
  r?.status === 'ok' ? (r.result?.gflops ?? r.result?.charsPerSec) : undefined;

/** recur's best figure on a workload using at most `maxThreads` threads (and which backend gave it). */
export function recurBest(results: CellResult[], workload: string, maxThreads: number, backend?: string): { v: number; label: string } | undefined {
  let best: { v: number; label: string } | undefined;
  for (const r of results) {
    if (r.peer !== 'recur' || r.quality || r.workload !== workload || r.threads > maxThreads) continue;
    if (backend && r.backend !== backend) continue;
    const v = value(r);
    if (v !== undefined && (!best || v > best.v)) best = { v, label: `${r.backend} ${r.threads}t` };
  }
  return best;
}

function peerFigure(results: CellResult[], workload: string, peer: string, backend: string, threads?: number): number | undefined {
  let best: number | undefined;
  for (const r of results) {
    if (r.peer !== peer || r.quality || r.workload !== workload || r.backend !== backend) continue;
    if (threads !== undefined && r.threads !== threads) continue;
    const v = value(r);
    if (v !== undefined && (best === undefined || v > best)) best = v;
  }
  return best;
}

export function markdownReport(info: RunInfo, results: CellResult[]): string {
  const notes = new Notes();
  const out: string[] = [];
  const m = info.machine;
  out.push(`# recur benchmark — ${info.date}`, '');
  out.push(`Machine: ${m.cpu}, ${m.cores} cores (${m.flags}), ${m.memoryGB} GB, Linux ${m.kernel}. ` +
    `Load average at start ${m.loadStart}, highest 1-min load seen by a cell ${m.loadMax}.`);
  out.push(`Versions: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  out.push(`recur backends: ${info.recurBackends.available.join(', ') || 'none'}` +
    (Object.keys(info.recurBackends.missing).length ? ` (not available: ${Object.entries(info.recurBackends.missing).map(([k, v]) => `${k}: ${v}`).join('; ')})` : '') + '.');
  out.push(`Mode: ${info.mode}. Command: \`${info.command}\`. Took ${info.minutes.toFixed(1)} min.`, '');
  // The run's own 2-thread cells (and peers' helper threads) keep the load near the core count: only
  // more than one extra busy core says that other jobs shared the machine.
  if (Number(m.loadMax) > Number(m.cores) + 1) {
    out.push(`**The machine was shared during this run** (1-minute load up to ${m.loadMax} on ${m.cores} cores): every figure is low, ` +
      'and figures with 2 threads are not meaningful (a thread pool that waits for a descheduled thread stalls). Compare ratios of ' +
      '1-thread figures, and rerun on a quiet machine for absolute numbers.', '');
  }

  const tput = results.filter((r) => !r.quality && r.workload !== 'G1');
  const workloads = [...new Set(tput.map((r) => r.workload))] as WorkloadId[];
  const rows = [...new Map(tput.map((r) => [rowKey(r), r])).values()];
  const find = (row: Cell, w: string): CellResult | undefined => tput.find((r) => rowKey(r) === rowKey(row) && r.workload === w);

  if (workloads.length) {
    out.push('## Throughput (characters per second; S1: generated characters per second)', '');
    out.push(`| configuration | ${workloads.join(' | ')} |`, `|---|${workloads.map(() => '---:').join('|')}|`);
    for (const row of rows) out.push(`| ${rowLabel(row)} | ${workloads.map((w) => rateCell(find(row, w), notes)).join(' | ')} |`);
    out.push('', workloads.map((w) => `${w}: ${WORKLOADS[w].title}`).join('; ') + '.', '');

    out.push('## recur / peer (same run)', '');
    out.push('Each cell: recur\'s best figure using at most as many threads as the peer ÷ the peer\'s figure (recur backend and threads in parentheses).', '');
    out.push(`| peer | ${workloads.join(' | ')} |`, `|---|${workloads.map(() => '---:').join('|')}|`);
    const ratio = (w: string, p: number | undefined, maxThreads: number, mark = ''): string => {
      const rb = recurBest(results, w, maxThreads);
      return p === undefined || !rb ? '' : `${(rb.v / p).toFixed(2)}× (${rb.label})${mark}`;
    };
    for (const row of rows.filter((r) => r.peer !== 'recur')) {
      out.push(`| ${rowLabel(row)} | ${workloads.map((w) => ratio(w, value(find(row, w)), row.threads, row.peer === 'brain' && w !== 'S1' ? ' †' : '')).join(' | ')} |`);
    }
    if (rows.some((r) => r.peer === 'torch')) {
      out.push(`| PyTorch CPU, best of its thread counts (recur: best of all) | ${workloads.map((w) => ratio(w, peerFigure(results, w, 'torch', 'cpu'), Infinity)).join(' | ')} |`);
    }
    out.push('');
    const floors = floorLines(results);
    if (floors.length) {
      out.push('## The issue\'s floors', '', '| floor | measured | met |', '|---|---:|:---:|', ...floors, '');
    }
  }

  const gemm = results.filter((r) => r.workload === 'G1');
  if (gemm.length) {
    out.push('## GEMM 512×512×512, float32 (GFLOP/s)', '', '| configuration | GFLOP/s |', '|---|---:|');
    for (const r of gemm) out.push(`| ${rowLabel(r)} | ${rateCell(r, notes)} |`);
    out.push('');
  }

  const quality = results.filter((r) => r.quality);
  if (quality.length) {
    out.push('## Validation loss after 60 s of training (nats/char, whole validation split)', '');
    const qw = [...new Set(quality.map((r) => r.workload))];
    const qrows = [...new Map(quality.map((r) => [rowKey(r), r])).values()];
    out.push(`| configuration | ${qw.join(' | ')} |`, `|---|${qw.map(() => '---:').join('|')}|`);
    for (const row of qrows) {
      out.push(`| ${rowLabel(row)} | ${qw.map((w) => {
        const r = quality.find((q) => rowKey(q) === rowKey(row) && q.workload === w);
        if (!r) return '';
        if (r.status !== 'ok' || r.result?.valLoss === undefined) return rateCell(r, notes);
        return `${r.result.valLoss.toFixed(3)} (${r.result.qualitySteps} steps)`;
      }).join(' | ')} |`);
    }
    out.push('');
  }

  const mem = tput.filter((r) => r.status === 'ok' && r.result?.peakRssMB !== undefined);
  if (mem.length) {
    out.push('## Peak resident memory of the process (MB)', '');
    out.push(`| configuration | ${workloads.join(' | ')} |`, `|---|${workloads.map(() => '---:').join('|')}|`);
    for (const row of rows) {
      out.push(`| ${rowLabel(row)} | ${workloads.map((w) => { const r = find(row, w); return r?.status === 'ok' && r.result?.peakRssMB !== undefined ? String(r.result.peakRssMB) : ''; }).join(' | ')} |`);
    }
    out.push('');
  }

  out.push('Marks: † brain.js trains one sequence at a time (batch 1, no carried state, its own RMSprop), so its figure is not the same work; ' +
    '‡ one step outlasted the measurement cap by itself and is timed alone (no separate warm-up); ' +
    '~ a rough figure from the progress of a child stopped at its time limit; < an upper bound (not one step finished).');
  const devs = new Set<string>();
  for (const r of results) for (const d of r.result?.deviations ?? []) devs.add(`${PEER_NAMES[r.peer]}: ${d}`);
  if (devs.size) out.push('', 'How peers differ from the spec: ' + [...devs].join('; ') + '.');
  if (notes.list.length) out.push('', ...notes.list.map((n, i) => `[${i + 1}] ${n}`));
  return out.join('\n') + '\n';
}

/** The floors of the issue, checked on this run's figures (recur-wasm where it ran, else recur's best). */
function floorLines(results: CellResult[]): string[] {
  const lines: string[] = [];
  const fast = results.some((r) => r.peer === 'recur' && r.backend === 'wasm' && r.status === 'ok') ? 'wasm' : undefined;
  const who = fast ? 'recur-wasm' : 'recur (best backend; wasm did not run)';
  const row = (text: string, got: number | undefined, floor: number): void => {
    if (got === undefined) return;
    lines.push(`| ${text} ≥ ${floor}× | ${got.toFixed(2)}× | ${got >= floor ? 'yes' : 'no'} |`);
  };
  for (const w of ['W2', 'W3', 'W4']) {
    const t1 = peerFigure(results, w, 'torch', 'cpu', 1), tBest = peerFigure(results, w, 'torch', 'cpu');
    const r1 = recurBest(results, w, 1, fast), r2 = recurBest(results, w, 2, fast), tw = peerFigure(results, w, 'tfjs', 'wasm');
    if (r1 && t1) row(`${w}: ${who}, 1 thread / PyTorch 1 thread`, r1.v / t1, 0.5);
    if (r2 && tBest) row(`${w}: ${who}, best of 1-2 threads / PyTorch best`, r2.v / tBest, 0.9);
    if (r2 && tw) row(`${w}: ${who} / tfjs wasm`, r2.v / tw, 10);
  }
  const np = peerFigure(results, 'W1', 'numpy', 'min-char-rnn'), r = recurBest(results, 'W1', 2, fast);
  if (np && r) row(`W1: ${who} / numpy min-char-rnn`, r.v / np, 3);
  const ts = peerFigure(results, 'S1', 'torch', 'cpu'), rs = recurBest(results, 'S1', 2, fast);
  if (ts && rs) row(`S1: ${who} / PyTorch best`, rs.v / ts, 3);
  const w2mem = results.filter((x) => x.peer === 'recur' && x.workload === 'W2' && x.status === 'ok' && !x.quality).map((x) => x.result!.peakRssMB ?? Infinity);
  if (w2mem.length) lines.push(`| W2: recur peak memory < 300 MB | ${Math.max(...w2mem)} MB | ${Math.max(...w2mem) < 300 ? 'yes' : 'no'} |`);
  // W6 (issue 19): native at its best thread count against PyTorch's best.
  const n6 = recurBest(results, 'W6', Infinity, 'native'), t6 = peerFigure(results, 'W6', 'torch', 'cpu');
  if (n6 && t6) row(`W6: recur-native (${n6.label}) / PyTorch best`, n6.v / t6, 1.5);
  const w5 = results.filter((x) => x.peer === 'recur' && x.workload === 'W5' && !x.quality);
  if (w5.length) lines.push(`| W5: recur runs | ${w5.map((x) => `${x.backend} ${x.threads}t: ${x.status}`).join(', ')} | ${w5.some((x) => x.status === 'ok') ? 'yes' : 'no'} |`);
  return lines;
}
