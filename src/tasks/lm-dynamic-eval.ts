/**
 * Dynamic evaluation (Krause et al. 2018, "Dynamic Evaluation of Neural Sequence Models"): a text is
 * scored as one stream in segments of `seq` characters, and after each segment is scored the model
 * takes one gradient step on it, so that later text is predicted by weights adapted to the text
 * already read. Every character is scored before the model has learned from it: the score stays an
 * honest prediction of unseen text. The hidden state is carried from segment to segment as in
 * static evaluation; backpropagation stops at the segment's start (truncated BPTT).
 *
 * After segment i, with g = ∇θ of its mean loss and θ0 the trained weights:
 *   sgd:  θ ← θ − η·g                    + λ·(θ0 − θ)
 *   rms:  θ ← θ − η·g / (√MS + ε)        + λ·(θ0 − θ),   MS = mean of g² over the segments scored so far
 * The RMS rule is Krause et al.'s normalised step; they take MS from the training data, which an
 * evaluation of a model file does not have, so here it is the running mean over the text already
 * read (an RMSprop step whose α is (i−1)/i). The decay λ pulls the weights back toward θ0, so the
 * adaptation stays local to the recent text.
 *
 * The model given is not changed: the steps are taken on a copy of it with the regularisers of
 * training off (dropout and the like are not part of the model's prediction). Platform-free.
 */
import { release, type Buf } from '../kernels/backend.js';
import { REGULARISATION_KEYS } from '../nn/config.js';
import { Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import { checkOutputs } from './finite.js';
import { freeState, perChar, type EvalResult } from './lm-eval.js';

export const DYNAMIC_RULES = ['sgd', 'rms'] as const;
export type DynamicRule = (typeof DYNAMIC_RULES)[number];

export interface DynamicOptions {
  /** Characters per segment: scored, then learned from. */
  seq: number;
  /** η. */
  lr: number;
  /** λ, the pull toward the trained weights per segment, in [0, 1]. */
  decay: number;
  rule: DynamicRule;
  /** ε of the RMS rule. */
  eps?: number;
  /** Outputs past float32's useful range are an error naming the likely tensor (finite.ts). */
  checkOverflow?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Characters per token of the text (1 for character models): the result also gives the loss per character. */
  charsPerToken?: number;
}

/**
 * Defaults of `recur eval --dynamic`, from bench/quality/dynamic.ts on a default Moby Dick model
 * (README's table): on the first 30,000 held-out characters the RMS rule at η 7e-4…1e-3, λ 0.02…0.03,
 * 50-character segments gained 0.023 nats/char (SGD at best 0.015; no decay: none); on the whole
 * held-out tenth these defaults gained 0.016.
 */
export const DYNAMIC_DEFAULTS: { seq: number; lr: number; decay: number; rule: DynamicRule } = { seq: 50, lr: 1e-3, decay: 0.03, rule: 'rms' };

/** Why dynamic-evaluation options are unusable (one sentence), or null. */
export function dynamicProblem(o: DynamicOptions): string | null {
  if (!(Number.isSafeInteger(o.seq) && o.seq >= 1)) return `the segment length must be a positive integer, got ${o.seq}`;
  if (!(Number.isFinite(o.lr) && o.lr >= 0)) return `the dynamic learning rate must be a non-negative number, got ${o.lr}`;
  if (!(Number.isFinite(o.decay) && o.decay >= 0 && o.decay <= 1)) return `the decay must be in [0, 1], got ${o.decay}`;
  if (!DYNAMIC_RULES.includes(o.rule)) return `the rule must be one of ${DYNAMIC_RULES.join(', ')}, got ${String(o.rule)}`;
  return null;
}

/**
 * A trainable copy of `model` without its training regularisers (dropouts, weight drop, AR/TAR: the
 * step follows the likelihood of the text alone); its parameters are θ0 until the first step.
 */
function adaptableCopy(model: Model): Model {
  const off = Object.fromEntries(REGULARISATION_KEYS.map((k) => [k, 0]));
  const copy = new Model({ ...model.config, ...off }, model.be);
  copy.params.data.set(model.params.data);
  copy.params.touch();
  return copy;
}

/**
 * Mean next-character loss of `ids` read as one stream from the model's initial state, the model
 * learning from each segment after scoring it. With lr = 0 and decay = 0 it is static evaluation
 * (lm-eval.ts evaluateStream) at chunk `seq`.
 */
export function evaluateDynamic(model: Model, ids: Int32Array, o: DynamicOptions): EvalResult {
  const problem = dynamicProblem(o);
  if (problem) throw new Error(problem);
  if (ids.length < 2) throw new Error(`a text of ${ids.length} character${ids.length === 1 ? '' : 's'} has nothing to predict; it needs at least 2`);
  const m = adaptableCopy(model), be = m.be, n = m.params.size, p = m.params.data, g = m.grads.data;
  const theta0: Buf = be.alloc(n);
  be.copy(n, p, 0, theta0, 0);
  const ms: Buf | null = o.rule === 'rms' ? be.alloc(n) : null;
  const eps = o.eps ?? 1e-8;
  const state = m.newState(1, new Rng(0));
  const L = ids.length - 1;
  let sum = 0, count = 0, segments = 0;
  try {
    for (let t0 = 0; t0 < L; t0 += o.seq) {
      const T = Math.min(o.seq, L - t0);
      const l = m.forward({ T, B: 1, tokens: ids.subarray(t0, t0 + T), targets: ids.subarray(t0 + 1, t0 + T + 1) }, state, { train: true, logits: o.checkOverflow })!;
      if (o.checkOverflow) checkOutputs(m.logits, 0, T * m.config.outputSize, m.params);
      if (!Number.isFinite(l.loss)) throw new Error(`the loss became ${l.loss} at character ${t0} of dynamic evaluation: try a lower --dyn-lr`);
      sum += l.sum; count += l.count;
      o.onProgress?.(t0 + T, L);
      if (t0 + T >= L || (o.lr === 0 && o.decay === 0)) continue;
      // The segment is scored; now learn from it.
      m.zeroGrads();
      m.backward();
      segments++;
      if (ms) be.rmspropStep(n, p, g, ms, o.lr, (segments - 1) / segments, eps, 0);
      else be.sgdStep(n, p, g, null, o.lr, 0, false, 0, true);
      if (o.decay > 0) { be.scale(n, 1 - o.decay, p, 0); be.axpy(n, o.decay, theta0, 0, p, 0); }
      m.params.touch();
    }
  } finally {
    freeState(m, state);
    release(be, ms ? [theta0, ms] : [theta0]);
  }
  return perChar(sum / count, count, o.charsPerToken ?? 1);
}
