/**
 * The playground's seq2seq model: a built-in task's pairs (data.ts's syntheticSource), the model of
 * train.ts's options, and training through the one Trainer and TrainLoop (train.ts's trainable view,
 * no budget: it trains until stopped), scored by metrics.ts and decoded greedily with its attention.
 * Platform-free (no DOM, no worker API): seq2seq-worker.ts drives it in slices, tests run it in Node.
 */
import type { Backend } from '../../src/kernels/backend.js';
import type { PairBatch } from '../../src/nn/seq2seq/batch.js';
import { greedy } from '../../src/nn/seq2seq/decode.js';
import { Seq2Seq } from '../../src/nn/seq2seq/model.js';
import { syntheticSource, type PairSource } from '../../src/tasks/seq2seq/data.js';
import { encodePairs, scorePairs, type Seq2SeqScores } from '../../src/tasks/seq2seq/metrics.js';
import { NO_BATCH, SEQ2SEQ_DEFAULTS, seq2seqConfig, trainable } from '../../src/tasks/seq2seq/train.js';
import { chars } from '../../src/tasks/seq2seq/vocab.js';
import { Optimizer } from '../../src/train/optim.js';
import { TrainLoop } from '../../src/train/loop.js';
import { constantSchedule } from '../../src/train/schedule.js';
import { Trainer } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';

export interface Seq2SeqSettings { task: string; length: number; hidden: number; batch: number; lr: number; seed: number }

export const SEQ2SEQ_PLAY_DEFAULTS: Seq2SeqSettings = { task: 'reverse', length: 5, hidden: 48, batch: 32, lr: 0.01, seed: 1 };

/** Held-out pairs scored at each readout (a steady estimate that costs a few updates). */
const SCORE_PAIRS = 100;

export interface Translation {
  input: string[];
  output: string[];
  /** Weights [output.length × input.length], row-major (each row sums to 1); null without attention. */
  attention: Float32Array | null;
}

export class Seq2SeqSession {
  private readonly loop: TrainLoop;

  private constructor(readonly model: Seq2Seq, readonly source: PairSource, readonly settings: Seq2SeqSettings) {
    const optimizer = new Optimizer(model.be, model.params, { name: 'adam', lr: settings.lr });
    const trainer = new Trainer<PairBatch>(trainable(model), optimizer, { clipNorm: SEQ2SEQ_DEFAULTS.clipNorm });
    this.loop = new TrainLoop((lr) => trainer.step(NO_BATCH, encodePairs(source, source.next(settings.batch)), lr), {
      budget: {}, schedule: constantSchedule(settings.lr), guard: { uniformLoss: Math.log(model.config.tgt_vocab) }, params: model.params,
    });
  }

  /** A new model for this task (a one-line error for a bad task, length or size). */
  static create(s: Seq2SeqSettings, be: Backend): Seq2SeqSession {
    if (!(Number.isInteger(s.hidden) && s.hidden >= 4 && s.hidden <= 512)) throw new Error(`hidden size must be an integer in 4..512, got ${s.hidden}`);
    const source = syntheticSource(s.task, s.length, s.seed, 200);
    const config = seq2seqConfig({ ...SEQ2SEQ_DEFAULTS, hidden: s.hidden, embed: Math.max(8, s.hidden >> 1) }, source.srcVocab.size, source.tgtVocab.size);
    const model = new Seq2Seq(config, be).init(new Rng(s.seed).fork());
    return new Seq2SeqSession(model, source, { ...s });
  }

  get step(): number { return this.loop.step; }

  /** One update; its loss (nats per target token). Throws TrainingDiverged (parameters back at the last good ones). */
  trainStep(): { step: number; loss: number } {
    const r = this.loop.next();
    return { step: this.loop.step, loss: r.loss };
  }

  /** Loss, exact match and token accuracy on the first held-out pairs, greedy decoding. */
  score(n = SCORE_PAIRS): Seq2SeqScores {
    return scorePairs(this.model, this.source, this.source.heldOut.slice(0, n), this.source.maxTarget);
  }

  /** Greedy output for `text` and the attention that produced it. */
  translate(text: string): Translation {
    const input = chars(text);
    if (input.length === 0) throw new Error('type an input to translate');
    const unknown = this.source.srcVocab.unknown(text);
    if (unknown.length) throw new Error(`the ${this.settings.task} task cannot read ${unknown.map((c) => JSON.stringify(c)).join(', ')}`);
    const src = this.source.srcVocab.encode(text), S = src.length;
    const g = greedy(this.model, src, Int32Array.of(S), 1, S, this.source.maxTarget + 1);
    const ids = g.ids[0];
    return { input, output: Array.from(ids, (id) => this.source.tgtVocab.decode([id])), attention: g.attention ? g.attention[0] : null };
  }
}
