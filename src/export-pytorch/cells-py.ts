/**
 * The Python of one recurrent step per cell, written like the equations of src/nn (elman.ts, lstm.ts,
 * gru.ts): model.py holds only the step its model uses. Every step reads the layer's tensors from `p`
 * (WrittenStack.layer) and `xw` = W_ih x_t + b_ih, computed for the whole chunk before the time loop.
 */
import type { ModelConfig } from '../nn/config.js';

const ELMAN = `
def elman_step(p, act, xw, hist, o_prev):
    """Elman / Jordan (nn/elman.ts):
        pre_t = W_ih x_t + b_ih + b_hh + W_hh h_{t-1}       (the Elman recurrence, absent in a pure Jordan layer)
                + sum_k W_k h_{t-k}                          (lags)
                + W_oh o_{t-1}                               (Jordan: the model's previous output, layer 0 only)
        h_t = act(pre_t)
    hist holds the layer's previous states, oldest first: hist[-k] = h_{t-k}."""
    pre = xw + p.b_hh
    if p.w_hh is not None:
        pre = pre + hist[-1] @ p.w_hh.t()
    for k, w_k in p.lags:
        pre = pre + hist[-k] @ w_k.t()
    if p.w_oh is not None:
        pre = pre + o_prev @ p.w_oh.t()
    return act(pre)
`;

const LSTM = `
def lstm_step(p, xw, h, c):
    """LSTM, as torch.nn.LSTM (nn/lstm.ts): gate rows i, f, g, o.
        [i, f, g, o] = [sigmoid, sigmoid, tanh, sigmoid](W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
        c_t = f * c_{t-1} + i * g,    h_t = o * tanh(c_t)"""
    i, f, g, o = (xw + h @ p.w_hh.t() + p.b_hh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return o * torch.tanh(c), c
`;

const LSTM_PEEPHOLE = `
def lstm_peephole_step(p, xw, h, c):
    """LSTM with peepholes (nn/lstm-peephole.ts; ONNX's P): p.w_peep = [p_i, p_f, p_o], each [H].
        i = sigmoid(. + p_i * c_{t-1}),   f = sigmoid(. + p_f * c_{t-1}),   g = tanh(.)
        c_t = f * c_{t-1} + i * g,        o = sigmoid(. + p_o * c_t),       h_t = o * tanh(c_t)"""
    i, f, g, o = (xw + h @ p.w_hh.t() + p.b_hh).chunk(4, dim=-1)
    p_i, p_f, p_o = p.w_peep.chunk(3)
    i, f, g = torch.sigmoid(i + p_i * c), torch.sigmoid(f + p_f * c), torch.tanh(g)
    c = f * c + i * g
    return torch.sigmoid(o + p_o * c) * torch.tanh(c), c
`;

const GRU = `
def gru_step(p, xw, h):
    """GRU, as torch.nn.GRU (nn/gru.ts): gate rows r, z, n; the reset gate multiplies W_hn h + b_hn.
        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h_t = (1 - z) * n + z * h"""
    xr, xz, xn = xw.chunk(3, dim=-1)
    hr, hz, hn = (h @ p.w_hh.t() + p.b_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h
`;

const GRU_BEFORE = `
def gru_reset_before_step(p, xw, h):
    """GRU with the reset gate before the recurrent product (Cho et al. 2014; ONNX's default GRU; nn/gru.ts):
        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + W_hn (r * h) + b_hn),   h_t = (1 - z) * n + z * h"""
    xr, xz, xn = xw.chunk(3, dim=-1)
    w_hr, w_hz, w_hn = p.w_hh.chunk(3, dim=0)
    b_hr, b_hz, b_hn = p.b_hh.chunk(3)
    r = torch.sigmoid(xr + h @ w_hr.t() + b_hr)
    z = torch.sigmoid(xz + h @ w_hz.t() + b_hz)
    n = torch.tanh(xn + (r * h) @ w_hn.t() + b_hn)
    return (1 - z) * n + z * h
`;

/** The step function(s) of the config's cell, and the body of WrittenStack.cell_step that calls it. */
export function cellPy(c: ModelConfig): { functions: string; call: string } {
  if (c.cell === 'lstm') {
    return c.peephole
      ? { functions: LSTM_PEEPHOLE, call: 'return lstm_peephole_step(p, xw, hist[-1], c)' }
      : { functions: LSTM, call: 'return lstm_step(p, xw, hist[-1], c)' };
  }
  if (c.cell === 'gru') {
    return c.gruReset === 'before'
      ? { functions: GRU_BEFORE, call: 'return gru_reset_before_step(p, xw, hist[-1]), None' }
      : { functions: GRU, call: 'return gru_step(p, xw, hist[-1]), None' };
  }
  return { functions: ELMAN, call: 'return elman_step(p, self.act, xw, hist, o_prev), None' };
}
