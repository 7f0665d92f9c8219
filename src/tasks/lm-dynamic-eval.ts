/**
 * Dynamic evaluation (Krause et al. 2018, "Dynamic Evaluation of Neural Sequence Models"): a text is
 * scored as one stream in segments of `seq` characters, and after each segment is scored the model
 * takes one gradient step on it, so that later text is predicted by weights adapted to the text
 * already read. Every character is scored before the model has learned from it: the score stays an
 * honest prediction of unseen text. The hidden state is carried from segment to segment as in
 * static evaluation; backpropagation stops at the segment's start (truncated BPTT).
 *
 * After segment i is scored, `steps` times (g = ∇θ of the segment's mean loss at the current θ; the
 * first step reuses the scoring pass, each further one re-reads the segment from the state it started in):
 *   sgd:  θ ← θ − η·g                    ;  θ ← θ + λ·(θa − θ) ;  θa ← θa + κ·(θ − θa)
 *   rms:  θ ← θ − η·g / (√MS + ε)        ;  (the same pull and anchor),  MS = mean of g² over the steps so far
 * The RMS rule is Krause et al.'s normalised step; they take MS from the training data, which an
 * evaluation of a model file does not have, so here it is the running mean over the text already
 * read (an RMSprop step whose α is (k−1)/k). The decay λ pulls the weights toward the anchor θa, so the
 * adaptation stays local to the recent text. In Krause et al. the anchor is the trained weights θ0
 * (κ = 0); with κ > 0 it follows the adapted weights slowly, so what holds for the whole text (the
 * held-out part of a book differs from the rest) is kept while the fast, local part still decays. To first
 * order in the rates nothing then pulls toward θ0: κ·(θ − θ0) + λ·(θa − θ0) is left alone by the pull and the
 * anchor's move, so the adaptation splits into slow weights that learn at η·κ/(κ+λ) and never decay and fast
 * weights (θ − θa) that decay by λ+κ per step: the two timescales of fast and slow weights.
 * κ > 0 is the default because it measured better (DYNAMIC_DEFAULTS); further steps per segment are an option.
 *
 * The model given is not changed: the steps are taken on a copy of it with the regularisers of
 * training off (dropout and the like are not part of the model's prediction). Platform-free.
 */
