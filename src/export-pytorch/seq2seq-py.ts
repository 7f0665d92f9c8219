/**
 * model.py for a seq2seq model (nn/seq2seq/): the reference definition recur's seq2seq model is checked
 * against (tools/seq2seq_reference.py, the contract of issue 15), its class and batching function as they
 * are there, with build(config) and the interface in the docstring. Its state_dict names are recur's.
 */
import type { Seq2SeqConfig } from '../nn/seq2seq/config.js';
import { VERSION } from '../version.js';

/** The reference's code from `import torch` up to its self-check, verbatim (model-seq2seq.test.ts keeps it so). */
export const SEQ2SEQ_REFERENCE = `import torch
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


`;

export function seq2seqPy(c: Seq2SeqConfig): string {
  const att = c.attention === 'none' ? 'no attention' : `${c.attention} attention${c.input_feeding ? ' with input feeding' : ''}`;
  return `"""A recur seq2seq model in PyTorch, written by \`recur export --format pytorch\` (recur ${VERSION}).

${c.layers} × ${c.bidirectional ? 'bidirectional ' : ''}${c.cell.toUpperCase()} encoder and decoder, hidden ${c.hidden}, embeddings ${c.embed}, ${att};
vocabularies ${c.src_vocab} → ${c.tgt_vocab} symbols (config.json's src_vocab and tgt_vocab; ids 0-3 are <pad>, <bos>, <eos>, <unk>).

    import json
    from model import build, batch
    config = json.load(open('config.json'))
    model = build(config)
    model.load_state_dict(tensors, strict=True)              # recur's tensors under recur's names
    src_ids = {s: i for i, s in enumerate(config['src_vocab'])}
    tgt_ids = {s: i for i, s in enumerate(config['tgt_vocab'])}
    src, src_len, tgt_in, tgt_out = batch([('abc', 'cba')], src_ids, tgt_ids)
    logits, attention = model(src, src_len, tgt_in)           # [T, B, V], [B, T, S] (None without attention)
    loss = model.loss(src, src_len, tgt_in, tgt_out)         # recur's loss: mean cross-entropy over real target steps

Everything below the docstring up to build() is recur's reference definition (tools/seq2seq_reference.py).
Python 3.11, torch 1.13; nothing else.
"""
${SEQ2SEQ_REFERENCE}

def build(config):
    """The model of config.json (the whole file, or its 'config': the Seq2Seq constructor's arguments)."""
    return Seq2Seq(**config.get('config', config))
`;
}
