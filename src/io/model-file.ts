/**
 * A Model and its recur model file: the tensors under their PyTorch names, the architecture as
 * `config`, plus whatever the task stores (vocabulary, training state for --resume, optimizer moments).
 */
import type { Backend, Buf } from '../kernels/backend.js';
import { makeConfig, type ModelConfig } from '../nn/config.js';
import { Model, tensorSpecs } from '../nn/model.js';
import type { Params } from '../nn/params.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint.js';
import { ModelFileError, type Tensor } from './safetensors.js';

/**
 * What the file needs of an optimizer: its moment buffers by PyTorch state name, each laid out like
 * the flat parameters (train/optim.ts's Optimizer is one; io/ does not depend on train/).
 */
export interface OptimizerSlots {
  readonly params: Params;
  readonly slots: Readonly<Record<string, Buf>>;
  slotNames(): string[];
}

export interface ModelFileExtras {
  vocab?: string[] | null;
  training?: Record<string, unknown> | null;
  task?: Record<string, unknown> | null;
  /** Save the optimizer's moments (for an exact --resume). */
  optimizer?: OptimizerSlots | null;
}

export function encodeModel(model: Model, extras: ModelFileExtras = {}): Uint8Array {
  const tensors = new Map<string, Tensor>();
  for (const v of model.params.views) tensors.set(v.name, { shape: [...v.shape], data: Float32Array.from(model.params.data.subarray(v.offset, v.offset + v.size)) });
  const optim = new Map<string, Tensor>();
  const opt = extras.optimizer;
  if (opt) for (const [slot, buf] of Object.entries(opt.slots)) {
    for (const v of model.params.views) optim.set(`${slot}.${v.name}`, { shape: [...v.shape], data: Float32Array.from(buf.subarray(v.offset, v.offset + v.size)) });
  }
  const ck: Checkpoint = {
    config: model.config as unknown as Record<string, unknown>, vocab: extras.vocab ?? null, tensors, optim,
    training: extras.training ?? null, task: extras.task ?? null,
  };
  return encodeCheckpoint(ck);
}

/** Validate the config of a model file (any ConfigError becomes a ModelFileError) and list its tensors. */
function specsOf(config: unknown) {
  try {
    return tensorSpecs(makeConfig(config as Partial<ModelConfig>));
  } catch (e) {
    throw new ModelFileError(`model file config is invalid: ${(e as Error).message}`);
  }
}

export interface LoadedModel { model: Model; checkpoint: Checkpoint }

export function decodeModel(bytes: Uint8Array, be: Backend): LoadedModel {
  const ck = decodeCheckpoint(bytes, { expectedSpecs: specsOf });
  const model = new Model(ck.config as Partial<ModelConfig>, be);
  for (const [name, t] of ck.tensors) model.params.set(name, t.data);
  return { model, checkpoint: ck };
}

/** Restore optimizer moments saved by encodeModel (names `slot.tensor`). */
export function restoreOptimizer(opt: OptimizerSlots, ck: Checkpoint): void {
  const params = opt.params;
  for (const slot of opt.slotNames()) {
    const buf = opt.slots[slot];
    for (const v of params.views) {
      const t = ck.optim.get(`${slot}.${v.name}`);
      if (!t) throw new ModelFileError(`model file has no optimizer state '${slot}' for ${v.name}: cannot resume exactly`);
      buf.set(t.data, v.offset);
    }
  }
}
