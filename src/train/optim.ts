/**
 * Optimizers over the flat parameter buffer, with PyTorch's update rules (so that a recur run and a
 * PyTorch run with the same hyper-parameters take the same steps): SGD (momentum, Nesterov),
 * Adagrad, RMSprop, Adam and AdamW (decoupled weight decay). The state (moment buffers) is named
 * per parameter tensor for checkpoints: `exp_avg.<name>`, `exp_avg_sq.<name>`, `momentum_buffer.<name>`, `sum.<name>`, `square_avg.<name>`.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import type { Params } from '../nn/params.js';

export type OptimizerName = 'sgd' | 'adagrad' | 'rmsprop' | 'adam' | 'adamw';

export interface OptimizerOptions {
  name: OptimizerName;
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  alpha?: number;
}

export const OPTIMIZERS: OptimizerName[] = ['sgd', 'adagrad', 'rmsprop', 'adam', 'adamw'];

export class Optimizer {
  /** Number of updates taken (Adam's bias correction uses it). */
  step = 0;
  readonly slots: Record<string, Buf> = {};
  readonly opts: Required<OptimizerOptions>;

  constructor(readonly be: Backend, readonly params: Params, opts: OptimizerOptions) {
    if (!OPTIMIZERS.includes(opts.name)) throw new Error(`unknown optimizer '${opts.name}' (expected ${OPTIMIZERS.join(', ')})`);
    if (!(opts.lr > 0 && Number.isFinite(opts.lr))) throw new Error(`learning rate must be a positive number, got ${opts.lr}`);
    this.opts = {
      momentum: 0, nesterov: false, weightDecay: opts.name === 'adamw' ? 0.01 : 0, beta1: 0.9, beta2: 0.999,
      eps: opts.name === 'adagrad' ? 1e-10 : 1e-8, alpha: 0.99, ...opts,
    } as Required<OptimizerOptions>;
    const o = this.opts;
    if (o.nesterov && o.momentum <= 0) throw new Error('Nesterov momentum needs a momentum > 0');
    for (const name of this.slotNames()) this.slots[name] = be.alloc(params.size);
  }

  /** The moment buffers this optimizer keeps (PyTorch's state names). */
  slotNames(): string[] {
    switch (this.opts.name) {
      case 'sgd': return this.opts.momentum > 0 ? ['momentum_buffer'] : [];
      case 'adagrad': return ['sum'];
      case 'rmsprop': return ['square_avg'];
      default: return ['exp_avg', 'exp_avg_sq'];
    }
  }

  /** One update p ← p − Δ(g) over the whole flat buffer. `lr` overrides the base rate (schedules). */
  update(grads: Buf, lr = this.opts.lr): void {
    this.params.touch();
    const o = this.opts, n = this.params.size, p = this.params.data, be = this.be;
    this.step++;
    switch (o.name) {
      case 'sgd': be.sgdStep(n, p, grads, this.slots.momentum_buffer ?? null, lr, o.momentum, o.nesterov, o.weightDecay, this.step === 1); break;
      case 'adagrad': be.adagradStep(n, p, grads, this.slots.sum, lr, o.eps, o.weightDecay); break;
      case 'rmsprop': be.rmspropStep(n, p, grads, this.slots.square_avg, lr, o.alpha, o.eps, o.weightDecay); break;
      case 'adam': case 'adamw':
        be.adamStep(n, p, grads, this.slots.exp_avg, this.slots.exp_avg_sq, o.beta1, o.beta2, o.eps, ...adamFactors(o, lr, this.step));
        break;
    }
  }

  /** Hyper-parameters and step count, as plain JSON (for checkpoints). */
  toJSON(): Record<string, unknown> { return { ...this.opts, step: this.step }; }
}

/**
 * Adam's per-step factors, computed once here for every backend: [stepSize = lr / (1 − β1^t), invSq = 1 / √(1 − β2^t),
 * decay = 1 − lr·wd (AdamW, decoupled) or 1, l2 = wd (Adam's L2 term) or 0].
 */
export function adamFactors(o: { beta1: number; beta2: number; weightDecay: number; name: OptimizerName }, lr: number,
  step: number): [number, number, number, number] {
  const decoupled = o.name === 'adamw';
  return [lr / (1 - Math.pow(o.beta1, step)), 1 / Math.sqrt(1 - Math.pow(o.beta2, step)),
    decoupled ? 1 - lr * o.weightDecay : 1, decoupled ? 0 : o.weightDecay];
}
