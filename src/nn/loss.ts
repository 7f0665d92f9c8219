/**
 * Losses over the predicted rows, each the mean over all predicted targets (as PyTorch's default
 * reduction='mean'): cross-entropy averages over target tokens, squared error over target elements.
 * Both write the gradient of that mean into `dlogits` when asked.
 */
import type { Backend, Buf } from '../kernels/backend.js';

export interface LossValue { /** mean loss */ loss: number; /** summed loss */ sum: number; /** number of targets averaged over */ count: number }

/** Softmax cross-entropy; targets < 0 are ignored (padding). */
export function crossEntropy(be: Backend, rows: number, V: number, logits: Buf, targets: Int32Array, dlogits: Buf | null): LossValue {
  const count = countTargets(targets.subarray(0, rows));
  const scale = count > 0 ? 1 / count : 0;
  const sum = be.softmaxCrossEntropy(rows, V, logits, 0, targets, 0, dlogits, 0, scale);
  return { loss: count > 0 ? sum / count : 0, sum, count };
}

/** Mean squared error over elements whose weight is non-zero (weight = null: all). */
export function meanSquaredError(be: Backend, n: number, pred: Buf, target: Buf, weight: Buf | null, dpred: Buf | null): LossValue {
  let count = n;
  if (weight) { count = 0; for (let i = 0; i < n; i++) if (weight[i] !== 0) count++; }
  const scale = count > 0 ? 1 / count : 0;
  const sum = be.squaredError(n, pred, 0, target, 0, weight, 0, dpred, 0, scale);
  return { loss: count > 0 ? sum / count : 0, sum, count };
}

/** Targets that are scored (≥ 0; −1 is padding). */
export function countTargets(targets: Int32Array): number {
  let count = 0;
  for (let r = 0; r < targets.length; r++) if (targets[r] >= 0) count++;
  return count;
}
