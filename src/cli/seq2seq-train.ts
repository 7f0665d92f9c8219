/**
 * `recur seq2seq train`: an encoder-decoder on a built-in task (reverse, sort, addition, dates;
 * fresh pairs from --seed) or on --data pairs.tsv, through the one training loop; held-out loss,
 * exact match and token accuracy (greedy decoding) as it goes, and the model file at the end.
 */
import { Option, type Command } from 'commander';
import { describeBackend } from '../node/backend.js';
import { atomicWriteFile } from '../node/files.js';
import { syntheticSource, userSource, type PairSource } from '../tasks/seq2seq/data.js';
import { seq2seqBytes } from '../tasks/seq2seq/file.js';
import type { Seq2SeqScores } from '../tasks/seq2seq/metrics.js';
import { TASK_NAMES } from '../tasks/seq2seq/synthetic.js';
import { ATTENTION_KINDS, SEQ2SEQ_CELLS, SEQ2SEQ_DEFAULTS, trainSeq2Seq, type Seq2SeqProgress, type Seq2SeqTrainOptions } from '../tasks/seq2seq/train.js';
import { OPTIMIZERS } from '../train/optim.js';
import { SCHEDULE_NAMES } from '../train/schedule.js';
import { checkOutputPath, choiceArg, intArg, jsonLine, numArg, out, run, UsageError } from './common.js';
import { addBackendOptions, backendFrom, everyArg, never } from './lm-io.js';
import { DEFAULT_MAX_TARGET, readPairs } from './seq2seq-io.js';
import type { Every } from '../tasks/lm.js';
import type { BackendName } from '../node/backend.js';

/** Default length of a built-in task's sequences (operand digits for addition; dates have their own). */
export const DEFAULT_LENGTH = 10;

interface TrainFlags {
  task?: string; length: number; data?: string; maxTarget: number;
  cell: Seq2SeqTrainOptions['cell']; hidden: number; embed: number; layers: number; bidirectional?: boolean;
  attention: Seq2SeqTrainOptions['attention']; attentionSize?: number; inputFeeding?: boolean;
  optimizer: Seq2SeqTrainOptions['optimizer']; lr: number; lrMin?: number; schedule: Seq2SeqTrainOptions['schedule']; clipNorm: number; batch: number; seed: number;
  steps?: number; time?: number; evalEvery: Every; out: string; json?: boolean; backend: BackendName; threads?: number;
}

const d = SEQ2SEQ_DEFAULTS;

export function registerTrain(parent: Command): void {
  const cmd = parent.command('train')
    .description(`Train an encoder-decoder on a built-in task (${TASK_NAMES.join(', ')}) or on pairs (source TAB target per line), ${d.seconds} s by default.`)
    // Not a choiceArg: an unknown task is refused by the task table, with the same one line everywhere.
    .option('--task <name>', `built-in task: ${TASK_NAMES.join(', ')} (default reverse without --data)`)
    .option('--length <n>', `longest sequence of reverse/sort; digits per operand of addition (default ${DEFAULT_LENGTH})`, intArg(1, 10000), DEFAULT_LENGTH)
    .option('--data <file>', "pairs to learn, one 'source TAB target' per line (UTF-8); 10% are held out for scoring")
    .option('--max-target <n>', `longest target allowed in --data, in characters (also the decoding limit)`, intArg(1, 100000), DEFAULT_MAX_TARGET)
    .option('--cell <cell>', `recurrent cell: ${SEQ2SEQ_CELLS.join(', ')}`, choiceArg(SEQ2SEQ_CELLS), d.cell)
    .option('--hidden <n>', 'hidden units per layer (encoder and decoder)', intArg(1, 8192), d.hidden)
    .option('--embed <n>', 'symbol embedding width', intArg(1, 8192), d.embed)
    .option('--layers <n>', 'stacked layers in the encoder and in the decoder', intArg(1, 16), d.layers)
    .option('--bidirectional', 'read the source in both directions')
    .option('--attention <kind>', `${ATTENTION_KINDS.join(', ')} (dot needs a unidirectional encoder)`, choiceArg(ATTENTION_KINDS), d.attention)
    .option('--attention-size <n>', 'width of the additive score layer (default: --hidden)', intArg(1, 8192))
    .option('--input-feeding', "feed the previous attentional state to the decoder (Luong's input feeding; needs attention)")
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, choiceArg(OPTIMIZERS), d.optimizer)
    .option('--lr <x>', 'learning rate', numArg(0, 100, { exclusiveMin: true }), d.lr)
    .option('--lr-min <x>', 'final learning rate of the cosine/linear schedule (default: lr/10)', numArg(0, 100))
    .option('--schedule <name>', `learning-rate schedule over the budget: ${SCHEDULE_NAMES.join(', ')}`, choiceArg(SCHEDULE_NAMES), d.schedule)
    .option('--clip-norm <x>', 'clip the gradient to this global norm (0 = off)', numArg(0), d.clipNorm)
    .option('--batch <n>', 'pairs per step', intArg(1, 4096), d.batch)
    .option('--seed <n>', 'random seed (weights, pairs, held-out set)', intArg(0, 0xffffffff), d.seed)
    .option('--steps <n>', 'train for this many steps', intArg(1))
    .option('--time <seconds>', `train for this many seconds (scoring not counted; default ${d.seconds} unless --steps)`, numArg(0, 1e7, { exclusiveMin: true }))
    .addOption(new Option('--eval-every <n|Ns>', 'score the held-out pairs every n steps or N seconds (0 = only at the end)').argParser(everyArg).default({ seconds: 10 }, '10s'))
    .option('--out <file>', 'model file to write', 'seq2seq.safetensors')
    .option('--json', 'one JSON object per line (held-out scores as training goes; the last line is the summary)');
  addBackendOptions(cmd).action(run(async (opts: TrainFlags) => train(opts)));
}

