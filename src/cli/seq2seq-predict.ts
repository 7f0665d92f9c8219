/**
 * `recur seq2seq predict`: outputs of a seq2seq model for texts (arguments, or lines on standard
 * input), by greedy decoding or length-normalised beam search, each with its score (mean log-prob
 * per output symbol, the end mark included); --plot draws the attention matrix of one input.
 */
import { extname } from 'node:path';
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { atomicWriteFile } from '../node/files.js';
import { svgToPng } from '../node/png.js';
import { attentionChart } from '../tasks/seq2seq/attention-plot.js';
import { predictOne, type Prediction } from '../tasks/seq2seq/predict.js';
import { chars } from '../tasks/seq2seq/vocab.js';
import { checkOutputPath, intArg, jsonLine, out, printable, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, readText } from './lm-io.js';
import { loadSeq2Seq } from './seq2seq-io.js';

interface PredictFlags { model: string; beam?: number; maxLength?: number; plot?: string; json?: boolean; backend: BackendName; threads?: number }

export function registerPredict(parent: Command): void {
  const cmd = parent.command('predict')
    .description('Outputs of a seq2seq model for texts (arguments, or one per line on standard input): greedy or beam search.')
    .argument('[text...]', 'inputs (default: lines of standard input)')
    .requiredOption('--model <file>', 'model file written by recur seq2seq train')
    .option('--beam <K>', 'beam search with K hypotheses (length-normalised scores); default greedy', intArg(1, 256))
    .option('--max-length <n>', "longest output (default: one more than the model's longest target)", intArg(1, 100000))
    .option('--plot <file>', 'draw the attention matrix of the (one) input: .png or .svg')
    .option('--json', 'one JSON object per input: input, output, score');
  addBackendOptions(cmd).action(run(async (texts: string[], opts: PredictFlags) => predict(texts, opts)));
}

async function inputs(args: string[]): Promise<string[]> {
  if (args.length > 0) return args;
  const lines = (await readText('-', 'input')).split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function predict(args: string[], o: PredictFlags): Promise<void> {
  if (o.plot !== undefined) {
    if (!['.png', '.svg'].includes(extname(o.plot).toLowerCase())) throw new UsageError(`--plot ${o.plot}: the file name must end in .png or .svg`);
    checkOutputPath(o.plot, '--plot', { '--model': o.model });
  }
  const be = await backendFrom(o);
  const m = loadSeq2Seq(o.model, be);
  if (o.plot !== undefined && m.model.config.attention === 'none') throw new UsageError('--plot draws attention weights, and this model has no attention');
  const texts = await inputs(args);
  texts.forEach((t, i) => { if (t === '') throw new UsageError(`input ${i + 1} is empty`); });
  if (o.plot !== undefined && texts.length !== 1) throw new UsageError(`--plot draws the attention of one input, got ${texts.length}`);
  const maxLen = o.maxLength ?? m.maxTarget + 1;
  let last: Prediction | null = null;
  for (const [i, text] of texts.entries()) {
    const unknown = m.srcVocab.unknown(text);
    if (unknown.length > 0 && !o.json) process.stderr.write(`input ${i + 1}: ${unknown.map((c) => printable(JSON.stringify(c))).join(', ')} not in the model's source vocabulary (read as <unk>)\n`);
    last = predictOne(m, text, { beam: o.beam ?? 0, maxLen });
    if (o.json) jsonLine({ input: text, output: last.output, score: last.score, ...(unknown.length ? { unknown } : {}) });
    else out(`${printable(last.output)}\t${last.score.toFixed(4)}\n`);
  }
  if (o.plot !== undefined && last?.attention) {
    const svg = await attentionChart(chars(texts[0]), chars(last.output), last.attention, `Attention: ${texts[0]} → ${last.output}`);
    atomicWriteFile(o.plot, o.plot.toLowerCase().endsWith('.svg') ? new TextEncoder().encode(svg) : svgToPng(svg));
  }
}
