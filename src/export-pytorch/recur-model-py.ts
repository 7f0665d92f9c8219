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
    """torch.nn's module for the stack: the same equations and tensor names as recur's layers. Its own dropout
    stays off: it would draw a fresh mask at every step, recur's is locked (RecurModel.run_fused_layers)."""
    return ${mod}(input_size, c['hidden'], c['layers'], bidirectional=c['bidirectional']${act})
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
        # recur's training regularisers (nn/config.ts): locked dropout on what layer 0 reads, between layers (p) and
        # on the last layer's output, embedding dropout (whole rows), weight drop on every W_hh, AR and TAR
        self.p_input, self.p_output = c.get('dropoutInput', 0), c.get('dropoutOutput', 0)
        self.p_embed, self.p_weight = c.get('dropoutEmbed', 0), c.get('weightDrop', 0)
        self.ar, self.tar = c.get('ar', 0), c.get('tar', 0)
        self.penalty = 0.0  # AR + TAR of the last training forward: add it to the loss you minimise
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
        """In training, this chunk's dropout masks are drawn once (chunk_masks); dropout_masks gives them instead
        (the parity tests give recur's), a dict with any of 'embed' [V], 'input' [B, width], 'between' (one [B, D*H]
        per layer above the first), 'output' [B, D*H] and 'weight' ({'weight_hh_l0': mask, ...}), each 0 or 1/(1 - p)."""
        T, B = inputs.shape[0], inputs.shape[1]
        masks = [None] * T if lengths is None else list(self.real_steps(T, lengths).unsqueeze(-1))
        drop = self.chunk_masks(B, dropout_masks) if self.training else {}
        if hasattr(self, 'embedding'):
            table = self.embedding.weight
            if 'embed' in drop:  # a dropped symbol loses its whole vector for the chunk (the decoder reads E whole)
                table = table * drop['embed'].unsqueeze(1)
            x = F.embedding(inputs.clamp(min=0), table)
        elif self.one_hot and self.fused:
            x = F.one_hot(inputs.clamp(min=0), self.c['inputSize']).to(self.decoder.weight.dtype)
        else:
            x = inputs
        if 'input' in drop:
            x = x * drop['input']
        if 'weight' in drop:  # W_hh ⊙ m for the chunk; the gradient reaches W_hh through the product
            drop['w_hh'] = {n: getattr(self.rnn, n) * mask for n, mask in drop['weight'].items()}
        rows = torch.arange(B, device=inputs.device)
        last = (lengths.to(inputs.device) - 1) if lengths is not None else torch.full((B,), T - 1, device=inputs.device)
        if self.jordan:
            if self.c['jordanFeed'] == 'target':
                assert targets is not None, 'a Jordan network fed its previous target needs the targets'
                if self.c['head'] == 'softmax' and lengths is not None:
                    targets = targets.masked_fill(~self.real_steps(T, lengths), -1)
            logits, state = self.run_stepwise(x, state, masks, targets, drop)
            if self.c['outputMode'] == 'last':
                logits = logits[last, rows]
            return logits, state
        start = state  # the chunk's initial state (held() reads the reverse direction's)
        if self.fused and ('between' in drop or 'weight' in drop):
            out, state = self.run_fused_layers(x, state, lengths, drop)
        elif self.fused:
            out, state = self.run_fused(x, state, lengths)
        else:
            out, state = self.run_layerwise(x, state, masks, drop)
        if self.training and (self.ar or self.tar):
            h = self.held(out, lengths, start) if self.fused and lengths is not None else out
            self.penalty = self.activation_penalty(h, h * drop['output'] if 'output' in drop else h)
        if 'output' in drop:
            out = out * drop['output']
        if self.c['outputMode'] == 'last':
            # each direction's final state: the forward one at the sequence's last real step, the reverse at step 0
            out = out[last, rows] if self.D == 1 else torch.cat([out[last, rows, :self.H], out[0, :, self.H:]], dim=-1)
        return self.decoder(out), state

    @staticmethod
    def real_steps(T, lengths):
        """[T, B] bool: True where step t is part of sequence b."""
        return torch.arange(T, device=lengths.device).unsqueeze(1) < lengths.unsqueeze(0)

    # --------------------------------------------------------- regularisers
    def chunk_masks(self, B, given=None):
        """This training chunk's masks (nn/locked-dropout.ts, nn/weight-drop.ts), kept units scaled by 1/(1 - p):
        locked dropout keeps one mask per stream for every step of the chunk ([B, width], broadcast over T);
        embedding dropout one per row of the table; weight drop one per element of each W_hh."""
        if given is not None:
            return dict(given)
        w = self.decoder.weight

        def keep(p, *shape):
            return w.new_empty(shape).bernoulli_(1 - p) / (1 - p)
        drop, DH = {}, self.D * self.H
        if self.p_embed > 0 and hasattr(self, 'embedding'):
            drop['embed'] = keep(self.p_embed, self.embedding.weight.shape[0])
        if self.p_input > 0:
            drop['input'] = keep(self.p_input, B, self.embedding.weight.shape[1] if hasattr(self, 'embedding') else self.c['inputSize'])
        if self.p > 0:
            drop['between'] = [keep(self.p, B, DH) for _ in range(self.L - 1)]
        if self.p_output > 0:
            drop['output'] = keep(self.p_output, B, DH)
        if self.p_weight > 0:
            names = [f'weight_hh{suffix(l, d)}' for l in range(self.L) for d in range(self.D)]
            drop['weight'] = {n: keep(self.p_weight, *getattr(self.rnn, n).shape) for n in names if hasattr(self.rnn, n)}
        return drop

    def activation_penalty(self, h, y):
        """AR + TAR (nn/act-reg.ts): alpha * mean(y^2) of the output the decoder reads (after output dropout) and
        beta * mean((h_t - h_{t-1})^2) of the output before it, within the chunk; means over every element."""
        penalty = self.ar * y.pow(2).mean() if self.ar else 0.0
        if self.tar and h.shape[0] > 1:
            penalty = penalty + self.tar * (h[1:] - h[:-1]).pow(2).mean()
        return penalty

    def held(self, out, lengths, start):
        """The top layer's output as recur's layers leave it at padded steps (torch.nn's packed modules leave
        zeros there): the state held, i.e. the last real output forward, the chunk's initial state in reverse."""
        T = out.shape[0]
        real = self.real_steps(T, lengths.to(out.device)).unsqueeze(-1)
        last = (lengths.to(out.device) - 1).view(1, -1, 1).expand(T, -1, self.H)
        fwd = torch.where(real, out[..., :self.H], out[..., :self.H].gather(0, last))
        if self.D == 1:
            return fwd
        top_reverse = start[0][self.L * self.D - 1]  # layer-major, forward before reverse
        return torch.cat([fwd, torch.where(real, out[..., self.H:], top_reverse.unsqueeze(0))], dim=-1)

    def run_fused_layers(self, x, state, lengths, drop):
        """Training with locked dropout between layers or weight drop: torch.nn's kernel one layer at a time
        (torch._VF, which nn.LSTM/GRU/RNN.forward call), each W_hh replaced by its dropped copy. torch.nn's module
        cannot do either: its dropout draws a fresh mask at every step, and its weights cannot be swapped for a call."""
        cell, lstm, T = self.c['cell'], self.c['cell'] == 'lstm', x.shape[0]
        kernel = {'lstm': torch._VF.lstm, 'gru': torch._VF.gru}.get(cell) or \
            (torch._VF.rnn_relu if self.c['activation'] == 'relu' else torch._VF.rnn_tanh)
        weights = drop.get('w_hh', {})
        hs, cs = [], []
        for l in range(self.L):
            if l > 0 and 'between' in drop:
                x = x * drop['between'][l - 1]
            ws = [weights.get(n, getattr(self.rnn, n)) for d in range(self.D)
                  for n in (f'weight_ih{suffix(l, d)}', f'weight_hh{suffix(l, d)}', f'bias_ih{suffix(l, d)}', f'bias_hh{suffix(l, d)}')]
            rows = slice(l * self.D, (l + 1) * self.D)
            hx = (state[0][rows], state[1][rows]) if lstm else state[0][rows]
            if lengths is None:
                res = kernel(x, hx, ws, True, 1, 0.0, self.training, self.D == 2, False)
                x, last = res[0], res[1:]
            else:
                packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
                order, back = packed.sorted_indices, packed.unsorted_indices
                hx = tuple(s.index_select(1, order) for s in hx) if lstm else hx.index_select(1, order)
                res = kernel(packed.data, packed.batch_sizes, hx, ws, True, 1, 0.0, self.training, self.D == 2)
                x, _ = nn.utils.rnn.pad_packed_sequence(nn.utils.rnn.PackedSequence(res[0], packed.batch_sizes, order, back), total_length=T)
                last = [s.index_select(1, back) for s in res[1:]]
            hs.append(last[0])
            if lstm:
                cs.append(last[1])
        return x, (torch.cat(hs),) + ((torch.cat(cs),) if lstm else ())

    def run_fused(self, x, state, lengths):
        hx = state if self.c['cell'] == 'lstm' else state[0]
        if lengths is None:
            out, hx = self.rnn(x, hx)
        else:
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), enforce_sorted=False)
            out, hx = self.rnn(packed, hx)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
        return out, tuple(hx) if self.c['cell'] == 'lstm' else (hx,)

    def run_layerwise(self, x, state, masks, drop):
        """Layer by layer, each over the whole chunk (nn/schedule-layerwise.ts)."""
        hists, cs = self.unpack(state)
        for l in range(self.L):
            if l > 0 and 'between' in drop:
                x = x * drop['between'][l - 1]
            outs = []
            for d in range(self.D):
                i = l * self.D + d
                y, hists[i], cs[i] = self.rnn.run_layer(l, d, x, hists[i], cs[i], masks, drop.get('w_hh'))
                outs.append(y)
            x = torch.cat(outs, dim=-1)
        return x, self.pack(hists, cs, None)

    def run_stepwise(self, x, state, masks, targets, drop):
        """Jordan: layer 0 reads the model's previous output o_{t-1}, so the whole stack and the decoder run
        step by step (nn/schedule-stepwise.ts); one direction."""
        hists, cs = self.unpack(state)
        o = state[-1]
        layers = [self.rnn.layer(l, 0, drop.get('w_hh')) for l in range(self.L)]
        xw0 = self.rnn.project(layers[0], x)
        logits, tops = [], []
        for t in range(x.shape[0]):
            for l, p in enumerate(layers):
                if l == 0:
                    xw = xw0[t]
                else:
                    below = hists[l - 1][-1] * drop['between'][l - 1] if 'between' in drop else hists[l - 1][-1]
                    xw = self.rnn.project(p, below)
                hists[l], cs[l] = self.rnn.step(p, xw, hists[l], cs[l], o if l == 0 else None, masks[t])
            logits.append(self.decoder(hists[-1][-1]))
            tops.append(hists[-1][-1])
            o = self.feedback(logits[-1], targets, t)
        if self.training and (self.ar or self.tar):
            self.penalty = self.activation_penalty(torch.stack(tops), torch.stack(tops))
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