async function source(o: TrainFlags): Promise<PairSource> {
  if (o.data !== undefined && o.task !== undefined) throw new UsageError('give --task or --data, not both');
  if (o.data !== undefined) return userSource(await readPairs(o.data, o.maxTarget), o.maxTarget, o.seed, o.data === '-' ? 'stdin' : o.data);
  return syntheticSource(o.task ?? 'reverse', o.length, o.seed);
}

const f4 = (x: number): string => x.toFixed(4);
const scoreJson = (s: Seq2SeqScores) => ({ loss: s.loss, exact_match: s.exact, token_accuracy: s.tokenAccuracy, held_out: s.count });
const scoreText = (s: Seq2SeqScores): string => `held-out loss ${f4(s.loss)}, exact match ${f4(s.exact)}, token accuracy ${f4(s.tokenAccuracy)}`;

async function train(o: TrainFlags): Promise<void> {
  if (o.attention === 'dot' && o.bidirectional) {
    throw new UsageError('--attention dot scores decoder states against encoder states of the same width; a bidirectional encoder\'s are twice as wide (use general or additive)');
  }
  if (o.lrMin !== undefined && o.lrMin > o.lr) throw new UsageError(`--lr-min ${o.lrMin} is larger than --lr ${o.lr}: the schedule decays from --lr to --lr-min`);
  if (o.inputFeeding && o.attention === 'none') throw new UsageError('--input-feeding feeds the attentional state back, so it needs --attention other than none');
  checkOutputPath(o.out, '--out', { '--data': o.data });
  const src = await source(o);
  const be = await backendFrom(o);
  const every = never(o.evalEvery);
  const opts: Partial<Seq2SeqTrainOptions> = {
    cell: o.cell, hidden: o.hidden, embed: o.embed, layers: o.layers, bidirectional: Boolean(o.bidirectional), attention: o.attention,
    attentionSize: o.attentionSize ?? null, inputFeeding: Boolean(o.inputFeeding), optimizer: o.optimizer, lr: o.lr, lrMin: o.lrMin ?? null, schedule: o.schedule, clipNorm: o.clipNorm,
    batch: o.batch, seed: o.seed, steps: o.steps ?? null, seconds: o.time ?? (o.steps !== undefined ? null : d.seconds),
    evalEvery: every ? ('steps' in every ? { steps: every.steps } : { seconds: every.seconds }) : null,
  };
  const say = (s: string) => { if (!o.json) process.stderr.write(s); };
  const what = o.data !== undefined ? `${o.data}` : `task ${src.describe.task}${src.describe.task === 'dates' ? '' : ` --length ${o.length}`}`;
  say(`${what}: ${src.heldOut.length} held-out pairs, vocabularies ${src.srcVocab.size} → ${src.tgtVocab.size}; ${o.cell}, attention ${o.attention}; ${describeBackend(be)} backend\n`);
  const onScore = (p: Seq2SeqProgress) => {
    if (o.json) jsonLine({ event: p.final ? 'final' : 'score', step: p.step, seconds: p.seconds, train_loss: p.trainLoss, ...scoreJson(p.heldOut) });
    else say(`step ${p.step}, ${p.seconds.toFixed(1)} s: train loss ${f4(p.trainLoss)}, ${scoreText(p.heldOut)}\n`);
  };
  const r = trainSeq2Seq(be, src, opts, { onScore });
  atomicWriteFile(o.out, seq2seqBytes(r.model, src, { steps: r.steps, seconds: r.seconds, seed: o.seed }));
  if (o.json) {
    jsonLine({ summary: true, ...scoreJson(r.heldOut), steps: r.steps, seconds: r.seconds, parameters: r.model.params.size, backend: be.name, out: o.out });
  } else {
    out(`${scoreText(r.heldOut)} after ${r.steps} steps (${r.seconds.toFixed(1)} s); ${r.model.params.size} parameters; model saved to ${o.out}\n`);
  }
  if (r.diverged) throw new Error(`${r.diverged}; ${o.out} holds the last good parameters; try a lower --lr`);
}
