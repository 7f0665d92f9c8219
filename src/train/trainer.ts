/**
 * The training step, as the textbook has it: forward over a chunk, backward through time, gradient
 * into a learned initial state, clipping (by value and/or by global norm; the norm before clipping is
 * reported), then one optimizer update. A loss or gradient that is not finite stops before the update,
 * so the parameters stay at their last good values.
 *
 * The trainer works over any network that reads a batch from a state and can take its gradients: the
 * recurrent Model, and the feed-forward baselines (whose state is empty: each batch stands alone).
 */
import type { Backend } from '../kernels/backend.js';
import type { Batch, RecurrentState } from '../nn/model.js';
import type { Params } from '../nn/params.js';
import type { Rng } from '../util/rng.js';
import { chunks } from './bptt.js';
import { clipByNorm, clipByValue, gradNorm } from './clip.js';
import type { Optimizer } from './optim.js';

export interface TrainerOptions {
  /** Global-norm clipping threshold (0 = off). */
  clipNorm?: number;
  /** Element-wise clipping threshold (0 = off). */
  clipValue?: number;
  /** Random generator for dropout. */
  rng?: Rng;
}

export interface StepStats {
  loss: number;
  /** Targets the loss averaged over. */
  count: number;
  /** ‖g‖ before clipping. */
  gradNorm: number;
}

export class DivergedError extends Error {}

/** What the trainer needs of a network (Model and Mlp both have it). */
export interface Trainable<S = RecurrentState> {
  readonly be: Backend;
  readonly params: Params;
  readonly grads: Params;
  readonly config: { readonly inputSize: number; readonly outputSize: number; readonly outputMode?: string };
  /** Forward over the batch from `state` (advanced to its end), returning the mean loss over its targets. */
  forward(batch: Batch, state: S, opts: { train: boolean; rng?: Rng }): { loss: number; count: number } | null;
  zeroGrads(): void;
  /** Gradients of the last forward(train) into `grads`, a learned initial state's included. */
  backward(): void;
}

export class Trainer<S = RecurrentState> {
  constructor(readonly model: Trainable<S>, readonly optimizer: Optimizer, readonly opts: TrainerOptions = {}) {
    const { clipNorm = 0, clipValue = 0 } = opts;
    if (!(clipNorm >= 0) || !(clipValue >= 0)) throw new Error('clipping thresholds must be non-negative');
  }

  /** One update on one chunk from `state` (which is advanced to the chunk's end). */
  step(batch: Batch, state: S, lr?: number): StepStats {
    const m = this.model, be = m.be, n = m.params.size;
    const loss = m.forward(batch, state, { train: true, rng: this.opts.rng });
    if (!loss) throw new Error('training needs targets');
    if (!Number.isFinite(loss.loss)) throw new DivergedError(`loss became ${loss.loss}`);
    m.zeroGrads();
    m.backward();
    const g = m.grads.data;
    const { clipNorm = 0, clipValue = 0 } = this.opts;
    const norm = gradNorm(be, g, n);
    if (!Number.isFinite(norm)) throw new DivergedError(`gradient norm became ${norm}`);
    if (clipValue > 0) clipByValue(be, g, n, clipValue);
    if (clipNorm > 0) clipByNorm(be, g, n, clipNorm);
    this.optimizer.update(g, lr);
    return { loss: loss.loss, count: loss.count, gradNorm: norm };
  }

  /** Train on a whole sequence batch with BPTT: full (k = 0) or truncated to chunks of k steps. */
  sequence(batch: Batch, state: S, k = 0, lr?: number): StepStats {
    const c = this.model.config;
    let sum = 0, count = 0, norm = 0;
    for (const chunk of chunks(batch, k, c.inputSize, c.outputSize, c.outputMode === 'every')) {
      const s = this.step(chunk, state, lr);
      sum += s.loss * s.count; count += s.count; norm = s.gradNorm;
    }
    return { loss: count ? sum / count : 0, count, gradNorm: norm };
  }

  /** Mean loss without updating (dropout off); the state advances. */
  evaluate(batch: Batch, state: S): { loss: number; count: number } {
    const l = this.model.forward(batch, state, { train: false });
    if (!l) throw new Error('evaluation needs targets');
    return { loss: l.loss, count: l.count };
  }
}
