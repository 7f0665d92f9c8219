/**
 * Step by step (a stack whose layer 0 is fed the model's previous output: Jordan networks). At every
 * step the whole stack and the decoder run once, and the output, through φ (jordan.ts), becomes layer
 * 0's feedback input at the next step. Backward walks the same way in reverse: the feedback's gradient
 * goes back through φ into the previous step's logits, and from there through the decoder.
 */
import type { Backend } from '../kernels/backend.js';
import type { HeadType, JordanFeed } from './config.js';
import { feedbackBackward, feedbackForward, feedbackFromTargets } from './jordan.js';
import type { ChunkIO, Schedule } from './schedule.js';

export class StepwiseSchedule implements Schedule {
  readonly logitsEveryStep = true;

  constructor(readonly be: Backend, readonly head: HeadType, readonly feed: JordanFeed) {}

  forward(io: ChunkIO): void {
    const s = io.stack, be = this.be, T = s.T, B = s.B, H = s.H, L = s.layers.length, head = this.head;
    const l0 = s.layers[0][0], top = s.top[0], O = l0.feedback;
    l0.project(0, T);
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        const layer = s.layers[l][0];
        if (l > 0) {
          if (s.dropping) s.applyDropout(l, t, t + 1);
          layer.project(t, t + 1);
        }
        layer.forwardStep(t);
      }
      io.decoder.forward(B, top.hs, top.hOff(t), H, io.logits, t * B * O);
      const next = (t + 1) * B * O;
      if (this.feed === 'target') feedbackFromTargets(be, head, B, O, head === 'softmax' ? io.targets : null, io.targetVals, t * B, l0.fb, next);
      else feedbackForward(be, head, B, O, io.logits, t * B * O, l0.fb, next);
    }
  }

  backward(io: ChunkIO): void {
    const s = io.stack, T = s.T, B = s.B, H = s.H, L = s.layers.length;
    const l0 = s.layers[0][0], top = s.top[0], O = l0.feedback;
    for (let t = T - 1; t >= 0; t--) {
      // o_t fed layer 0 at t+1: its gradient goes back through φ into the logits of step t.
      if (this.feed === 'output' && t < T - 1) {
        feedbackBackward(this.be, this.head, B, O, l0.fb, (t + 1) * B * O, l0.dfb, (t + 1) * B * O, io.dlogits, t * B * O);
      }
      io.decoder.backwardInput(B, io.dlogits, t * B * O, top.dhs, top.hOff(t), H, 1);
      for (let l = L - 1; l >= 0; l--) {
        s.layers[l][0].backwardStep(t);
        if (l > 0) s.backInputStep(l, t);
      }
    }
    s.paramGrads();
    io.decoder.backwardParams(T * B, io.dlogits, 0, top.hs, top.outOff(), H);
  }
}
