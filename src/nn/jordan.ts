/**
 * The Jordan recurrence: the network's own previous output o_{t−1} = φ(V h_{t−1} + c) feeds layer 0
 * at step t. φ is the head's output function: softmax probabilities for classes, identity for
 * regression. Its gradient flows back through φ into the logits, and from there through the decoder
 * into h_{t−1}: so a Jordan network has to be run step by step across the whole stack.
 *
 * Teacher forcing (`jordanFeed: 'target'`) feeds the previous *target* instead: a different model,
 * whose feedback carries no gradient (the targets are data).
 */
import type { Backend, Buf } from '../kernels/backend.js';
import type { HeadType } from './config.js';

/** o = φ(logits) for B rows, written to `fb` at `fbOff`. */
export function feedbackForward(be: Backend, head: HeadType, B: number, O: number, logits: Buf, lOff: number, fb: Buf, fbOff: number): void {
  if (head === 'softmax') be.softmax(B, O, logits, lOff, fb, fbOff, 1);
  else be.copy(B * O, logits, lOff, fb, fbOff);
}

/** dlogits += φ'(·)ᵀ do for B rows (o = φ(logits) stored in fb). */
export function feedbackBackward(be: Backend, head: HeadType, B: number, O: number, fb: Buf, fbOff: number, dfb: Buf, dfbOff: number, dlogits: Buf, dOff: number): void {
  if (head === 'softmax') be.softmaxBackward(B, O, fb, fbOff, dfb, dfbOff, dlogits, dOff, true);
  else be.axpy(B * O, 1, dfb, dfbOff, dlogits, dOff);
}

/** Teacher forcing: the previous targets as the feedback vector (one-hot classes or values). */
export function feedbackFromTargets(be: Backend, head: HeadType, B: number, O: number, targets: Int32Array | null, values: Buf | null,
  tOff: number, fb: Buf, fbOff: number): void {
  if (head === 'softmax') {
    be.fill(fb, fbOff, B * O, 0);
    for (let b = 0; b < B; b++) { const y = targets![tOff + b]; if (y >= 0) fb[fbOff + b * O + y] = 1; }
  } else be.copy(B * O, values!, tOff * O, fb, fbOff);
}
