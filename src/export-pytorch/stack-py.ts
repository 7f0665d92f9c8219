/**
 * The Python of WrittenStack: recur's stack of recurrent layers (nn/stack.ts) written out step by step,
 * with the tensors under the names torch.nn.RNN/LSTM/GRU give them plus recur's own (nn/names.ts). It is
 * the model for every cell torch.nn has no module for (Jordan, lags, sigmoid Elman, the reset-before GRU)
 * and, on request, for the others too (readable, and it takes explicit dropout masks).
 */
import type { ModelConfig } from '../nn/config.js';
import { cellPy } from './cells-py.js';

export function stackPy(c: ModelConfig): string {
  const cell = cellPy(c);
  return `${cell.functions}

def suffix(l, d):
    """The tensor-name suffix of layer l, direction d (1 = reverse), as torch.nn spells it."""
    return f'_l{l}' + ('_reverse' if d else '')


def hold(mask, new, old):
    """Padded steps (mask False) keep the state, h_t = h_{t-1}: the reverse direction thus starts each
    sequence at its own last step, like a packed sequence."""
    return new if mask is None else torch.where(mask, new, old)


class WrittenStack(nn.Module):
    """The recurrent layers, step by step. Layer l > 0 reads the output of layer l-1 (both directions
    concatenated); the model applies dropout between them and may give dropped W_hh (weight drop)."""

    def __init__(self, c, input_size, feedback):
        super().__init__()
        self.cell, self.H, self.L = c['cell'], c['hidden'], c['layers']
        self.D = 2 if c['bidirectional'] else 1
        self.lags = list(c['lags'])
        self.act = ACTIVATIONS[c['activation']]
        G = {'lstm': 4, 'gru': 3}.get(self.cell, 1)
        H = self.H
        for l in range(self.L):
            for d in range(self.D):
                s = suffix(l, d)
                jordan = l == 0 and self.cell in ('jordan', 'elman+jordan')
                elman = not (jordan and self.cell == 'jordan')
                self.add(f'weight_ih{s}', G * H, input_size if l == 0 else self.D * H)
                if elman:
                    self.add(f'weight_hh{s}', G * H, H)
                if c.get('peephole'):
                    self.add(f'weight_peephole{s}', 3 * H)
                self.add(f'bias_ih{s}', G * H)
                self.add(f'bias_hh{s}', G * H)
                for k in self.lags:
                    self.add(f'weight_hh{s}_lag{k}', H, H)
                if jordan:
                    self.add(f'weight_oh{s}', H, feedback)
        bound = 1 / math.sqrt(H)  # torch.nn's default initialisation (a recur file overwrites it)
        for w in self.parameters():
            nn.init.uniform_(w, -bound, bound)

    def add(self, name, *shape):
        self.register_parameter(name, nn.Parameter(torch.empty(*shape)))

    def layer(self, l, d, dropped=None):
        """Layer l, direction d's tensors (None where the layer has none); dropped: {name: tensor} read in place
        of the parameter of that name (weight drop's W_hh for the chunk)."""
        s = suffix(l, d)
        get = lambda name: (dropped or {}).get(name, getattr(self, name, None))
        return SimpleNamespace(w_ih=get(f'weight_ih{s}'), w_hh=get(f'weight_hh{s}'), b_ih=get(f'bias_ih{s}'),
                               b_hh=get(f'bias_hh{s}'), w_oh=get(f'weight_oh{s}'), w_peep=get(f'weight_peephole{s}'),
                               lags=[(k, get(f'weight_hh{s}_lag{k}')) for k in self.lags])

    @staticmethod
    def project(p, x):
        """W_ih x_t + b_ih for every step at once; token ids (a one-hot input) pick columns of W_ih."""
        if x.dtype == torch.long:
            return p.w_ih.t()[x.clamp(min=0)] + p.b_ih
        return F.linear(x, p.w_ih, p.b_ih)

    def cell_step(self, p, xw, hist, c, o_prev):
        """One step of the cell: (h_t, c_t); c is None for cells without a cell state."""
        ${cell.call}

    def step(self, p, xw, hist, c, o_prev, mask):
        """One step, holding the state at padded steps: the new history (oldest first) and c."""
        h, c_new = self.cell_step(p, xw, hist, c, o_prev)
        h = hold(mask, h, hist[-1])
        if c is not None:
            c_new = hold(mask, c_new, c)
        return hist[1:] + [h], c_new

    def run_layer(self, l, d, x, hist, c, masks, dropped=None):
        """Layer l, direction d over the chunk: x [T, B, In] -> (outputs [T, B, H] in time order, hist, c)."""
        p = self.layer(l, d, dropped)
        xw = self.project(p, x)
        T = xw.shape[0]
        out = [None] * T
        for t in (reversed(range(T)) if d else range(T)):
            hist, c = self.step(p, xw[t], hist, c, None, masks[t])
            out[t] = hist[-1]
        return torch.stack(out), hist, c
`;
}
