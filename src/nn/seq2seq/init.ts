/**
 * PyTorch's default initialisation of each module of the reference, so that a recur seq2seq model starts
 * where the PyTorch one does: nn.Embedding N(0, 1); nn.LSTM/GRU/RNN every weight and bias U(−1/√H, 1/√H);
 * nn.Linear weight and bias U(−1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5 gives that bound).
 */
import type { Rng } from '../../util/rng.js';
import type { Params } from '../params.js';
import type { Seq2SeqConfig } from './config.js';

export function initSeq2Seq(params: Params, c: Seq2SeqConfig, rng: Rng): void {
  const P = params.data;
  for (const v of params.views) {
    const module = v.name.slice(0, v.name.lastIndexOf('.'));
    let draw: () => number;
    if (v.name.endsWith('_embedding.weight')) draw = () => rng.normal();
    else if (module === 'encoder' || module === 'decoder') { const r = 1 / Math.sqrt(c.hidden); draw = () => rng.uniform(-r, r); }
    else { const r = 1 / Math.sqrt(params.view(`${module}.weight`).shape[1]); draw = () => rng.uniform(-r, r); }
    for (let i = 0; i < v.size; i++) P[v.offset + i] = draw();
  }
  params.touch();
}
