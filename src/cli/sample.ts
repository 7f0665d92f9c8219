/**
 * `recur sample`: new text from a character model (or new lines, e.g. names, from a one-per-line model).
 */
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { Rng } from '../util/rng.js';
import { CharTokenizer, type Tokenizer } from '../data/tokens/index.js';
import { generate, generateLines, Sampler } from '../tasks/sample.js';
import { intArg, numArg, out, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, loadLm } from './lm-io.js';

interface SampleOpts {
  model: string; length?: number; temperature: number; topK: number; prime?: string; seed: number; count: number;
  backend: BackendName; threads?: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('sample')
    .description('Generate text from a trained language model (new lines, e.g. names, from a one-per-line model).')
    .requiredOption('--model <file>', 'model file written by recur train')
    .option('--length <n>', 'tokens to generate: characters of a character model (a one-per-line model: the longest line; default 500, or 50 per line)', intArg(0, 100_000_000))
    .option('--temperature <x>', 'softmax temperature: lower is more conservative, 0 = always the most likely character', numArg(0, 100), 1)
    .option('--top-k <n>', 'draw only among the k most likely characters (0 = all)', intArg(0), 0)
    .option('--prime <text>', 'text to start from (it is printed, then continued); a one-per-line model starts every line with it')
    .option('--seed <n>', 'random seed', intArg(0, 0xffffffff), 1)
    .option('--count <n>', 'lines to generate with a one-per-line model', intArg(1, 1_000_000), 10);
  addBackendOptions(cmd).action(run(async (opts: SampleOpts) => sample(opts)));
}

async function sample(opts: SampleOpts): Promise<void> {
  const be = await backendFrom(opts);
  const { model, tokens, task } = loadLm(opts.model, be);
  if (opts.prime !== undefined) {
    checkPrime(opts.prime, tokens);
    if (task.mode === 'lines' && opts.prime.includes('\n')) throw new UsageError('--prime cannot contain a newline for a one-per-line model');
  }
  const sampler = new Sampler(model, tokens, new Rng(opts.seed), { checkOverflow: true });
  const so = { temperature: opts.temperature, topK: opts.topK };
  if (task.mode === 'lines') {
    for (const line of generateLines(sampler, opts.count, opts.length ?? 50, { ...so, prime: opts.prime })) out(`${line}\n`);
    return;
  }
  if (opts.prime) out(opts.prime);
  generate(sampler, { ...so, length: opts.length ?? 500, prime: opts.prime, onText: (t) => out(t) });
  out('\n');
}

/** A prime the model can read: a character model names the first character it does not know (other tokens have <unk> or every byte). */
function checkPrime(prime: string, tokens: Tokenizer): void {
  if (!(tokens instanceof CharTokenizer) || tokens.unk >= 0) return;
  for (const ch of prime) {
    if (tokens.vocab.index(ch) < 0) {
      throw new UsageError(`--prime has the character ${JSON.stringify(ch)} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}), which is not in the model's vocabulary`);
    }
  }
}
