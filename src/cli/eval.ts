/**
 * `recur eval`: how well a character model predicts a text: the whole text read as one stream from the
 * model's initial state, each character predicted from all those before it (a one-per-line model:
 * each line on its own, ending with the line marker). Mean loss in nats and bits per character.
 */
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { evaluateLines, evaluateStream, splitLines, type EvalResult } from '../tasks/lm.js';
import { lineVocab } from '../tasks/lm-file.js';
import { countChars } from '../tasks/lm-text.js';
import { utf8, type Tokenizer } from '../data/tokens/index.js';
import type { Model } from '../nn/model.js';
import { jsonLine, out, run } from './common.js';
import { addBackendOptions, backendFrom, loadLm, readText } from './lm-io.js';

interface EvalOpts { model: string; data: string; json?: boolean; backend: BackendName; threads?: number }

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Score a text with a trained language model: mean loss in nats per token, and nats and bits per character.')
    .requiredOption('--model <file>', 'model file written by recur train')
    .requiredOption('--data <file>', "text to score ('-' = standard input)")
    .option('--json', 'print one JSON object {loss, bpc, chars, ...}');
  addBackendOptions(cmd).action(run(async (opts: EvalOpts) => evaluate(opts)));
}

async function evaluate(opts: EvalOpts): Promise<void> {
  const be = await backendFrom(opts);
  const { model, tokens, task } = loadLm(opts.model, be);
  const text = await readText(opts.data);
  const t0 = performance.now();
  let r;
  try {
    if (task.mode === 'lines') {
      const vocab = lineVocab(tokens)!, lines = splitLines(text);
      for (const l of lines) vocab.encode(l);
      r = evaluateLines(model, vocab, lines, undefined, { checkOverflow: true });
    } else r = scoreText(model, tokens, text);
  } catch (e) {
    throw new Error(`${opts.data === '-' ? 'standard input' : opts.data}: ${(e as Error).message}`);
  }
  // JSON has no NaN, and a NaN printed as a score would look like a result: say what happened instead.
  if (!Number.isFinite(r.loss)) throw new Error(`the model's loss on ${opts.data === '-' ? 'standard input' : opts.data} is ${r.loss}: its activations overflow on this text`);
  const seconds = (performance.now() - t0) / 1000;
  if (opts.json) jsonLine({ loss: r.loss, loss_per_char: r.loss_per_char, bpc: r.bpc, tokens: r.tokens, chars: r.chars, token_kind: tokens.kind, mode: task.mode, seconds, model: opts.model });
  else out(evalLine(r, tokens));
}

/** The text read as one stream; its characters per token turn the loss per token into one per character. */
function scoreText(model: Model, tokens: Tokenizer, text: string): EvalResult {
  const ids = tokens.encode(text);
  return evaluateStream(model, ids, { checkOverflow: true, charsPerToken: tokens.kind === 'char' ? 1 : countChars(utf8(text)) / ids.length });
}

function evalLine(r: EvalResult, tokens: Tokenizer): string {
  const perChar = `${r.bpc.toFixed(4)} bits/char over ${r.chars.toLocaleString('en-US')} characters`;
  if (tokens.kind === 'char') return `loss ${r.loss.toFixed(4)} nats/char, ${perChar}\n`;
  return `loss ${r.loss.toFixed(4)} nats/token over ${r.tokens.toLocaleString('en-US')} ${tokens.kind} tokens, ${r.loss_per_char.toFixed(4)} nats/char, ${perChar}\n`;
}
