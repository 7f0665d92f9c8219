/**
 * `recur eval`: how well a character model predicts a text: the whole text read as one stream from the
 * model's initial state, each character predicted from all those before it (a one-per-line model:
 * each line on its own, ending with the line marker). Mean loss in nats and bits per character.
 * With --dynamic, the model adapts to the text as it reads it (tasks/lm-dynamic-eval.ts); the model
 * file is only read.
 */
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { evaluateLines, splitLines } from '../tasks/lm.js';
import type { EvalResult } from '../tasks/lm-eval.js';
import { evaluateTokens } from '../tasks/lm-stream-eval.js';
import { lineVocab } from '../tasks/lm-file.js';
import type { Tokenizer } from '../data/tokens/index.js';
import { CorpusError, ReadBuffer, TokenCursor } from '../data/token-cursor.js';
import type { Model } from '../nn/model.js';
import { collect, openCorpus } from './lm-data.js';
import { DYNAMIC_DEFAULTS, DYNAMIC_RULES, evaluateDynamic, type DynamicRule, type DynamicSettings } from '../tasks/lm-dynamic-eval.js';
import { choiceArg, intArg, jsonLine, numArg, out, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, loadLm, readText } from './lm-io.js';

interface EvalOpts {
  model: string; data: string[]; json?: boolean; backend: BackendName; threads?: number;
  dynamic?: boolean; dynLr: number; dynDecay: number; dynSeq: number; dynRule: DynamicRule; dynSteps: number; dynAnchor: number;
}

const DYN_FLAGS = ['dynLr', 'dynDecay', 'dynSeq', 'dynRule', 'dynSteps', 'dynAnchor'];

/** The --dyn-* flags as the settings of dynamic evaluation (also what the JSON record reports). */
const dynamicSettings = (o: EvalOpts): DynamicSettings =>
  ({ lr: o.dynLr, decay: o.dynDecay, seq: o.dynSeq, rule: o.dynRule, steps: o.dynSteps, anchor: o.dynAnchor });

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Score a text with a trained language model: mean loss in nats per token, and nats and bits per character.')
    .requiredOption('--model <file>', 'model file written by recur train')
    .requiredOption('--data <file>', "text to score: a file, a directory (its files in sorted order) or '-' (standard input); repeat to concatenate", collect)
    .option('--dynamic', 'dynamic evaluation: after scoring each segment, take a gradient step on it (the file is not changed)')
    .option('--dyn-lr <x>', 'learning rate of the dynamic steps', numArg(0, 100), DYNAMIC_DEFAULTS.lr)
    .option('--dyn-decay <x>', 'pull toward the anchor (at first the trained weights) per step, in [0, 1]', numArg(0, 1), DYNAMIC_DEFAULTS.decay)
    .option('--dyn-anchor <x>', 'how fast the anchor follows the adapted weights per step, in [0, 1] (0: the trained weights stay the anchor)', numArg(0, 1), DYNAMIC_DEFAULTS.anchor)
    .option('--dyn-steps <n>', 'gradient steps per segment (each after the first re-reads the segment)', intArg(1, 64), DYNAMIC_DEFAULTS.steps)
    .option('--dyn-seq <n>', 'tokens per segment (scored, then learned from)', intArg(1, 65536), DYNAMIC_DEFAULTS.seq)
    .option('--dyn-rule <rule>', `update rule: sgd, or rms (the step divided by the RMS of the gradients so far)`, choiceArg(DYNAMIC_RULES), DYNAMIC_DEFAULTS.rule)
    .option('--json', 'print one JSON object {loss, bpc, chars, ...}');
  addBackendOptions(cmd).action(run(async (opts: EvalOpts, command: Command) => evaluate(opts, command)));
}

async function evaluate(opts: EvalOpts, command: Command): Promise<void> {
  if (!opts.dynamic) {
    const given = DYN_FLAGS.find((k) => command.getOptionValueSource(k) === 'cli');
    if (given) throw new UsageError(`--${given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to dynamic evaluation: add --dynamic`);
  }
  const be = await backendFrom(opts);
  const { model, tokens, task } = loadLm(opts.model, be);
  if (opts.dynamic && task.mode === 'lines') throw new Error(`${opts.model} reads one sequence per line; --dynamic adapts a model to one stream of text`);
  const name = opts.data.map((p) => (p === '-' ? 'standard input' : p)).join(', ');
  const t0 = performance.now();
  const r = task.mode === 'lines' ? await scoreLines(model, tokens, opts.data, name)
    : opts.dynamic ? await scoreDynamic(model, tokens, opts, name) : await scoreStream(model, tokens, opts.data);
  // JSON has no NaN, and a NaN printed as a score would look like a result: say what happened instead.
  if (!Number.isFinite(r.loss)) throw new Error(`the model's loss on ${name} is ${r.loss}: its activations overflow on this text`);
  const seconds = (performance.now() - t0) / 1000;
  const dynamic = opts.dynamic ? { dynamic: dynamicSettings(opts) } : {};
  if (opts.json) jsonLine({ loss: r.loss, loss_per_char: r.loss_per_char, bpc: r.bpc, tokens: r.tokens, chars: r.chars, token_kind: tokens.kind, mode: task.mode, seconds, model: opts.model, ...dynamic });
  else out(`${opts.dynamic ? 'dynamic evaluation: ' : ''}${evalLine(r, tokens)}`);
}

function evalLine(r: EvalResult, tokens: Tokenizer): string {
  const perChar = `${r.bpc.toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters`;
  if (tokens.kind === 'char') return `loss ${r.loss.toFixed(4)} nats/char, ${perChar}\n`;
  return `loss ${r.loss.toFixed(4)} nats/token over ${r.tokens.toLocaleString('en-US')} ${tokens.kind} tokens, ${r.loss_per_char.toFixed(4)} nats/char, ${perChar}\n`;
}

/** One sequence per line: the text in memory (one file), each line scored on its own. */
async function scoreLines(model: Model, tokens: Tokenizer, paths: string[], name: string): Promise<EvalResult> {
  if (paths.length > 1) throw new Error('a one-sequence-per-line model scores one --data file');
  const text = await readText(paths[0]);
  try {
    const vocab = lineVocab(tokens)!, lines = splitLines(text);
    for (const l of lines) vocab.encode(l);
    return evaluateLines(model, vocab, lines, undefined, { checkOverflow: true });
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** A stream: read as it is scored (any size), one stream from the initial state; errors name the byte. */
async function scoreStream(model: Model, tokens: Tokenizer, paths: string[]): Promise<EvalResult> {
  const src = await openCorpus(paths);
  const cursor = new TokenCursor(src, tokens, 0, src.size, new ReadBuffer());
  try {
    return evaluateTokens(model, cursor, { checkOverflow: true });
  } catch (e) {
    throw e instanceof CorpusError ? e : new Error(`${src.name}: ${(e as Error).message}`);
  }
}

/**
 * Dynamic evaluation (tasks/lm-dynamic-eval.ts): the text in memory (it adapts a copy of the model segment by
 * segment, so it reads the text once, in order), one stream from the initial state.
 */
async function scoreDynamic(model: Model, tokens: Tokenizer, opts: EvalOpts, name: string): Promise<EvalResult> {
  let text = '';
  for (const p of opts.data) text += await readText(p);
  try {
    const ids = tokens.encode(text);
    let chars = 0;
    for (const _ of text) chars++;
    return evaluateDynamic(model, ids, { ...dynamicSettings(opts), checkOverflow: true, charsPerToken: chars / Math.max(1, ids.length) });
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}
