/**
 * `recur eval`: how well a character model predicts a text: the whole text read as one stream from the
 * model's initial state, each character predicted from all those before it (a one-per-line model:
 * each line on its own, ending with the line marker). Mean loss in nats and bits per character.
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
import { jsonLine, out, run } from './common.js';
import { addBackendOptions, backendFrom, loadLm, readText } from './lm-io.js';

interface EvalOpts { model: string; data: string[]; json?: boolean; backend: BackendName; threads?: number }

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('Score a text with a trained language model: mean loss in nats per token, and nats and bits per character.')
    .requiredOption('--model <file>', 'model file written by recur train')
    .requiredOption('--data <file>', "text to score: a file, a directory (its files in sorted order) or '-' (standard input); repeat to concatenate", collect)
    .option('--json', 'print one JSON object {loss, bpc, chars, ...}');
  addBackendOptions(cmd).action(run(async (opts: EvalOpts) => evaluate(opts)));
}

async function evaluate(opts: EvalOpts): Promise<void> {
  const be = await backendFrom(opts);
  const { model, tokens, task } = loadLm(opts.model, be);
  const name = opts.data.map((p) => (p === '-' ? 'standard input' : p)).join(', ');
  const t0 = performance.now();
  const r = task.mode === 'lines' ? await scoreLines(model, tokens, opts.data, name) : await scoreStream(model, tokens, opts.data);
  // JSON has no NaN, and a NaN printed as a score would look like a result: say what happened instead.
  if (!Number.isFinite(r.loss)) throw new Error(`the model's loss on ${name} is ${r.loss}: its activations overflow on this text`);
  const seconds = (performance.now() - t0) / 1000;
  if (opts.json) jsonLine({ loss: r.loss, loss_per_char: r.loss_per_char, bpc: r.bpc, tokens: r.tokens, chars: r.chars, token_kind: tokens.kind, mode: task.mode, seconds, model: opts.model });
  else out(evalLine(r, tokens));
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
