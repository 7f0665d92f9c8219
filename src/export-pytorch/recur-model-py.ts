/**
 * The Python of RecurModel: recur's Model (nn/model.ts) as an nn.Module. Input (one-hot, embedding or
 * dense) → the stack (torch.nn's module where it computes exactly recur's layers, else WrittenStack) →
 * the decoder nn.Linear(D·H, O) → recur's loss. The state between chunks is a tuple of tensors.
 */
import type { ModelConfig } from '../nn/config.js';

/** torch.nn's module for the config's stack, when one computes exactly what recur's layers do. */
export function torchModule(c: ModelConfig): string | null {
  if (c.lags.length > 0) return null;
  if (c.cell === 'lstm') return c.peephole ? null : 'nn.LSTM';
  if (c.cell === 'gru') return c.gruReset === 'after' ? 'nn.GRU' : null;
  if (c.cell === 'elman' && c.activation !== 'sigmoid') return 'nn.RNN';
  return null;
}

function torchRnnPy(c: ModelConfig): string {
  const mod = torchModule(c);
  if (mod === null) {
    return `

# torch.nn has no module for this cell (${c.cell}${c.lags.length ? ', lags' : ''}${c.cell === 'gru' ? ', reset before' : ''}${c.peephole ? ', peepholes' : ''}${c.activation === 'sigmoid' ? ', sigmoid' : ''}): WrittenStack runs it.
torch_rnn = None
`;
  }
  const act = mod === 'nn.RNN' ? ", nonlinearity=c['activation']" : '';
  return `

def torch_rnn(c, input_size):
    """torch.nn's module for the stack: the same equations and tensor names as recur's layers, and the same
    dropout between layers (inverted dropout on every layer's input but the first's, in training)."""
    return ${mod}(input_size, c['hidden'], c['layers'], bidirectional=c['bidirectional'],
        dropout=c['dropout'] if c['layers'] > 1 else 0.0${act})
`;
}

