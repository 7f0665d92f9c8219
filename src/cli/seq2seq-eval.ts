/**
 * `recur seq2seq eval`: score a seq2seq model file on pairs (source TAB target per line): loss in
 * nats per target token (the end mark included, as the reference's loss), exact match and token
 * accuracy with greedy decoding.
 */
import type { Command } from 'commander';
import type { BackendName } from '../node/backend.js';
import { scorePairs } from '../tasks/seq2seq/metrics.js';
import { intArg, jsonLine, out, run } from './common.js';
import { addBackendOptions, backendFrom } from './lm-io.js';
import { DEFAULT_MAX_TARGET, loadSeq2Seq, readPairs } from './seq2seq-io.js';
import { chars } from '../tasks/seq2seq/vocab.js';

interface EvalFlags { model: string; data: string; maxTarget: number; json?: boolean; backend: BackendName; threads?: number }

export function registerEval(parent: Command): void {
  const cmd = parent.command('eval')
    .description('Score a seq2seq model on pairs: loss (nats per target token), exact match and token accuracy (greedy decoding).')
    .requiredOption('--model <file>', 'model file written by recur seq2seq train')
    .requiredOption('--data <file>', "pairs, one 'source TAB target' per line ('-' = standard input)")
    .option('--max-target <n>', 'longest target allowed in --data, in characters', intArg(1, 100000), DEFAULT_MAX_TARGET)
    .option('--json', 'one JSON object');
  addBackendOptions(cmd).action(run(async (opts: EvalFlags) => evaluate(opts)));
}

async function evaluate(o: EvalFlags): Promise<void> {
  const be = await backendFrom(o);
  const m = loadSeq2Seq(o.model, be);
  const pairs = await readPairs(o.data, o.maxTarget);
  // Outputs may run as long as the longest target here or in training, whichever is longer.
  const longest = pairs.reduce((n, [, t]) => Math.max(n, chars(t).length), m.maxTarget);
  const s = scorePairs(m.model, m, pairs, longest);
  if (o.json) jsonLine({ loss: s.loss, exact_match: s.exact, token_accuracy: s.tokenAccuracy, pairs: s.count });
  else out(`${s.count} pairs: loss ${s.loss.toFixed(4)} nats/token, exact match ${s.exact.toFixed(4)}, token accuracy ${s.tokenAccuracy.toFixed(4)}\n`);
}
