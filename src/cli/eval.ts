/**
 * `recur eval`: how well a character model predicts a text: the whole text read as one stream from the
 * model's initial state, each character predicted from all those before it (a one-per-line model:
 * each line on its own, ending with the line marker). Mean loss in nats and bits per character.
 */
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { evaluateLines, evaluateStream, splitLines } from '../tasks/lm.js';
import { jsonLine, out, run } from './common.js';
import { addBackendOptions, backendFrom, loadLm, readText } from './lm-io.js';

interface EvalOpts { model: string; data: string; json?: boolean; backend: BackendName; threads?: number }

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Score a text with a trained character model: mean loss in nats and bits per character.')
    .requiredOption('--model <file>', 'model file written by recur train')
    .requiredOption('--data <file>', "text to score ('-' = standard input)")
    .option('--json', 'print one JSON object {loss, bpc, chars, ...}');
  addBackendOptions(cmd).action(run(async (opts: EvalOpts) => evaluate(opts)));
}

async function evaluate(opts: EvalOpts): Promise<void> {
  const be = await backendFrom(opts);
  const { model, vocab, task } = loadLm(opts.model, be);
  const text = await readText(opts.data);
  const t0 = performance.now();
  let r;
  try {
    if (task.mode === 'lines') {
      const lines = splitLines(text);
      for (const l of lines) vocab.encode(l);
      r = evaluateLines(model, vocab, lines, undefined, { checkOverflow: true });
    } else r = evaluateStream(model, vocab.encode(text), { checkOverflow: true });
  } catch (e) {
    throw new Error(`${opts.data === '-' ? 'standard input' : opts.data}: ${(e as Error).message}`);
  }
  // JSON has no NaN, and a NaN printed as a score would look like a result: say what happened instead.
  if (!Number.isFinite(r.loss)) throw new Error(`the model's loss on ${opts.data === '-' ? 'standard input' : opts.data} is ${r.loss}: its activations overflow on this text`);
  const seconds = (performance.now() - t0) / 1000;
  if (opts.json) jsonLine({ loss: r.loss, bpc: r.bpc, chars: r.chars, mode: task.mode, seconds, model: opts.model });
  else out(`loss ${r.loss.toFixed(4)} nats/char, ${r.bpc.toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters\n`);
}