export function recurModelPy(c: ModelConfig): string {
  return `${torchRnnPy(c)}

class RecurModel(nn.Module):
    """recur's recurrent model (nn/model.ts). forward(inputs, state, lengths=None, targets=None) with
        inputs   LongTensor [T, B] of token ids (inputKind 'tokens'), or [T, B, F] values ('dense')
        state    from initial_state(B), or the state a previous chunk returned (truncated BPTT)
        lengths  LongTensor [B], each sequence's real length (1..T); steps past it are padding: the state
                 holds there and they carry no loss (their outputs are not meaningful)
        targets  only for a Jordan network fed its previous target (jordanFeed 'target'): [T, B] ids / [T, B, O]
    returns (logits, state): logits [T, B, O] (outputMode 'every'), or [B, O] at each sequence's end ('last');
    then loss(logits, targets, lengths) is recur's loss on them."""

    def __init__(self, c, step_by_step=False):
        super().__init__()
        self.c = c
        self.H, self.L, self.D, self.O = c['hidden'], c['layers'], 2 if c['bidirectional'] else 1, c['outputSize']
        self.lags = list(c['lags'])
        self.K = max([1] + self.lags)
        self.jordan = c['cell'] in ('jordan', 'elman+jordan')
        self.p = c['dropout'] if self.L > 1 else 0.0
        tokens, E = c['inputKind'] == 'tokens', c['embed']
        if tokens and E > 0:
            self.embedding = nn.Embedding(c['inputSize'], E)
        width = E if tokens and E > 0 else c['inputSize']
        self.one_hot = tokens and E == 0
        self.fused = torch_rnn is not None and not step_by_step
        self.rnn = torch_rnn(c, width) if self.fused else WrittenStack(c, width, self.O if self.jordan else 0)
        if c['h0'] == 'learned':
            for l in range(self.L):
                for d in range(self.D):
                    self.rnn.register_parameter(f'h0{suffix(l, d)}', nn.Parameter(torch.zeros(self.H)))
                    if c['cell'] == 'lstm':
                        self.rnn.register_parameter(f'c0{suffix(l, d)}', nn.Parameter(torch.zeros(self.H)))
        self.decoder = nn.Linear(self.D * self.H, self.O)
        # --tie-weights: one matrix for the embedding and the decoder (nn/tying.ts); recur's file holds it once,
        # as embedding.weight, so loading fills decoder.weight from it and state_dict() leaves it out.
        self.tied = bool(c.get('tieWeights'))
        if self.tied:
            self.decoder.weight = self.embedding.weight

    def state_dict(self, *args, **kwargs):
        sd = super().state_dict(*args, **kwargs)
        if self.tied:
            sd.pop(kwargs.get('prefix', '') + 'decoder.weight', None)
        return sd

    def load_state_dict(self, state_dict, strict=True):
        if self.tied and 'decoder.weight' not in state_dict:
            state_dict = {**state_dict, 'decoder.weight': state_dict['embedding.weight']}
        return super().load_state_dict(state_dict, strict)

    # ------------------------------------------------------------------ state
    def initial_state(self, batch):
        """The state of \`batch\` fresh streams (h0 'zero', 'random' with std h0Scale, or 'learned'):
            h  [L*D, B, H], layer-major, forward before reverse ([L*D, K, B, H] with lags: slot k = h_{-(k+1)})
            c  [L*D, B, H]  (LSTM only)
            o  [B, O]       (Jordan only: the previous output, zero)"""
        w = self.decoder.weight
        shape = (self.L * self.D,) + ((self.K,) if self.lags else ()) + (batch, self.H)

        def init(kind):
            if self.c['h0'] == 'learned':
                v = torch.stack([getattr(self.rnn, f'{kind}0{suffix(l, d)}') for l in range(self.L) for d in range(self.D)])
                return v.view(v.shape[0], *([1] * (len(shape) - 2)), self.H).expand(shape).contiguous()
            if self.c['h0'] == 'random':
                return torch.randn(shape, dtype=w.dtype, device=w.device) * self.c['h0Scale']
            return w.new_zeros(shape)
        state = (init('h'),)
        if self.c['cell'] == 'lstm':
            state += (init('c'),)
        if self.jordan:
            state += (w.new_zeros(batch, self.O),)
        return state

    @staticmethod
    def detach_state(state):
        """The same state, cut from the graph of the chunk that made it (truncated BPTT)."""
        return tuple(s.detach() for s in state)

    def unpack(self, state):
        """The state as per-layer lists: each layer·direction's history (oldest first) and cell state."""
        h = state[0]
        hists = [[h[i, k] for k in reversed(range(self.K))] if self.lags else [h[i]] for i in range(self.L * self.D)]
        cs = list(state[1]) if self.c['cell'] == 'lstm' else [None] * (self.L * self.D)
        return hists, cs

    def pack(self, hists, cs, o):
        h = torch.stack([torch.stack(hist[::-1]) if self.lags else hist[-1] for hist in hists])
        state = (h,)
        if self.c['cell'] == 'lstm':
            state += (torch.stack(cs),)
        if o is not None:
            state += (o,)
        return state

    # ---------------------------------------------------------------- forward
    def forward(self, inputs, state, lengths=None, targets=None, dropout_masks=None):
        """dropout_masks (optional, step_by_step models only): one [T, B, D*H] tensor per layer above the first,
        0 or 1/(1 - p), to apply instead of drawing (the parity tests give recur's)."""
        T, B = inputs.shape[0], inputs.shape[1]
        masks = [None] * T if lengths is None else list(self.real_steps(T, lengths).unsqueeze(-1))
        if hasattr(self, 'embedding'):
            x = self.embedding(inputs.clamp(min=0))
        elif self.one_hot and self.fused:
            x = F.one_hot(inputs.clamp(min=0), self.c['inputSize']).to(self.decoder.weight.dtype)
        else:
            x = inputs
        rows = torch.arange(B, device=inputs.device)
        last = (lengths.to(inputs.device) - 1) if lengths is not None else torch.full((B,), T - 1, device=inputs.device)
        if self.jordan:
            if self.c['jordanFeed'] == 'target':
                assert targets is not None, 'a Jordan network fed its previous target needs the targets'
                if self.c['head'] == 'softmax' and lengths is not None:
                    targets = targets.masked_fill(~self.real_steps(T, lengths), -1)
            logits, state = self.run_stepwise(x, state, masks, targets, dropout_masks)
            if self.c['outputMode'] == 'last':
                logits = logits[last, rows]
            return logits, state
        if self.fused:
            assert dropout_masks is None, 'explicit dropout masks need build(config, step_by_step=True)'
            out, state = self.run_fused(x, state, lengths)
        else:
            out, state = self.run_layerwise(x, state, masks, dropout_masks)
        if self.c['outputMode'] == 'last':
            # each direction's final state: the forward one at the sequence's last real step, the reverse at step 0
            out = out[last, rows] if self.D == 1 else torch.cat([out[last, rows, :self.H], out[0, :, self.H:]], dim=-1)
        return self.decoder(out), state

    @staticmethod
    def real_steps(T, lengths):
        """[T, B] bool: True where step t is part of sequence b."""
        return torch.arange(T, device=lengths.device).unsqueeze(1) < lengths.unsqueeze(0)

    def drop(self, x, mask):
        """Dropout on a layer's input above the first, in training: inverted dropout (kept units scaled by 1/(1-p))."""
        if not self.training or self.p == 0:
            return x
        return x * mask if mask is not None else F.dropout(x, self.p, training=True)

    def run_fused(self, x, state, lengths):
        hx = state if self.c['cell'] == 'lstm' else state[0]
        if lengths is None:
            out, hx = self.rnn(x, hx)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
            out, hx = self.rnn(packed, hx)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
        return out, tuple(hx) if self.c['cell'] == 'lstm' else (hx,)

    def run_layerwise(self, x, state, masks, dropout_masks):
        """Layer by layer, each over the whole chunk (nn/schedule-layerwise.ts)."""
        hists, cs = self.unpack(state)
        for l in range(self.L):
            if l > 0:
                x = self.drop(x, None if dropout_masks is None else dropout_masks[l - 1])
            outs = []
            for d in range(self.D):
                i = l * self.D + d
                y, hists[i], cs[i] = self.rnn.run_layer(l, d, x, hists[i], cs[i], masks)
                outs.append(y)
            x = torch.cat(outs, dim=-1)
        return x, self.pack(hists, cs, None)

    def run_stepwise(self, x, state, masks, targets, dropout_masks):
        """Jordan: layer 0 reads the model's previous output o_{t-1}, so the whole stack and the decoder run
        step by step (nn/schedule-stepwise.ts); one direction."""
        hists, cs = self.unpack(state)
        o = state[-1]
        layers = [self.rnn.layer(l, 0) for l in range(self.L)]
        xw0 = self.rnn.project(layers[0], x)
        logits = []
        for t in range(x.shape[0]):
            for l, p in enumerate(layers):
                if l == 0:
                    xw = xw0[t]
                else:
                    below = self.drop(hists[l - 1][-1], None if dropout_masks is None else dropout_masks[l - 1][t])
                    xw = self.rnn.project(p, below)
                hists[l], cs[l] = self.rnn.step(p, xw, hists[l], cs[l], o if l == 0 else None, masks[t])
            logits.append(self.decoder(hists[-1][-1]))
            o = self.feedback(logits[-1], targets, t)
        return torch.stack(logits), self.pack(hists, cs, o)

    def feedback(self, logit, targets, t):
        """o_t: what layer 0 reads at t + 1 (nn/jordan.ts): softmax probabilities or the values themselves,
        or under teacher forcing the target (one-hot; zero where there is none)."""
        softmax = self.c['head'] == 'softmax'
        if self.c['jordanFeed'] == 'target':
            y = targets[t]
            if not softmax:
                return y.to(logit.dtype)
            return F.one_hot(y.clamp(min=0), self.O).to(logit.dtype) * (y >= 0).unsqueeze(-1).to(logit.dtype)
        return torch.softmax(logit, dim=-1) if softmax else logit

    # ------------------------------------------------------------------- loss
    def loss(self, logits, targets, lengths=None):
        """recur's loss (nn/loss.ts), the mean over the predicted targets: softmax cross-entropy over target ids
        (-1 = none) [T, B] or [B], or squared error over target values [T, B, O] or [B, O]; padded steps excluded."""
        real = None
        if self.c['outputMode'] == 'every' and lengths is not None:
            real = self.real_steps(logits.shape[0], lengths)
        if self.c['head'] == 'softmax':
            if real is not None:
                targets = targets.masked_fill(~real, -1)
            return F.cross_entropy(logits.reshape(-1, self.O), targets.reshape(-1), ignore_index=-1)
        err = (logits - targets) ** 2
        if real is None:
            return err.mean()
        w = real.unsqueeze(-1).to(err.dtype).expand_as(err)
        return (err * w).sum() / w.sum()
`;
}
