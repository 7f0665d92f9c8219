/**
 * Weight tying (Inan et al. 2017; Press & Wolf 2017): the decoder's weight is the embedding matrix,
 *
 *   x_t = E[id_t],   logits_t = F_t Eᵀ + c,   dE = (scatter of dx) + dlogitsᵀ F
 *
 * which needs the embedding width to equal the top layer's output width (config.ts checks it). The
 * model holds one tensor, `embedding.weight`, in the parameters and in the file; `decoder.weight` is
 * an alias of it (Params.alias), so whatever reads the decoder by name (sampling, ONNX export,
 * spectra) finds the shared matrix and writes it under both names, and both uses add their gradient
 * into the one dE. Optimizers and checkpoints see the tensor once.
 */
import type { Params, TensorSpec } from './params.js';

export const DECODER_WEIGHT = 'decoder.weight';
export const EMBEDDING_WEIGHT = 'embedding.weight';

/** The tensors of a tied model: the decoder's weight is not a tensor of its own. */
export const tiedSpecs = (specs: TensorSpec[]): TensorSpec[] => specs.filter((s) => s.name !== DECODER_WEIGHT);

/** Let the decoder's weight name the embedding in the parameters and in their gradients. */
export function tie(params: Params, grads: Params): void {
  params.alias(DECODER_WEIGHT, EMBEDDING_WEIGHT);
  grads.alias(DECODER_WEIGHT, EMBEDDING_WEIGHT);
}
