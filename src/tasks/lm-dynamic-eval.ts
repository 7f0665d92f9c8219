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
  /**
   * MS of the RMS rule taken from other text, as Krause et al. take it from the training data
   * (gradientMeanSquares): fixed for the whole evaluation, and the decay of each weight is scaled by
   * its RMS relative to the mean RMS (their "global prior": weights that the data moves a lot are
   * pulled back harder). Without it MS is the running mean over the text already scored.
   */
  ms?: Float32Array;
}

/**
 * Defaults of `recur eval --dynamic`, from bench/quality/dynamic.ts on the default 180-s Moby Dick model
 * (384 units, batch 8; README's table), the whole held-out tenth (119,031 characters, static 1.3898):
 * the RMS rule at η 3e-4, λ 0.001, 20-character segments gained 0.0221 nats/char; η 2e-4, λ 3e-4: 0.0223;
 * 10- and 30-character segments 0.019–0.021; the former defaults (η 1e-3, λ 0.03, 50) 0.0171; no decay
 * 0.0202; MS from the training text (Krause et al.'s form, gradientMeanSquares) 0.019–0.020 and it
 * diverged at η 1e-3 on 20-character segments.
 */
export const DYNAMIC_DEFAULTS: { seq: number; lr: number; decay: number; rule: DynamicRule } = { seq: 20, lr: 3e-4, decay: 0.001, rule: 'rms' };

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

/** λ·min(RMS_i / mean RMS, 1/λ): Krause et al.'s decay toward the trained weights, per weight. */
function decayPerWeight(ms: Float32Array, decay: number): Float32Array {
  const n = ms.length, out = new Float32Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += Math.sqrt(ms[i]);
  mean /= n;
  if (!(mean > 0)) return out.fill(decay);
  for (let i = 0; i < n; i++) out[i] = decay * Math.min(Math.sqrt(ms[i]) / mean, 1 / decay);
  return out;
}

/**
 * The mean over segments of `seq` tokens of each parameter's squared gradient, `ids` read as one
 * stream (state carried, backpropagation cut at each segment, no step taken): the MS of Krause et
 * al.'s RMS rule, from the training text.
 */
export function gradientMeanSquares(model: Model, ids: Int32Array, seq: number): Float32Array {
  if (!(Number.isSafeInteger(seq) && seq >= 1)) throw new Error(`the segment length must be a positive integer, got ${seq}`);
  const m = adaptableCopy(model), n = m.params.size, g = m.grads.data;
  const sum = new Float64Array(n);
  const state = m.newState(1, new Rng(0));
  const L = ids.length - 1;
  if (L < 1) throw new Error('the text for the mean squares has nothing to predict; it needs at least 2 tokens');
  let segments = 0;
  try {
    for (let t0 = 0; t0 < L; t0 += seq) {
      const T = Math.min(seq, L - t0);
      m.forward({ T, B: 1, tokens: ids.subarray(t0, t0 + T), targets: ids.subarray(t0 + 1, t0 + T + 1) }, state, { train: true });
      m.zeroGrads();
      m.backward();
      for (let i = 0; i < n; i++) sum[i] += g[i] * g[i];
      segments++;
    }
  } finally {
    freeState(m, state);
  }
  const ms = new Float32Array(n);
  for (let i = 0; i < n; i++) ms[i] = sum[i] / segments;
  return ms;
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
  if (o.ms && o.ms.length !== n) throw new Error(`the mean squares have ${o.ms.length} entries, the model ${n} parameters`);
  const ms: Buf | null = o.rule === 'rms' ? be.alloc(n) : null;
  if (ms && o.ms) ms.set(o.ms);
  const eps = o.eps ?? 1e-8;
  // With MS from training text the pull toward θ0 is λ·min(RMS_i / mean RMS, 1/λ) per weight.
  const pull = o.ms && o.rule === 'rms' ? decayPerWeight(o.ms, o.decay) : null;
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
      if (ms) be.rmspropStep(n, p, g, ms, o.lr, o.ms ? 1 : (segments - 1) / segments, eps, 0);
      else be.sgdStep(n, p, g, null, o.lr, 0, false, 0, true);
      if (pull) for (let i = 0; i < n; i++) p[i] += pull[i] * (theta0[i] - p[i]);
      else if (o.decay > 0) { be.scale(n, 1 - o.decay, p, 0); be.axpy(n, o.decay, theta0, 0, p, 0); }
      m.params.touch();
    }
  } finally {
    freeState(m, state);
    release(be, ms ? [theta0, ms] : [theta0]);
  }
  return perChar(sum / count, count, o.charsPerToken ?? 1);
}
