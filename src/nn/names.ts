/**
 * The names of a recurrent layer's tensors, as PyTorch's `state_dict` spells them for `nn.RNN/LSTM/GRU`
 * (`rnn.weight_ih_l0`, `rnn.bias_hh_l1_reverse`, …), plus recur's own additions in the same style: lag
 * matrices (`weight_hh_l0_lag2`), the Jordan feedback weights (`weight_oh_l0`), LSTM peepholes (`weight_peephole_l0`) and a learned initial
 * state (`h0_l0`, `c0_l0`). Every reader of a layer's tensors (the model, the sampler, the state reset,
 * the model-file reader through the specs) takes its names from here.
 */

export interface LayerTensorNames {
  wih: string;
  whh: string;
  bih: string;
  bhh: string;
  /** W_oh: the Jordan feedback weights (layer 0 only). */
  woh: string;
  /** Learned initial hidden state, and cell state for cells that carry one. */
  h0: string;
  c0: string;
  /** Extra recurrence W_k h_{t−k}. */
  lag(k: number): string;
  /** LSTM peepholes [3H]: blocks p_i, p_f, p_o (recur's gate order without g). */
  peephole: string;
}

/** Layer l, direction d (1 = reverse) of the stack named `prefix` (a PyTorch module name). */
export function layerTensorNames(l: number, d: number, prefix = 'rnn'): LayerTensorNames {
  const s = `_l${l}${d === 1 ? '_reverse' : ''}`;
  return {
    wih: `${prefix}.weight_ih${s}`, whh: `${prefix}.weight_hh${s}`,
    bih: `${prefix}.bias_ih${s}`, bhh: `${prefix}.bias_hh${s}`,
    woh: `${prefix}.weight_oh${s}`, h0: `${prefix}.h0${s}`, c0: `${prefix}.c0${s}`,
    lag: (k) => `${prefix}.weight_hh${s}_lag${k}`,
    peephole: `${prefix}.weight_peephole${s}`,
  };
}
