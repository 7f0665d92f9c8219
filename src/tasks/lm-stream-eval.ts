/**
 * The mean next-token loss of a text read by a TokenCursor as one stream from the model's initial
 * state, `chunk` tokens per forward pass with the state carried: evaluateStream with one stream,
 * without holding the text. Platform-free.
 */
import type { Model } from '../nn/model.js';
import type { TokenCursor } from '../data/token-cursor.js';
import { Rng } from '../util/rng.js';
import { checkOutputs } from './finite.js';
import { freeState, perChar, type EvalResult } from './lm-eval.js';

export interface TokenEvalOptions {
  chunk?: number;
  /** Score at most this many tokens (their first predicts the second...; 0 = all). */
  maxTokens?: number;
  /** Outputs past float32's useful range are an error naming the likely tensor (finite.ts). */
  checkOverflow?: boolean;
  /** Characters per token of the text, for the loss per character (default: measured as it is read). */
  charsPerToken?: number;
  /** Called after every chunk with the tokens predicted so far. */
  onProgress?(predicted: number): void;
}

export function evaluateTokens(model: Model, cursor: TokenCursor, opts: TokenEvalOptions = {}): EvalResult {
  const chunk = Math.max(1, opts.chunk ?? 256);
  const max = opts.maxTokens && opts.maxTokens > 0 ? opts.maxTokens : Infinity;
  const state = model.newState(1, new Rng(0));
  const ids = new Int32Array(chunk + 1);
  let sum = 0, count = 0, read = 1; // `read`: tokens used so far, the one every chunk starts from included
  try {
    for (;;) {
      const have = cursor.fill(chunk + 1);
      const T = Math.min(chunk, have - 1, max - read);
      if (T < 1) break;
      cursor.copy(T + 1, ids, 0, 1);
      cursor.advance(T);
      const l = model.forward({ T, B: 1, tokens: ids.subarray(0, T), targets: ids.subarray(1, T + 1) }, state, { train: false })!;
      if (opts.checkOverflow) checkOutputs(model.logits, 0, T * model.config.outputSize, model.params);
      sum += l.sum; count += l.count; read += T;
      opts.onProgress?.(count);
    }
  } finally {
    freeState(model, state);
  }
  if (count === 0) throw new Error('the text has fewer than 2 tokens: nothing to predict');
  // Per character at the characters per token of the text read (the scored tokens' own, up to the last piece).
  return perChar(sum / count, count, opts.charsPerToken ?? cursor.charsPerToken);
}
