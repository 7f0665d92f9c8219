/**
 * Train a seq2seq model: pairs from a PairSource, batches through the one Trainer (clipping,
 * non-finite checks, the optimizer) and the one TrainLoop (budget, schedule, divergence), and the
 * held-out scores (loss, exact match, token accuracy with greedy decoding) at a cadence and at the end.
 * Platform-free.
 */
import type { Backend } from '../../kernels/backend.js';
import type { Batch } from '../../nn/state.js';
import { makeSeq2SeqConfig, type AttentionKind, type Seq2SeqCell, type Seq2SeqConfig } from '../../nn/seq2seq/config.js';
import type { PairBatch } from '../../nn/seq2seq/batch.js';
import { Seq2Seq } from '../../nn/seq2seq/model.js';
import { TrainingDiverged, TrainLoop } from '../../train/loop.js';
import { Optimizer, type OptimizerName } from '../../train/optim.js';
import type { ScheduleName } from '../../train/schedule.js';
import { Trainer, type Trainable } from '../../train/trainer.js';
import { Rng } from '../../util/rng.js';
import type { PairSource } from './data.js';
import { encodePairs, scorePairs, type Seq2SeqScores } from './metrics.js';

export interface Seq2SeqTrainOptions {
  cell: Seq2SeqCell; hidden: number; embed: number; layers: number; bidirectional: boolean;
  attention: AttentionKind; attentionSize: number | null; inputFeeding: boolean;
  optimizer: OptimizerName; lr: number; clipNorm: number; batch: number; seed: number;
  /** Learning rate over the budget, from `lr` to `lrMin` (null: lr / 10). A late spike of Adam at a constant rate cost
   *  reverse --length 20 five points of exact match at the end of a 120 s run that had reached 0.998. */
  schedule: ScheduleName; lrMin: number | null;
  /** Budget: updates and/or seconds of training (null: no limit of that kind; one must be set). */
  steps: number | null; seconds: number | null;
  /** Held-out scoring cadence: every so many updates or seconds of training (null: only at the end). */
  evalEvery: { steps: number } | { seconds: number } | null;
}

/** The choices the commands offer (the model's own names). */
export const SEQ2SEQ_CELLS: Seq2SeqCell[] = ['lstm', 'gru', 'elman'];
export const ATTENTION_KINDS: AttentionKind[] = ['none', 'dot', 'general', 'additive'];

export const SEQ2SEQ_DEFAULTS: Seq2SeqTrainOptions = {
  cell: 'lstm', hidden: 64, embed: 32, layers: 1, bidirectional: false, attention: 'additive', attentionSize: null,
  inputFeeding: false, optimizer: 'adam', lr: 0.005, clipNorm: 5, schedule: 'cosine', lrMin: null, batch: 32, seed: 1, steps: null, seconds: 60,
  evalEvery: { seconds: 10 },
};

/** The model config of these options over these vocabularies (validated by the model: one line when wrong). */
export function seq2seqConfig(o: Seq2SeqTrainOptions, srcVocab: number, tgtVocab: number): Seq2SeqConfig {
  return makeSeq2SeqConfig({
    src_vocab: srcVocab, tgt_vocab: tgtVocab, embed: o.embed, hidden: o.hidden, cell: o.cell, layers: o.layers,
    bidirectional: o.bidirectional, attention: o.attention, attention_size: o.attentionSize, input_feeding: o.inputFeeding,
  });
}

export interface Seq2SeqProgress { step: number; seconds: number; trainLoss: number; heldOut: Seq2SeqScores; final: boolean }

export interface Seq2SeqRun {
  model: Seq2Seq;
  steps: number;
  seconds: number;
  heldOut: Seq2SeqScores;
  /** Why training stopped early (the parameters are the last good ones). */
  diverged?: string;
}

/**
 * The Trainer's view of a Seq2Seq: a pair batch is the whole input, so it travels as the trainer's
 * per-step argument (`state`), and the recurrent-model Batch the Trainer also passes is unused.
 */
export function trainable(m: Seq2Seq): Trainable<PairBatch> {
  return {
    be: m.be, params: m.params, grads: m.grads,
    config: { inputSize: m.config.src_vocab, outputSize: m.config.tgt_vocab },
    forward: (_unused, b, opts) => m.forward(b, { train: opts.train }),
    zeroGrads: () => m.zeroGrads(),
    backward: () => m.backward(),
  };
}
export const NO_BATCH: Batch = { T: 0, B: 0 };

export interface Seq2SeqHooks { now?: () => number; onScore?: (p: Seq2SeqProgress) => void }

/** Train on `source` under the budget; the model's last good parameters and its held-out scores. */
export function trainSeq2Seq(be: Backend, source: PairSource, opts: Partial<Seq2SeqTrainOptions>, hooks: Seq2SeqHooks = {}): Seq2SeqRun {
  const o: Seq2SeqTrainOptions = { ...SEQ2SEQ_DEFAULTS, ...opts };
  if (o.steps == null && o.seconds == null) throw new Error('give a budget: --steps or --time');
  const config = seq2seqConfig(o, source.srcVocab.size, source.tgtVocab.size);
  const rng = new Rng(o.seed);
  const model = new Seq2Seq(config, be).init(rng.fork());
  const optimizer = new Optimizer(be, model.params, { name: o.optimizer, lr: o.lr });
  const trainer = new Trainer<PairBatch>(trainable(model), optimizer, { clipNorm: o.clipNorm });
  const loop = new TrainLoop((lr) => trainer.step(NO_BATCH, encodePairs(source, source.next(o.batch)), lr), {
    budget: { steps: o.steps, seconds: o.seconds }, schedule: { kind: o.schedule, lr: o.lr, lrMin: o.lrMin ?? o.lr / 10, warmup: 0 },
    guard: { uniformLoss: Math.log(config.tgt_vocab) }, params: model.params, now: hooks.now,
  });
  const score = () => scorePairs(model, source, source.heldOut, source.maxTarget);
  let lossSum = 0, lossN = 0, lastEval = 0, diverged: string | undefined;
  const report = (final: boolean): Seq2SeqScores => {
    const heldOut = score();
    hooks.onScore?.({ step: loop.step, seconds: loop.elapsed, trainLoss: lossN ? lossSum / lossN : NaN, heldOut, final });
    lossSum = lossN = 0;
    return heldOut;
  };
  const due = (): boolean => {
    const e = o.evalEvery;
    if (!e) return false;
    const now = 'steps' in e ? loop.step : loop.elapsed, every = 'steps' in e ? e.steps : e.seconds;
    if (now - lastEval < every) return false;
    lastEval = now;
    return true;
  };
  try {
    while (!loop.done) {
      lossSum += loop.next().loss; lossN++;
      if (!loop.done && due()) report(false);
    }
  } catch (e) {
    if (!(e instanceof TrainingDiverged)) throw e;
    diverged = e.message;
  }
  const heldOut = report(true);
  return { model, steps: loop.step, seconds: loop.elapsed, heldOut, ...(diverged ? { diverged } : {}) };
}
