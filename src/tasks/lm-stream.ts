/**
 * A language model's stream data: one corpus of any size, read through a ByteSource as training
 * needs it. The training part is the bytes before the split point (issue 19's contract: byte
 * floor(size × (1 − valFraction)) moved to the next cut point), read by a StreamedBatcher; the
 * validation part is the rest, scored as one stream from the model's initial state (its first
 * valChars tokens when valChars > 0). Memory does not grow with the corpus. Platform-free.
 */
import type { Model } from '../nn/model.js';
import { fingerprint, type ByteSource } from '../data/byte-source.js';
import type { Tokenizer } from '../data/char-tokenizer.js';
import { splitPoint } from '../data/corpus-scan.js';
import { StreamedBatcher, type StreamedPosition } from '../data/streamed-batcher.js';
import { ReadBuffer, TokenCursor } from '../data/token-cursor.js';
import type { StreamBatch } from '../data/text.js';
import { evaluateTokens } from './lm-stream-eval.js';
import type { EvalResult } from './lm-eval.js';
import type { LmDataInfo } from './lm-resume.js';
import type { LmSettings } from './lm-settings.js';

/**
 * A corpus up to this size whose vocabulary came from elsewhere (a model, a sample) is read through
 * once before training, so that a character the model lacks stops the run before its first step (a
 * pass over it takes well under a second); a larger one is checked as it is read, flat in memory.
 */
export const CHECK_WHOLE_BYTES = 64 << 20;

export class LmStreamData {
  readonly batcher: StreamedBatcher;
  /** First byte of the validation part (= size without one). */
  readonly valStart: number;
  readonly info: LmDataInfo;

  /** `vocabFromData`: the tokenizer's vocabulary was read from this corpus, so every token is known. */
  constructor(readonly src: ByteSource, readonly tok: Tokenizer, private readonly settings: LmSettings, vocabFromData = false) {
    if (src.size === 0) throw new Error(`${src.name} is empty`);
    if (!vocabFromData && src.size <= CHECK_WHOLE_BYTES) {
      const all = new TokenCursor(src, tok, 0, src.size, new ReadBuffer());
      while (all.fill(1 << 16) > 0) all.advance(all.fill(1 << 16));
    }
    this.valStart = splitPoint(src, tok, settings.valFraction);
    if (settings.valFraction > 0 && (this.valStart < 2 || src.size - this.valStart < 2)) {
      throw new Error(`text of ${src.size} bytes is too short to hold out ${settings.valFraction} for validation`);
    }
    this.batcher = new StreamedBatcher(src, tok, { batch: settings.batch, seq: settings.seq, end: this.valStart });
    this.info = { mode: 'stream', bytes: src.size, hash: fingerprint(src) };
  }

  /** Bytes of the training and validation parts. */
  get trainBytes(): number { return this.valStart; }
  get valBytes(): number { return this.src.size - this.valStart; }

  next(): StreamBatch { return this.batcher.next(); }
  get position(): StreamedPosition { return this.batcher.position; }
  set position(p: StreamedPosition) { this.batcher.position = p; }
  get epochs(): number { return this.batcher.epochs; }

  /** Loss on the validation part, one stream from the initial state (null without one). */
  validate(model: Model): EvalResult | null {
    if (this.valStart >= this.src.size) return null;
    const cursor = new TokenCursor(this.src, this.tok, this.valStart, this.src.size, new ReadBuffer());
    return evaluateTokens(model, cursor, { chunk: this.settings.seq, maxTokens: this.settings.valChars });
  }

  /** Loss on the first batch × seq + 1 training tokens (a finiteness check when there is no validation part). */
  trainingLoss(model: Model): EvalResult {
    const { batch, seq } = this.settings;
    const cursor = new TokenCursor(this.src, this.tok, 0, this.valStart, new ReadBuffer());
    return evaluateTokens(model, cursor, { chunk: seq, maxTokens: batch * seq + 1 });
  }
}
