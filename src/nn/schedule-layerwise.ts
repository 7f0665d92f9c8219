/**
 * Layer by layer (every stack without output feedback): each layer runs over the whole chunk before
 * the one above it (Stack.forwardLayers), so its input projection, its weight gradients and the decoder
 * are each one large matrix product over all T·B rows. Backward walks the layers top-down, each through
 * time. The decoder reads every step, or each sequence's final state ('last').
 */
import { release, type Backend, type Buf } from '../kernels/backend.js';
import type { OutputMode } from './config.js';
import type { ChunkIO, Schedule } from './schedule.js';
import type { Stack } from './stack.js';

export class LayerwiseSchedule implements Schedule {
  readonly logitsEveryStep: boolean;
  /** 'last': each sequence's final features [B×D·H] (forward: at its real last step) and their gradient. */
  private feat: Buf;
  private dfeat: Buf;

  constructor(readonly be: Backend, readonly outputMode: OutputMode) {
    this.logitsEveryStep = outputMode === 'every';
    this.feat = this.dfeat = be.alloc(0);
  }

  forward(io: ChunkIO): void {
    const s = io.stack, T = s.T, B = s.B, L = s.layers.length, W = s.D * s.H;
    s.forwardLayers();
    if (io.blocked) return;
    if (this.logitsEveryStep) { const f = s.headInput(); io.decoder.forward(T * B, f.buf, f.off, W, io.logits, 0); }
    else {
      this.gatherFinal(io);
      io.decoder.forward(B, this.feat, 0, W, io.logits, 0);
    }
  }

  backward(io: ChunkIO): void {
    const s = io.stack, T = s.T, B = s.B, L = s.layers.length, W = s.D * s.H;
    if (io.blocked) {
      io.blocked.backward(io.decoder.linearGrad(), s.gradTarget(L - 1, L));
      s.spreadGrad(L - 1, L);
    } else if (this.logitsEveryStep) {
      // Through the output dropout when there is one (the head reads the layers' output as the input of "layer" L).
      const f = s.headInput();
      io.decoder.backwardParams(T * B, io.dlogits, 0, f.buf, f.off, W);
      const g = s.gradTarget(L - 1, L);
      io.decoder.backwardInput(T * B, io.dlogits, 0, g.buf, g.off, g.ld, g.beta);
      s.spreadGrad(L - 1, L);
    } else {
      io.decoder.backwardParams(B, io.dlogits, 0, this.feat, 0, W);
      io.decoder.backwardInput(B, io.dlogits, 0, this.dfeat, 0, W, 0);
      this.scatterFinal(io);
    }
    s.backwardLayers();
  }

  /** Features for a target at the end: each direction's final state (forward: at the real last step). */
  private gatherFinal(io: ChunkIO): void {
    const s = io.stack, H = s.H, B = s.B, W = s.D * H;
    if (this.feat.length < B * W) {
      release(this.be, [this.feat, this.dfeat]);
      this.feat = this.be.alloc(B * W);
      this.dfeat = this.be.alloc(B * W);
    }
    for (let d = 0; d < s.D; d++) {
      const layer = s.top[d];
      for (let b = 0; b < B; b++) this.be.copy(H, layer.hs, layer.hOff(layer.step(this.lastStep(io, b, d))) + b * H, this.feat, b * W + d * H);
    }
  }

  /** The features' gradient back into the final states it came from. */
  private scatterFinal(io: ChunkIO): void {
    const s = io.stack, H = s.H, B = s.B, W = s.D * H;
    for (let d = 0; d < s.D; d++) {
      const layer = s.top[d];
      for (let b = 0; b < B; b++) this.be.axpy(H, 1, this.dfeat, b * W + d * H, layer.dhs, layer.hOff(layer.step(this.lastStep(io, b, d))) + b * H);
    }
  }

  /** The time whose state ends sequence b in direction d: its real last step forward, step 0 in reverse. */
  private lastStep(io: ChunkIO, b: number, d: number): number {
    return d === 0 ? (io.lengths ? io.lengths[b] - 1 : io.stack.T - 1) : 0;
  }
}
