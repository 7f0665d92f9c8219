/**
 * Which weights a language-model run scores and saves. Training moves the raw weights θ; with
 * --average, validation and samples read the averaged weights θ̄ (train/average.ts); and the model
 * file holds the weights that scored best on validation (train/best.ts), so a long budget cannot
 * leave the file worse through overfitting. Without validation text the file holds the last weights
 * (averaged with --average).
 *
 * For an exact --resume the file also keeps what training continues from: θ and θ̄ as extra
 * per-parameter tensors beside the optimizer's moments (`optim.train_weights.<name>`,
 * `optim.average.<name>`), and in the `training` entry `weights: {best: {loss, step} | null,
 * average_count}`. A file written before these existed holds θ itself and resumes as before.
 *
 * Platform-free. Every refusal of a file is a ModelFileError with one line.
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { Checkpoint } from '../io/checkpoint.js';
import type { OptimizerSlots } from '../io/model-file.js';
import { ModelFileError } from '../io/safetensors.js';
import type { Params } from '../nn/params.js';
import { WeightAverage } from '../train/average.js';
import { BestSnapshot } from '../train/best.js';
import type { Optimizer } from '../train/optim.js';
import type { EvalResult } from './lm-eval.js';

const RAW = 'train_weights', AVG = 'average';

/** The `weights` entry of the resume record. */
export interface LmWeightsRecord { best: { loss: number; step: number } | null; average_count: number | null }

export class LmWeights {
  readonly average: WeightAverage | null;
  private readonly best: BestSnapshot<{ loss: number; step: number }>;

  constructor(readonly be: Backend, readonly params: Params, average: boolean) {
    this.average = average ? new WeightAverage(be, params) : null;
    this.best = new BestSnapshot(params, (a, b) => a.loss < b.loss);
  }

  /** After each update of the raw weights. */
  afterUpdate(): void { this.average?.update(); }

  /** Run `fn` on the weights that are scored (θ̄ with --average, else θ). */
  scored<T>(fn: () => T): T { return this.average ? this.average.with(fn) : fn(); }

  /** Validate the scored weights; a finite loss better than the best so far makes them the best. */
  validate(step: number, evaluate: () => EvalResult | null): EvalResult | null {
    return this.scored(() => {
      const r = evaluate();
      if (r && Number.isFinite(r.loss)) this.best.offer({ loss: r.loss, step });
      return r;
    });
  }

  /** The best validation so far. */
  get bestScore(): { loss: number; step: number } | null { return this.best.score; }

  /** Run `fn` with the file's weights in the parameter buffer (the best, else the scored ones), θ back afterwards. */
  inFileWeights<T>(fn: () => T): T {
    if (!this.best.score) return this.scored(fn);
    return this.withRawCopy((raw) => this.bestIn(raw, fn));
  }

  /** Run `fn` on the file's weights with the slots to save beside them: the optimizer's moments, θ and θ̄. */
  inFile<T>(optimizer: Optimizer, fn: (slots: OptimizerSlots) => T): T {
    // θ is copied out first (once: the same copy puts it back): the parameter buffer will hold the file's
    // weights while fn encodes.
    return this.withRawCopy((raw) => {
      const encode = (): T => {
        // θ̄ is read where it is now: in the parameter buffer while the averaged weights are swapped in.
        const slots: Record<string, Buf> = { ...optimizer.slots, [RAW]: raw };
        if (this.average) slots[AVG] = this.average.mean;
        return fn({ params: this.params, slots, slotNames: () => Object.keys(slots) });
      };
      return this.best.score ? this.bestIn(raw, encode) : this.scored(encode);
    });
  }

  /** θ copied into a temporary buffer for `fn`, released afterwards. */
  private withRawCopy<T>(fn: (raw: Buf) => T): T {
    const n = this.params.size, raw = this.be.alloc(n);
    this.be.copy(n, this.params.data, 0, raw, 0);
    try {
      return fn(raw);
    } finally {
      release(this.be, [raw]);
    }
  }

  /** The best weights in the parameter buffer for `fn`, then θ back from `raw`. */
  private bestIn<T>(raw: Buf, fn: () => T): T {
    try {
      this.best.restore();
      return fn();
    } finally {
      this.be.copy(this.params.size, raw, 0, this.params.data, 0);
      this.params.touch();
    }
  }

  record(): LmWeightsRecord {
    return { best: this.best.score, average_count: this.average ? this.average.count : null };
  }

  /**
   * Resume: the parameter buffer holds the file's weights (the best, if it has one); take them as the
   * best, then put back θ and θ̄ from the file.
   */
  restore(ck: Checkpoint, what = 'model file'): void {
    const bad = (why: string): never => { throw new ModelFileError(`${what} training state cannot be resumed: ${why}`); };
    const w = ck.training?.weights as Partial<LmWeightsRecord> | undefined;
    if (w === undefined) return; // written before the record had weights: the file holds θ itself
    if (typeof w !== 'object' || w === null) return bad('the weights entry is invalid');
    const best = w.best;
    if (best !== null && best !== undefined) {
      if (typeof best !== 'object' || !Number.isFinite(best.loss) || !Number.isSafeInteger(best.step) || best.step < 0) bad('the best validation score is invalid');
      this.best.offer({ loss: best.loss, step: best.step });
    }
    this.read(ck, RAW, this.params.data, bad);
    this.params.touch();
    if (this.average) {
      const k = w.average_count;
      if (!Number.isSafeInteger(k) || k! < 0) bad('the averaged-update count is invalid');
      this.read(ck, AVG, this.average.avg, bad);
      this.average.count = k!;
    }
  }

  private read(ck: Checkpoint, slot: string, into: Buf, bad: (why: string) => never): void {
    for (const v of this.params.views) {
      const t = ck.optim.get(`${slot}.${v.name}`);
      if (!t) bad(`the file has no ${slot === RAW ? 'training weights' : 'averaged weights'} for ${v.name}`);
      for (let i = 0; i < t!.data.length; i++) if (!Number.isFinite(t!.data[i])) bad(`the ${slot} tensor for ${v.name} is not finite`);
      into.set(t!.data, v.offset);
    }
  }
}