import { release, type Buf } from '../kernels/backend.js';
import { REGULARISATION_KEYS } from '../nn/config.js';
import { Model } from '../nn/model.js';
import { copyState, type Batch } from '../nn/state.js';
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
  /** λ, the pull toward the anchor (at first the trained weights) per step, in [0, 1]. */
  decay: number;
  rule: DynamicRule;
  /** Gradient steps per segment (1 when absent): each after the first re-reads the segment with the weights it has reached. */
  steps?: number;
  /** κ in [0, 1], how fast the anchor follows the adapted weights per step (0 when absent: the anchor is θ0). */
  anchor?: number;
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
 * (384 units, batch 8; README's table), the whole held-out tenth (118,157 characters, static 1.3960):
 * - one step per segment, anchor θ0 (Krause et al.'s form): the RMS rule at η 3e-4, λ 0.001, 20-character
 *   segments gained 0.0216 nats/char; η 2e-4, λ 3e-4: 0.0223; 10- and 30-character segments 0.019–0.021;
 *   η 1e-3, λ 0.03, 50 characters 0.0171; no decay 0.0202; MS from the training text (gradientMeanSquares)
 *   0.019–0.020, diverging at η 1e-3;
 * - a moving anchor: κ 1e-3 0.0241, 3e-4 0.0237, 3e-3 0.0226, 1e-2 0.0204;
 * - two steps per segment with the anchor: λ 3e-3, κ 1e-3 0.0268; κ 2e-3 0.0239; λ 4e-3, η 4e-4 0.0265;
 *   three steps with a fixed anchor 0.0210 (0.0285 on the first 40,000 characters, worse after). But one step
 *   at η 4.5e-4 (λ 3e-3, κ 1e-3) gains 0.0266 at half the cost: the anchor, not the steps, is the ingredient;
 * - with the anchor, shorter segments and larger η and λ together: one step, κ 1e-3, 10 characters:
 *   η 4.5e-4 λ 3e-3 0.0289; η 5e-4 λ 4e-3 0.0296; η 6e-4 λ 6e-3 0.0303; η 7e-4 λ 8e-3 0.0304 (the defaults);
 *   η 8e-4 λ 1e-2 0.0302; κ 1.5e-3 0.0306; 8 characters 0.0285–0.0289, 5 characters 0.0282, 12–15 0.0278–0.0287.
 * Checked on models not used to choose them: the 600-s model (512 units, static 1.3799) 0.0207 with the
 * former defaults, 0.0307 with these; five more default 180-s runs (seeds 7, 11, 12, 1, 1) 0.0296, 0.0330, 0.0314, 0.0325, 0.0303.
 * On top of these, not worth their cost (throwaway script): mixing in the static prediction (+0.0004–0.001 for
 * a second forward pass), a softmax temperature (none), per-tensor step sizes (±0.0005 or worse), Krause et
 * al.'s per-weight decay with the running MS (0.021–0.028), the SGD rule with the anchor (0.016). Later, on the
 * floors model and the default-seed run (0.0304 / 0.0325 with the defaults, whole held-out tenth): MS as an
 * exponential average (α 0.999: 0.0256 / 0.0279, the first steps too large; 0.9999: −0.0010 / 0.0034), momentum 0.5 at half
 * η (0.0293 / 0.0314), and backpropagating the segment's loss from 20 characters back (0.0305 / 0.0327 for twice
 * the cost; 30 back on the first 0.0304; the loss of the whole 20-character window instead: 0.0251 / 0.0276).
 */
export type DynamicSettings = Required<Pick<DynamicOptions, 'seq' | 'lr' | 'decay' | 'rule' | 'steps' | 'anchor'>>;

export const DYNAMIC_DEFAULTS: DynamicSettings = {
  seq: 10, lr: 7e-4, decay: 0.008, rule: 'rms', steps: 1, anchor: 0.001,
};

/** Why dynamic-evaluation options are unusable (one sentence), or null. */
export function dynamicProblem(o: DynamicOptions): string | null {
  if (o.steps !== undefined && !(Number.isSafeInteger(o.steps) && o.steps >= 1)) return `the steps per segment must be a positive integer, got ${o.steps}`;
  if (o.anchor !== undefined && !(Number.isFinite(o.anchor) && o.anchor >= 0 && o.anchor <= 1)) return `the anchor rate must be in [0, 1], got ${o.anchor}`;
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

/** The segment of the stream `ids` from token t0: up to `seq` tokens, each with the next one as its target. */
function segmentAt(ids: Int32Array, t0: number, seq: number): Batch {
  const T = Math.min(seq, ids.length - 1 - t0);
  return { T, B: 1, tokens: ids.subarray(t0, t0 + T), targets: ids.subarray(t0 + 1, t0 + T + 1) };
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
      m.forward(segmentAt(ids, t0, seq), state, { train: true });
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
  const anchor: Buf = be.alloc(n);
  be.copy(n, p, 0, anchor, 0);
  if (o.ms && o.ms.length !== n) throw new Error(`the mean squares have ${o.ms.length} entries, the model ${n} parameters`);
  const ms: Buf | null = o.rule === 'rms' ? be.alloc(n) : null;
  if (ms && o.ms) ms.set(o.ms);
  const eps = o.eps ?? 1e-8, steps = o.steps ?? 1, kappa = o.anchor ?? 0;
  // With MS from training text the pull toward the anchor is λ·min(RMS_i / mean RMS, 1/λ) per weight.
  const pull = o.ms && o.rule === 'rms' ? decayPerWeight(o.ms, o.decay) : null;
  const state = m.newState(1, new Rng(0));
  // Further steps re-read the segment from the state it started in (`start`) through `replay`.
  const start = steps > 1 ? m.newState(1, new Rng(0)) : null, replay = steps > 1 ? m.newState(1, new Rng(0)) : null;
  const L = ids.length - 1;
  let sum = 0, count = 0, taken = 0;
  try {
    for (let t0 = 0; t0 < L; t0 += o.seq) {
      const segment = segmentAt(ids, t0, o.seq), T = segment.T;
      if (start) copyState(be, state, start);
      const l = m.forward(segment, state, { train: true, logits: o.checkOverflow })!;
      if (o.checkOverflow) checkOutputs(m.logits, 0, T * m.config.outputSize, m.params);
      if (!Number.isFinite(l.loss)) throw new Error(`the loss became ${l.loss} at character ${t0} of dynamic evaluation: try a lower --dyn-lr`);
      sum += l.sum; count += l.count;
      o.onProgress?.(t0 + T, L);
      if (t0 + T >= L || (o.lr === 0 && o.decay === 0)) continue;
      // The segment is scored; now learn from it. The state carried on is the one the scoring pass left.
      for (let k = 0; k < steps; k++) {
        if (k > 0) { copyState(be, start!, replay!); m.forward(segment, replay!, { train: true }); }
        m.zeroGrads();
        m.backward();
        taken++;
        if (ms) be.rmspropStep(n, p, g, ms, o.lr, o.ms ? 1 : (taken - 1) / taken, eps, 0);
        else be.sgdStep(n, p, g, null, o.lr, 0, false, 0, true);
        if (pull) for (let i = 0; i < n; i++) p[i] += pull[i] * (anchor[i] - p[i]);
        else if (o.decay > 0) { be.scale(n, 1 - o.decay, p, 0); be.axpy(n, o.decay, anchor, 0, p, 0); }
        if (kappa > 0) { be.scale(n, 1 - kappa, anchor, 0); be.axpy(n, kappa, p, 0, anchor, 0); }
        m.params.touch();
      }
    }
  } finally {
    freeState(m, state);
    if (start) freeState(m, start);
    if (replay) freeState(m, replay);
    release(be, ms ? [anchor, ms] : [anchor]);
  }
  return perChar(sum / count, count, o.charsPerToken ?? 1);
}
