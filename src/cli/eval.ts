/**
 * `recur eval`: how well a character model predicts a text: the whole text read as one stream from the
 * model's initial state, each character predicted from all those before it (a one-per-line model:
 * each line on its own, ending with the line marker). Mean loss in nats and bits per character.
 * With --dynamic, the model adapts to the text as it reads it (tasks/lm-dynamic-eval.ts); the model
 * file is only read.
 */
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { evaluateLines, evaluateStream, splitLines } from '../tasks/lm.js';
import { DYNAMIC_DEFAULTS, DYNAMIC_RULES, evaluateDynamic, type DynamicRule } from '../tasks/lm-dynamic-eval.js';
import { choiceArg, intArg, jsonLine, numArg, out, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, loadLm, readText } from './lm-io.js';

interface EvalOpts {
  model: string; data: string; json?: boolean; backend: BackendName; threads?: number;
  dynamic?: boolean; dynLr: number; dynDecay: number; dynSeq: number; dynRule: DynamicRule;
}

const DYN_FLAGS = ['dynLr', 'dynDecay', 'dynSeq', 'dynRule'];

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Score a text with a trained character model: mean loss in nats and bits per character.')
    .requiredOption('--model <file>', 'model file written by recur train')
    .requiredOption('--data <file>', "text to score ('-' = standard input)")
    .option('--dynamic', 'dynamic evaluation: after scoring each segment, take a gradient step on it (the file is not changed)')
    .option('--dyn-lr <x>', 'learning rate of the dynamic steps', numArg(0, 100), DYNAMIC_DEFAULTS.lr)
    .option('--dyn-decay <x>', 'pull toward the trained weights per segment, in [0, 1]', numArg(0, 1), DYNAMIC_DEFAULTS.decay)
    .option('--dyn-seq <n>', 'characters per segment (scored, then learned from)', intArg(1, 65536), DYNAMIC_DEFAULTS.seq)
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
  const { model, vocab, task } = loadLm(opts.model, be);
  if (opts.dynamic && task.mode === 'lines') throw new Error(`${opts.model} reads one sequence per line; --dynamic adapts a model to one stream of text`);
  const text = await readText(opts.data);
  const name = opts.data === '-' ? 'standard input' : opts.data;
  const t0 = performance.now();
  let r;
  try {
    if (task.mode === 'lines') {
      const lines = splitLines(text);
      for (const l of lines) vocab.encode(l);
      r = evaluateLines(model, vocab, lines, undefined, { checkOverflow: true });
    } else if (opts.dynamic) {
      r = evaluateDynamic(model, vocab.encode(text), { seq: opts.dynSeq, lr: opts.dynLr, decay: opts.dynDecay, rule: opts.dynRule, checkOverflow: true });
    } else r = evaluateStream(model, vocab.encode(text), { checkOverflow: true });
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  // JSON has no NaN, and a NaN printed as a score would look like a result: say what happened instead.
  if (!Number.isFinite(r.loss)) throw new Error(`the model's loss on ${name} is ${r.loss}: its activations overflow on this text`);
  const seconds = (performance.now() - t0) / 1000;
  const dynamic = opts.dynamic ? { dynamic: { lr: opts.dynLr, decay: opts.dynDecay, seq: opts.dynSeq, rule: opts.dynRule } } : {};
  if (opts.json) jsonLine({ loss: r.loss, bpc: r.bpc, chars: r.chars, mode: task.mode, seconds, model: opts.model, ...dynamic });
  else out(`${opts.dynamic ? 'dynamic evaluation: ' : ''}loss ${r.loss.toFixed(4)} nats/char, ${r.bpc.toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters\n`);
}
