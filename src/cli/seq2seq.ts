/**
 * `recur seq2seq …`: encoder-decoder models with attention. `train` on a built-in task or a file of
 * pairs, `eval` a model file on pairs, `predict` outputs (greedy or beam search) and draw where the
 * decoder looked. One file per subcommand; this one only groups them.
 */
import type { Command } from 'commander';
import { registerEval } from './seq2seq-eval.js';
import { registerPredict } from './seq2seq-predict.js';
import { registerTrain } from './seq2seq-train.js';

export function register(program: Command): void {
  const s2s = program.command('seq2seq')
    .description('Sequence-to-sequence models (an encoder and a decoder, with or without attention): train, eval, predict.');
  registerTrain(s2s);
  registerEval(s2s);
  registerPredict(s2s);
}
