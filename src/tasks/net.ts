/**
 * One face over the two kinds of network a task can train: a recurrent Model and a feed-forward
 * baseline (Mlp). Both read the same padded, time-major batches, train with the same Trainer (each
 * batch from a fresh state) and live in the same model file format, so a task's code paths and splits
 * are shared and only the network differs. Platform-free.
 */
import type { Backend, Buf } from '../kernels/backend.js';
import { decodeCheckpoint, encodeCheckpoint, ModelFileError } from '../io/checkpoint.js';
import { encodeModel } from '../io/model-file.js';
import { makeConfig, type ModelConfig } from '../nn/config.js';
import type { LossValue } from '../nn/loss.js';
import { Model, tensorSpecs, type Batch, type RecurrentState } from '../nn/model.js';
import { Optimizer } from '../train/optim.js';
import { Trainer, type StepStats } from '../train/trainer.js';
import type { Rng } from '../util/rng.js';
import { makeMlpConfig, Mlp, mlpSpecs, type MlpConfig, type MlpState } from './baselines.js';

export type Net = Model | Mlp;

/** What every task that trains a Net (Adam, global-norm clipping, a time budget) is told: classify, forecast. */
export interface NetTrainingOptions {
  batch: number;
  lr: number;
  clipNorm: number;
  seed: number;
  /** Training budget in seconds (0 = none); a task may add a budget of its own (epochs, steps). */
  time: number;
}

export const isMlp = (net: Net): net is Mlp => net instanceof Mlp;

/** Forward a batch from a fresh state (each sequence on its own); outputs are in `net.logits`. */
export function forwardNet(net: Net, batch: Batch, train = false, rng?: Rng): LossValue | null {
  if (isMlp(net)) return net.forward(batch, null, { train });
  return net.forward(batch, net.newState(batch.B, rng), { train, rng, carry: false });
}

export type NetState = RecurrentState | MlpState;

/** Adam (AdamW with weight decay) and global-norm clipping, over either kind of network. */
export function netTrainer(net: Net, o: { lr: number; clipNorm: number; weightDecay?: number; rng?: Rng }): Trainer<NetState> {
  const optimizer = new Optimizer(net.be, net.params, { name: o.weightDecay ? 'adamw' : 'adam', lr: o.lr, weightDecay: o.weightDecay ?? 0 });
  return new Trainer<NetState>(net, optimizer, { clipNorm: o.clipNorm, rng: o.rng });
}

/** One update on a batch whose sequences each start from the initial state. */
export function netStep(trainer: Trainer<NetState>, batch: Batch, lr: number): StepStats {
  const net = trainer.model as Net;
  return trainer.step(batch, net.newState(batch.B, trainer.opts.rng), lr);
}

/** The model file of a network: its tensors, its config, and the task's own description. */
export function encodeNet(net: Net, task: Record<string, unknown>): Uint8Array {
  if (!isMlp(net)) return encodeModel(net, { task });
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const v of net.params.views) tensors.set(v.name, { shape: [...v.shape], data: Float32Array.from(net.params.data.subarray(v.offset, v.offset + v.size)) });
  return encodeCheckpoint({ config: net.config as unknown as Record<string, unknown>, vocab: null, tensors, optim: new Map(), training: null, task });
}

const specsOf = (config: unknown) => {
  const c = config as { kind?: unknown };
  return c.kind === 'mlp' ? mlpSpecs(makeMlpConfig(config as Partial<MlpConfig>)) : tensorSpecs(makeConfig(config as Partial<ModelConfig>));
};

/** Read a network and its task description back; every refusal is a one-line ModelFileError. */
export function decodeNet(bytes: Uint8Array, be: Backend): { net: Net; task: Record<string, unknown> } {
  const ck = decodeCheckpoint(bytes, { expectedSpecs: specsOf });
  if (!ck.task) throw new ModelFileError('model file does not say what task it was trained for');
  const net: Net = (ck.config as { kind?: unknown }).kind === 'mlp'
    ? new Mlp(ck.config as Partial<MlpConfig>, be)
    : new Model(ck.config as Partial<ModelConfig>, be);
  for (const [name, t] of ck.tensors) net.params.set(name, t.data);
  return { net, task: ck.task };
}

/** Row-wise softmax of the last forward's outputs [B×C] into probabilities (float64). */
export function probabilities(net: Net, B: number, C: number): Float64Array {
  const be = net.be, out: Buf = be.alloc(B * C);
  be.softmax(B, C, net.logits, 0, out, 0, 1);
  const p = Float64Array.from(out.subarray(0, B * C));
  be.free(out);
  return p;
}
