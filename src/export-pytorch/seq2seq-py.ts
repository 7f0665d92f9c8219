/**
 * model.py for a seq2seq model (nn/seq2seq/): the reference definition recur's seq2seq model is checked
 * against (tools/seq2seq_reference.py, the contract of issue 15), its class and batching function as they
 * are there (seq2seq-reference.generated.ts), with build(config) and the interface in the docstring. Its
 * state_dict names are recur's.
 */
import type { Seq2SeqConfig } from '../nn/seq2seq/config.js';
import { VERSION } from '../version.js';
import { SEQ2SEQ_REFERENCE } from './seq2seq-reference.generated.js';

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
