#!/usr/bin/env python3
# Copied verbatim (below this note) from ../shared/reference/seq2seq.py, the contract of issue 15, so that
# tools/gen_fixtures.py and CI do not depend on ../shared. Keep it identical to that file: recur's seq2seq
# model (src/nn/seq2seq/) computes exactly this.
"""Reference definition of recur's sequence-to-sequence model with attention, in PyTorch.

This file is the contract: recur's seq2seq model computes exactly this (float32 rounding aside), and its
model file holds exactly these tensors under exactly these state_dict names, so that

    model = Seq2Seq(**config); model.load_state_dict(tensors, strict=True)

works on the tensors of a recur seq2seq file, whose `__metadata__` holds `config` (JSON: this constructor's
arguments, same names) and `src_vocab`, `tgt_vocab` (JSON lists of symbols; index = id; entries 0..3 are the
reserved tokens below). Run it with Debian's /usr/bin/python3 (python3-torch).

Tokens. Source and target are sequences of token ids over two vocabularies (which may be equal). Ids 0..3
are reserved in both: 0 <pad>, 1 <bos>, 2 <eos>, 3 <unk>. A pair (x, y) is scored as
    encoder input   x_1 .. x_S                      (no <bos>/<eos> on the source)
    decoder input   <bos>, y_1 .. y_T
    decoder target  y_1 .. y_T, <eos>
Batches are time-major and padded with 0; padded source steps are masked out of attention and leave the
encoder state unchanged (packed-sequence semantics); padded target steps carry no loss.

Model (Luong et al. 2015 global attention, with the score functions of Luong and of Bahdanau et al. 2014):
    encoder   embedding -> RNN (LSTM | GRU | Elman tanh), `layers` deep, optionally bidirectional
    bridge    unidirectional: decoder state_0 = encoder final state (every layer, h and c)
              bidirectional:  h_0 = tanh(bridge_h([h_fwd; h_bwd])), c_0 = bridge_c([c_fwd; c_bwd]) per layer
    decoder   embedding -> RNN of the same cell and depth (input feeding: its input is [emb(y); h~_{t-1}])
    attention (none)     logits_t = out(h_t)
              (others)   a_t = softmax_s(score(h_t, e_s)) over unmasked source steps, c_t = sum_s a_t,s e_s
                         h~_t = tanh(attn_combine([c_t; h_t])), logits_t = out(h~_t)
              score      dot      : h_t . e_s                         (needs encoder width == hidden)
                         general  : h_t . (attn_W e_s)
                         additive : attn_v . tanh(attn_Wq h_t + attn_Wk e_s)     (attn_Wk has the bias)
    loss      mean cross-entropy over the non-padded target steps
where h_t is the top decoder layer's output and e_s the top encoder layer's output (both directions
concatenated when bidirectional). Input feeding needs attention; h~_0 = 0.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

PAD, BOS, EOS, UNK = 0, 1, 2, 3
CELLS = {'lstm': nn.LSTM, 'gru': nn.GRU, 'elman': nn.RNN}


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, embed, hidden, cell='lstm', layers=1, bidirectional=False,
                 attention='additive', attention_size=None, input_feeding=False):
        super().__init__()
        assert attention in ('none', 'dot', 'general', 'additive') and cell in CELLS
        assert not (input_feeding and attention == 'none'), 'input feeding needs attention'
        enc_width = hidden * (2 if bidirectional else 1)
        assert not (attention == 'dot' and enc_width != hidden), 'dot scores need encoder width == hidden'
        self.cell, self.layers, self.bidirectional, self.hidden = cell, layers, bidirectional, hidden
        self.attention, self.input_feeding = attention, input_feeding
        self.src_embedding = nn.Embedding(src_vocab, embed)
        self.tgt_embedding = nn.Embedding(tgt_vocab, embed)
        self.encoder = CELLS[cell](embed, hidden, layers, bidirectional=bidirectional)
        self.decoder = CELLS[cell](embed + (hidden if input_feeding else 0), hidden, layers)
        if bidirectional:
            self.bridge_h = nn.Linear(2 * hidden, hidden)
            if cell == 'lstm':
                self.bridge_c = nn.Linear(2 * hidden, hidden)
        if attention == 'general':
            self.attn_W = nn.Linear(enc_width, hidden, bias=False)
        if attention == 'additive':
            A = attention_size or hidden
            self.attn_Wq = nn.Linear(hidden, A, bias=False)
            self.attn_Wk = nn.Linear(enc_width, A)
            self.attn_v = nn.Linear(A, 1, bias=False)
        if attention != 'none':
            self.attn_combine = nn.Linear(enc_width + hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, tgt_vocab)

    def encode(self, src, src_len):
        """src [S, B] ids, src_len [B] -> encoder outputs [S, B, enc_width], decoder initial state."""
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embedding(src), src_len.cpu(), enforce_sorted=False)
        out, state = self.encoder(packed)
        enc, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=src.shape[0])
        return enc, self.bridge(state)

    def bridge(self, state):
        if not self.bidirectional:
            return state
        L = self.layers
        def join(s):  # [2L, B, H] (layer-major, forward then backward) -> [L, B, 2H]
            return s.view(L, 2, *s.shape[1:]).permute(0, 2, 1, 3).reshape(L, s.shape[1], 2 * self.hidden)
        if self.cell == 'lstm':
            h, c = state
            return torch.tanh(self.bridge_h(join(h))), self.bridge_c(join(c))
        return torch.tanh(self.bridge_h(join(state)))

    def score(self, h, enc):
        """h [T, B, H], enc [S, B, E] -> scores [B, T, S]."""
        if self.attention == 'dot':
            return torch.einsum('tbh,sbh->bts', h, enc)
        if self.attention == 'general':
            return torch.einsum('tbh,sbh->bts', h, self.attn_W(enc))
        q = self.attn_Wq(h)                      # [T, B, A]
        k = self.attn_Wk(enc)                    # [S, B, A]
        e = torch.tanh(q.unsqueeze(1) + k.unsqueeze(0))   # [T, S, B, A]
        return self.attn_v(e).squeeze(-1).permute(2, 0, 1)

    def attend(self, h, enc, src_mask):
        """h [T, B, H] -> (h~ [T, B, H], weights [B, T, S])."""
        s = self.score(h, enc).masked_fill(~src_mask.t().unsqueeze(1), float('-inf'))
        a = torch.softmax(s, dim=-1)
        ctx = torch.einsum('bts,sbe->tbe', a, enc)
        return torch.tanh(self.attn_combine(torch.cat([ctx, h], dim=-1))), a

    def forward(self, src, src_len, tgt_in):
        """-> logits [T, B, V] and attention weights [B, T, S] (None without attention)."""
        enc, state = self.encode(src, src_len)
        src_mask = torch.arange(src.shape[0]).unsqueeze(1) < src_len.unsqueeze(0)   # [S, B]
        emb = self.tgt_embedding(tgt_in)
        if self.attention == 'none':
            h, _ = self.decoder(emb, state)
            return self.out(h), None
        if not self.input_feeding:
            h, _ = self.decoder(emb, state)
            ht, a = self.attend(h, enc, src_mask)
            return self.out(ht), a
        outs, weights = [], []
        prev = emb.new_zeros(emb.shape[1], self.hidden)
        for t in range(emb.shape[0]):
            h, state = self.decoder(torch.cat([emb[t], prev], dim=-1).unsqueeze(0), state)
            ht, a = self.attend(h, enc, src_mask)
            prev = ht[0]
            outs.append(ht[0]); weights.append(a)
        return self.out(torch.stack(outs)), torch.cat(weights, dim=1)

    def loss(self, src, src_len, tgt_in, tgt_out):
        logits, _ = self.forward(src, src_len, tgt_in)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=PAD)


def batch(pairs, src_ids, tgt_ids):
    """pairs of (source, target) token lists and id maps -> time-major padded tensors for Seq2Seq.loss."""
    S = max(len(x) for x, _ in pairs); T = max(len(y) for _, y in pairs) + 1
    src = torch.zeros(S, len(pairs), dtype=torch.long); tin = torch.zeros(T, len(pairs), dtype=torch.long)
    tout = torch.zeros(T, len(pairs), dtype=torch.long)
    for b, (x, y) in enumerate(pairs):
        xs = [src_ids.get(c, UNK) for c in x]; ys = [tgt_ids.get(c, UNK) for c in y]
        src[:len(xs), b] = torch.tensor(xs, dtype=torch.long)
        tin[:len(ys) + 1, b] = torch.tensor([BOS] + ys, dtype=torch.long)
        tout[:len(ys) + 1, b] = torch.tensor(ys + [EOS], dtype=torch.long)
    return src, torch.tensor([len(x) for x, _ in pairs]), tin, tout


if __name__ == '__main__':
    # Self-check: every configuration builds, its loss is finite and its gradients reach every parameter.
    torch.manual_seed(0)
    voc = {c: i + 4 for i, c in enumerate('abcdefgh')}
    pairs = [('abc', 'cba'), ('hgfedc', 'cdefgh'), ('a', 'a')]
    for cell in CELLS:
        for att in ('none', 'dot', 'general', 'additive'):
            for bi in (False, True):
                for feed in (False, True):
                    if (att == 'dot' and bi) or (feed and att == 'none'):
                        continue
                    m = Seq2Seq(12, 12, 5, 6, cell=cell, layers=2, bidirectional=bi, attention=att, input_feeding=feed)
                    loss = m.loss(*batch(pairs, voc, voc)); loss.backward()
                    dead = [n for n, p in m.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
                    assert torch.isfinite(loss) and not dead, (cell, att, bi, feed, dead)
    print('seq2seq reference: all configurations build and train')
