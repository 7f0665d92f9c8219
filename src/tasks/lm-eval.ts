/**
 * Scoring a character model: the mean next-character loss of a text read as one stream (or as several
 * streams side by side, for quick validation), of one-per-line sequences, and the spectral radius of
 * the recurrent weights that training logs. Platform-free.
 */
import { release } from '../kernels/backend.js';
import type { Model, RecurrentState } from '../nn/model.js';
import { SequenceBatcher, type Vocab } from '../data/text.js';
import { eigenvalues, spectralRadius } from '../analysis/spectrum.js';
import { Rng } from '../util/rng.js';
import { checkOutputs } from './finite.js';

export const LN2 = Math.LN2;
export const bitsPerChar = (nats: number): number => nats / LN2;

/**
 * `loss` is nats per token, `tokens` the tokens predicted; `chars` the characters they hold (the text's
 * characters per token × tokens: equal to `tokens` for character models), `loss_per_char` nats per
 * character (= loss × tokens / chars) and `bpc` the same in bits: the numbers that compare tokenizers.
 */
export interface EvalResult { loss: number; bpc: number; chars: number; tokens: number; loss_per_char: number }

/** A mean loss per token over `tokens` tokens, also per character at `charsPerToken` (1 for character models). */
export function perChar(loss: number, tokens: number, charsPerToken = 1): EvalResult {
  const lossPerChar = loss / charsPerToken;
  return { loss, bpc: bitsPerChar(lossPerChar), chars: charsPerToken === 1 ? tokens : Math.round(tokens * charsPerToken), tokens, loss_per_char: lossPerChar };
}

/** Give a temporary state's buffers back to the backend (WASM memory is not garbage-collected). */
export function freeState(model: Model, st: RecurrentState): void {
  release(model.be, [...st.h, ...st.c, ...(st.fb ? [st.fb] : [])]);
}

/**
 * Mean next-character loss of a text (ids) under the model. With one stream (the default) it is the
 * whole text read from the model's initial state, each character predicted from all those before it.
 * With B streams the text is cut into B contiguous pieces read side by side (faster; each piece starts
 * from the initial state; up to B−1 characters at the end are not scored). With `checkOverflow`, outputs
 * past float32's useful range are an error naming the likely tensor (finite.ts) instead of a meaningless
 * score; training's validation leaves it off and judges divergence by the loss itself.
 */
export function evaluateStream(model: Model, ids: Int32Array, opts: { streams?: number; chunk?: number; checkOverflow?: boolean; charsPerToken?: number; onProgress?: (done: number, total: number) => void } = {}): EvalResult {
  if (ids.length < 2) throw new Error(`a text of ${ids.length} character${ids.length === 1 ? '' : 's'} has nothing to predict; it needs at least 2`);
  const chunk = Math.max(1, opts.chunk ?? 256);
  const B = Math.max(1, Math.min(opts.streams ?? 1, ids.length - 1));
  const L = Math.floor((ids.length - 1) / B);
  const state = model.newState(B, new Rng(0));
  const T0 = Math.min(chunk, L);
  const tokens = new Int32Array(T0 * B), targets = new Int32Array(T0 * B);
  let sum = 0, count = 0;
  for (let t0 = 0; t0 < L; t0 += chunk) {
    const T = Math.min(chunk, L - t0);
    let tk: Int32Array, tg: Int32Array;
    if (B === 1) { tk = ids.subarray(t0, t0 + T); tg = ids.subarray(t0 + 1, t0 + T + 1); }
    else {
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
        tokens[t * B + b] = ids[b * L + t0 + t];
        targets[t * B + b] = ids[b * L + t0 + t + 1];
      }
      tk = tokens.subarray(0, T * B); tg = targets.subarray(0, T * B);
    }
    const l = model.forward({ T, B, tokens: tk, targets: tg }, state, { train: false, logits: opts.checkOverflow })!;
    if (opts.checkOverflow) checkOutputs(model.logits, 0, T * B * model.config.outputSize, model.params);
    sum += l.sum; count += l.count;
    opts.onProgress?.(t0 + T, L);
  }
  freeState(model, state);
  return perChar(sum / count, count, opts.charsPerToken);
}

/** Mean loss per predicted character over sequences (each read from the initial state, ending with the marker). */
export function evaluateLines(model: Model, vocab: Vocab, lines: readonly string[], batch = 32, opts: { checkOverflow?: boolean } = {}): EvalResult {
  if (lines.length === 0) throw new Error('no lines to evaluate');
  const batcher = new SequenceBatcher(lines, { batch: Math.min(batch, lines.length), seed: 0, vocab });
  let sum = 0, count = 0;
  for (let i = 0; i < batcher.batchesPerEpoch; i++) {
    const b = batcher.next();
    const state = model.newState(b.batch, new Rng(0));
    const l = model.forward({ T: b.steps, B: b.batch, tokens: b.inputs, targets: b.targets, lengths: b.lengths }, state, { train: false, logits: opts.checkOverflow })!;
    freeState(model, state);
    if (opts.checkOverflow) checkOutputs(model.logits, 0, b.steps * b.batch * model.config.outputSize, model.params);
    sum += l.sum; count += l.count;
  }
  return perChar(sum / count, count);
}

/**
 * Spectral radius of layer 0's recurrent matrix: of W_hh [H×H] for Elman cells; for LSTM and GRU, of
 * each gate's [H×H] block of W_hh (PyTorch order i,f,g,o or r,z,n), reporting the largest. Costs O(H³)
 * per block. Null for a pure Jordan cell (no W_hh).
 */
export function recurrentSpectrum(model: Model): { radius: number; gates: number[] } | null {
  const name = 'rnn.weight_hh_l0';
  if (!model.params.has(name)) return null;
  const H = model.config.hidden, W = model.params.get(name), G = W.length / (H * H);
  const gates: number[] = [];
  for (let g = 0; g < G; g++) gates.push(spectralRadius(eigenvalues(Float64Array.from(W.subarray(g * H * H, (g + 1) * H * H)), H)));
  return { radius: Math.max(...gates), gates };
}

