/**
 * A language model's stream data: one corpus of any size, read through a ByteSource as training
 * needs it. The training part is the bytes before the split point (issue 19's contract: byte
 * floor(size × (1 − valFraction)) moved to the next cut point), read by a StreamedBatcher; the
 * validation part is the rest, scored as one stream from the model's initial state (its first
 * valChars tokens when valChars > 0). Memory does not grow with the corpus. Platform-free.
 */
import type { Model } from '../nn/model.js';
import { fingerprint, type ByteSource } from '../data/byte-source.js';
import type { Tokenizer } from '../data/tokens/tokenizer.js';
import { scanRanges, splitPoint } from '../data/corpus-scan.js';
import { StreamedBatcher, type StreamedPosition } from '../data/streamed-batcher.js';
import { nextCut, ReadBuffer, TokenCursor } from '../data/token-cursor.js';
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

/** Bytes read (in pieces spread evenly) to measure characters per token of a part larger than CHECK_WHOLE_BYTES. */
const MEASURE_SAMPLE = 4 << 20;

/**
 * Characters per token of bytes [start, end): what turns a loss per token into one per character. Read
 * whole up to CHECK_WHOLE_BYTES (which also checks it), else from an even sample; 1 for char tokens.
 */
function charsPerToken(src: ByteSource, tok: Tokenizer, start: number, end: number): number {
  if (tok.kind === 'char' || end <= start) return 1;
  const size = end - start, scratch = new ReadBuffer();
  const ranges = size <= CHECK_WHOLE_BYTES ? [[0, size]] : scanRanges(size, MEASURE_SAMPLE);
  let chars = 0, tokens = 0;
  for (const [a, b] of ranges) {
    const from = nextCut(src, tok, start + a, end, scratch), to = nextCut(src, tok, start + b, end, scratch);
    if (to <= from) continue;
    const cursor = new TokenCursor(src, tok, from, to, scratch);
    for (let n = cursor.fill(1 << 16); n > 0; n = cursor.fill(1 << 16)) cursor.advance(n);
    chars += cursor.charsRead;
    tokens += cursor.tokensRead;
  }
  return tokens > 0 ? chars / tokens : 1;
}

export class LmStreamData {
  readonly batcher: StreamedBatcher;
  /** First byte of the validation part (= size without one). */
  readonly valStart: number;
  readonly info: LmDataInfo;
  /** Characters per token of the training and validation parts (1 for char tokens). */
  readonly trainCharsPerToken: number;
  readonly valCharsPerToken: number;

  /** `vocabFromData`: the tokenizer's vocabulary was read from this corpus, so every token is known. */
  constructor(readonly src: ByteSource, readonly tok: Tokenizer, private readonly settings: LmSettings, vocabFromData = false) {
    if (src.size === 0) throw new Error(`${src.name} is empty`);
    if (!vocabFromData && tok.kind === 'char' && src.size <= CHECK_WHOLE_BYTES) {
      const all = new TokenCursor(src, tok, 0, src.size, new ReadBuffer());
      while (all.fill(1 << 16) > 0) all.advance(all.fill(1 << 16));
    }
    this.valStart = splitPoint(src, tok, settings.valFraction);
    if (settings.valFraction > 0 && (this.valStart < 2 || src.size - this.valStart < 2)) {
      throw new Error(`text of ${src.size} bytes is too short to hold out ${settings.valFraction} for validation`);
    }
    this.trainCharsPerToken = charsPerToken(src, tok, 0, this.valStart);
    this.valCharsPerToken = charsPerToken(src, tok, this.valStart, src.size);
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
