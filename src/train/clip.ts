/**
 * Gradient clipping, both classic forms:
 *  - element-wise (Mikolov's rule, also min-char-rnn's): g ← threshold · sign(g) where |g| > threshold;
 *  - by global norm (Pascanu et al. 2013; PyTorch's clip_grad_norm_): g ← g · max_norm / (‖g‖ + 1e-6) when ‖g‖ > max_norm.
 * The norm before clipping is returned either way: it is what training reports and what the lab plots.
 */
import type { Backend, Buf } from '../kernels/backend.js';

export function gradNorm(be: Backend, g: Buf, n: number): number {
  return Math.sqrt(be.sumSquares(n, g, 0));
}

export function clipByValue(be: Backend, g: Buf, n: number, threshold: number): void {
  be.clampAbs(n, g, 0, threshold);
}

/** Scales g in place when its norm exceeds maxNorm; returns the norm before clipping. */
export function clipByNorm(be: Backend, g: Buf, n: number, maxNorm: number): number {
  const norm = gradNorm(be, g, n);
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) be.scale(n, coef, g, 0);
  return norm;
}
