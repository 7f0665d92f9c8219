/**
 * `recur lab attention`: exact match against input length for no attention, dot and additive
 * attention at about the same parameter count and the same budget per run; a table and a PNG.
 */
import { extname } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { atomicWriteFile } from '../node/files.js';
import { svgToPng } from '../node/png.js';
import { attentionLabChart, LAB_ATTENTION_KINDS, LAB_ATTENTION_LENGTHS, runAttentionLab, type AttentionLabRun } from '../tasks/lab-attention.js';
import { ATTENTION_KINDS, SEQ2SEQ_CELLS, SEQ2SEQ_DEFAULTS } from '../tasks/seq2seq/train.js';
import { TASK_NAMES } from '../tasks/seq2seq/synthetic.js';
import { checkOutputPath, choiceArg, intArg, jsonLine, numArg, out, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom } from './lm-io.js';
import { formatTable } from './table.js';

interface AttentionFlags {
  task: string; lengths: number[]; attention: (typeof ATTENTION_KINDS)[number][]; cell: (typeof SEQ2SEQ_CELLS)[number];
  hidden: number; embed: number; batch: number; lr: number; steps?: number; time?: number; heldOut: number; png?: string;
  seed: number; backend: BackendName; threads?: number; json?: boolean;
}

const list = <T>(parse: (s: string) => T) => (v: string): T[] => {
  const items = v.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new InvalidArgumentError(`empty item in the list '${v}'`);
  return items.map(parse);
};

export function registerAttention(lab: Command): void {
  const cmd = lab.command('attention')
    .description('exact match against input length: no attention vs dot vs additive, same parameters and budget per run (table + PNG)')
    .option('--task <name>', `built-in task: ${TASK_NAMES.join(', ')}`, 'reverse')
    .option('--lengths <list>', 'input lengths (the task\'s --length)', list(intArg(1, 10000)), LAB_ATTENTION_LENGTHS)
    .option('--attention <list>', `kinds compared: ${ATTENTION_KINDS.join(', ')}`, list(choiceArg(ATTENTION_KINDS)), LAB_ATTENTION_KINDS)
    .option('--cell <cell>', `recurrent cell: ${SEQ2SEQ_CELLS.join(', ')}`, choiceArg(SEQ2SEQ_CELLS), SEQ2SEQ_DEFAULTS.cell)
    .option('--hidden <n>', 'hidden units of the model with the most parameters (the others are widened to match)', intArg(1, 4096), SEQ2SEQ_DEFAULTS.hidden)
    .option('--embed <n>', 'symbol embedding width', intArg(1, 4096), SEQ2SEQ_DEFAULTS.embed)
    .option('--batch <n>', 'pairs per step', intArg(1, 4096), SEQ2SEQ_DEFAULTS.batch)
    .option('--lr <x>', 'Adam learning rate', numArg(0, 10, { exclusiveMin: true }), SEQ2SEQ_DEFAULTS.lr)
    .option('--steps <n>', 'budget per run in steps', intArg(1))
    .option('--time <seconds>', 'budget per run in seconds of training (default 30 unless --steps)', numArg(0, 1e7, { exclusiveMin: true }))
    .option('--held-out <n>', 'held-out pairs scored per run', intArg(1, 100000), 200)
    .option('--png <file>', 'draw exact match against length here (.png or .svg)')
    .option('--seed <n>', 'random seed (weights, pairs)', intArg(0, 0xffffffff), 1)
    .option('--json', 'one JSON object per run, then a summary');
  addBackendOptions(cmd).action(run(async (o: AttentionFlags) => attentionLab(o)));
}

async function attentionLab(o: AttentionFlags): Promise<void> {
  if (!(TASK_NAMES as readonly string[]).includes(o.task)) throw new UsageError(`unknown task '${o.task}' (expected ${TASK_NAMES.join(', ')})`);
  if (o.png !== undefined) {
    if (!['.png', '.svg'].includes(extname(o.png).toLowerCase())) throw new UsageError(`--png ${o.png}: the file name must end in .png or .svg`);
    checkOutputPath(o.png, '--png');
  }
  const be = await backendFrom(o);
  const seconds = o.time ?? (o.steps !== undefined ? null : 30);
  const budget = [o.steps !== undefined ? `${o.steps} steps` : '', seconds !== null ? `${seconds} s` : ''].filter(Boolean).join(' or ');
  const say = (s: string) => { if (!o.json) process.stderr.write(s); };
  say(`${o.task}: ${o.attention.join(', ')} at lengths ${o.lengths.join(', ')}; ${budget} per run, ${be.name} backend\n`);
  const runs = runAttentionLab(be, {
    task: o.task, lengths: o.lengths, kinds: o.attention, hidden: o.hidden, embed: o.embed, cell: o.cell, batch: o.batch, lr: o.lr,
    seed: o.seed, steps: o.steps ?? null, seconds, heldOut: o.heldOut,
  }, (r: AttentionLabRun) => {
    if (o.json) jsonLine({ event: 'run', ...r });
    else say(`  length ${r.length}, ${r.attention}: exact match ${r.exact_match.toFixed(3)} (hidden ${r.hidden}, ${r.parameters} parameters, ${r.steps} steps)\n`);
  });
  if (o.png !== undefined) {
    const svg = await attentionLabChart(runs, `${o.task}: exact match against length (${budget} per model)`);
    atomicWriteFile(o.png, o.png.toLowerCase().endsWith('.svg') ? new TextEncoder().encode(svg) : svgToPng(svg));
  }
  if (o.json) { jsonLine({ summary: true, task: o.task, budget, backend: be.name, runs, ...(o.png ? { png: o.png } : {}) }); return; }
  const at = (len: number, k: string) => runs.find((r) => r.length === len && r.attention === k)!;
  out(formatTable(['length', ...o.attention.map((k) => `${k} (exact)`)],
    o.lengths.map((len) => [String(len), ...o.attention.map((k) => at(len, k).exact_match.toFixed(3))])));
  out(`parameters: ${o.attention.map((k) => `${k} ${at(o.lengths[0], k).parameters} (hidden ${at(o.lengths[0], k).hidden})`).join(', ')}\n`);
  if (o.png !== undefined) out(`wrote ${o.png}\n`);
}
