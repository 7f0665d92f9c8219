/**
 * A schedule runs a stack and its decoder over one chunk, forward and backward: in which order the
 * layers' steps and the decoder run. Two exist: layer by layer (schedule-layerwise.ts) and step by step
 * (schedule-stepwise.ts, for a layer fed back the model's output). The model reads the batch, keeps
 * the state and computes the loss; a schedule only orders the work.
 */
import type { Buf } from '../kernels/backend.js';
import type { Decoder } from './heads.js';
import type { BlockedSoftmaxHead } from './softmax-blocks.js';
import type { Stack } from './stack.js';

/** The head side of a chunk, owned by the model (its buffers grow with the chunk). */
export interface ChunkIO {
  readonly stack: Stack;
  readonly decoder: Decoder;
  /** Outputs [rows×O] and their gradient: rows = T·B when logitsEveryStep, else B. */
  logits: Buf;
  dlogits: Buf;
  /** Real length of each sequence, or null: all T. */
  lengths: Int32Array | null;
  /** This chunk's targets as read from the batch (teacher forcing feeds them back). */
  targets: Int32Array;
  targetVals: Buf;
  /**
   * Set when the model ran the softmax head a block of rows at a time (softmax-blocks.ts): the schedule
   * then leaves the decoder to it forward, and backward takes the features' gradient from it.
   */
  blocked: BlockedSoftmaxHead | null;
}

export interface Schedule {
  /** Whether the decoder runs at every step (else once per sequence, on its final state). */
  readonly logitsEveryStep: boolean;
  /** Run the stack and the decoder over the chunk (the stack sized, its inputs and state loaded). */
  forward(io: ChunkIO): void;
  /**
   * Backpropagate io.dlogits, plus whatever gradient the layers' dhs already hold, through the decoder
   * and the stack; adds into the parameter gradients.
   */
  backward(io: ChunkIO): void;
}
