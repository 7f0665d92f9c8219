#!/usr/bin/python3
"""Generate golden PyTorch fixtures for recur's parity tests.

Run with Debian's Python (which has torch):  /usr/bin/python3 tools/gen_fixtures.py
Writes test/fixtures/torch/<case>.json (one file per case), test/fixtures/torch/optim.json and
test/fixtures/torch/seq2seq/<case>.json (the reference seq2seq model, tools/seq2seq_reference.py; `--only seq2seq`
writes just those; they need node and the repository's node_modules, to write a recur file and load it strictly).

Deterministic: every case seeds torch from a fixed base seed plus a CRC of its name, runs on the CPU with one
thread, in float32, and every float is written as the shortest decimal that round-trips its float32 value.
Re-running produces byte-identical files.
"""
import json
import os
import zlib

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)

BASE_SEED = 1234
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'torch')

T, B, I, H = 5, 3, 3, 4
LENGTHS = [5, 2, 4]


# ----------------------------------------------------------------------------------------------- encoding

def f32(v):
    """Shortest decimal that round-trips the float32 value v, as a Python float."""
    return float(np.format_float_scientific(np.float32(v), unique=True))


def enc(t):
    t = t.detach()
    if t.dtype in (torch.int64, torch.int32):
        return {'shape': list(t.shape), 'data': [int(v) for v in t.reshape(-1).tolist()]}
    assert t.dtype == torch.float32, t.dtype
    return {'shape': list(t.shape), 'data': [f32(v) for v in t.reshape(-1).tolist()]}


def seed_for(name):
    seed = BASE_SEED + zlib.crc32(name.encode('utf-8'))
    torch.manual_seed(seed)
    return seed


def write(name, obj):
    obj['torch_version'] = torch.__version__
    path = os.path.join(OUT_DIR, name + '.json')
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(obj, f, sort_keys=True, separators=(',', ':'))
        f.write('\n')
    return path


# ----------------------------------------------------------------------------------------------- bare RNN cases

def make_rnn(module, nonlinearity, input_size, hidden_size, num_layers, bidirectional):
    if module == 'LSTM':
        return nn.LSTM(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional)
    if module == 'GRU':
        return nn.GRU(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional)
    return nn.RNN(input_size, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                  nonlinearity=nonlinearity)


def rnn_case(name, module, nonlinearity, num_layers, bidirectional, lengths=None):
    seed = seed_for(name)
    D = 2 if bidirectional else 1
    rnn = make_rnn(module, nonlinearity, I, H, num_layers, bidirectional)
    x = torch.randn(T, B, I, requires_grad=True)
    h0 = torch.randn(num_layers * D, B, H, requires_grad=True)
    c0 = torch.randn(num_layers * D, B, H, requires_grad=True) if module == 'LSTM' else None

    R_out = torch.randn(T, B, D * H)
    R_h = torch.randn(num_layers * D, B, H)
    R_c = torch.randn(num_layers * D, B, H) if module == 'LSTM' else None
    if lengths is not None:
        mask = (torch.arange(T)[:, None] < torch.tensor(lengths)[None, :]).to(torch.float32)  # [T, B]
        R_out = R_out * mask[:, :, None]  # zero weight at padded steps (output is zero there anyway)

    hx = (h0, c0) if module == 'LSTM' else h0
    if lengths is None:
        output, hn = rnn(x, hx)
    else:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        out_packed, hn = rnn(packed, hx)
        output, out_lengths = pad_packed_sequence(out_packed, total_length=T)
        assert out_lengths.tolist() == list(lengths)
    if module == 'LSTM':
        h_n, c_n = hn
    else:
        h_n, c_n = hn, None

    loss = (output * R_out).sum() + (h_n * R_h).sum()
    if c_n is not None:
        loss = loss + (c_n * R_c).sum()
    loss.backward()

    params = {k: enc(v) for k, v in rnn.state_dict().items()}
    grads = {k: enc(p.grad) for k, p in rnn.named_parameters()}
    grads['x'] = enc(x.grad)
    grads['h0'] = enc(h0.grad)
    obj = {
        'case': name, 'seed': seed, 'module': module, 'nonlinearity': nonlinearity,
        'input_size': I, 'hidden_size': H, 'num_layers': num_layers, 'bidirectional': bidirectional,
        'seq_len': T, 'batch': B, 'lengths': list(lengths) if lengths is not None else None,
        'prefixed': False,
        'params': params, 'x': enc(x), 'h0': enc(h0),
        'output': enc(output), 'h_n': enc(h_n),
        'loss_weights': {'output': enc(R_out), 'h_n': enc(R_h)},
        'loss': f32(loss.item()), 'grads': grads,
    }
    if module == 'LSTM':
        obj['c0'] = enc(c0)
        obj['c_n'] = enc(c_n)
        obj['loss_weights']['c_n'] = enc(R_c)
        grads['c0'] = enc(c0.grad)
    return obj


# ----------------------------------------------------------------------------------------------- head cases

class LM(nn.Module):
    def __init__(self, module, nonlinearity, vocab, emb, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = make_rnn(module, nonlinearity, emb, hidden, 1, False)
        self.decoder = nn.Linear(hidden, vocab)


def lm_case(name, module, nonlinearity):
    seed = seed_for(name)
    V, E = 6, 3
    model = LM(module, nonlinearity, V, E, H)
    tokens = torch.randint(0, V, (T, B))
    targets = torch.randint(0, V, (T, B))
    h0 = torch.zeros(1, B, H, requires_grad=True)
    c0 = torch.zeros(1, B, H, requires_grad=True) if module == 'LSTM' else None
    emb = model.embedding(tokens)  # [T, B, E]
    hx = (h0, c0) if module == 'LSTM' else h0
    output, hn = model.rnn(emb, hx)
    h_n, c_n = hn if module == 'LSTM' else (hn, None)
    logits = model.decoder(output)  # [T, B, V]
    loss = nn.functional.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B))  # mean over T*B
    loss.backward()

    obj = {
        'case': name, 'seed': seed, 'module': module, 'nonlinearity': nonlinearity,
        'vocab_size': V, 'embedding_dim': E,
        'input_size': E, 'hidden_size': H, 'num_layers': 1, 'bidirectional': False,
        'seq_len': T, 'batch': B, 'lengths': None, 'prefixed': True,
        'loss_fn': 'cross_entropy_mean',
        'params': {k: enc(v) for k, v in model.state_dict().items()},
        'tokens': enc(tokens), 'targets': enc(targets),
        'h0': enc(h0), 'output': enc(output), 'h_n': enc(h_n), 'logits': enc(logits),
        'loss': f32(loss.item()),
        'grads': {k: enc(p.grad) for k, p in model.named_parameters()},
    }
    obj['grads']['h0'] = enc(h0.grad)
    if module == 'LSTM':
        obj['c0'] = enc(c0)
        obj['c_n'] = enc(c_n)
        obj['grads']['c0'] = enc(c0.grad)
    return obj


class Reg(nn.Module):
    def __init__(self, in_size, hidden, out_size):
        super().__init__()
        self.rnn = nn.GRU(in_size, hidden)
        self.decoder = nn.Linear(hidden, out_size)


def reg_case(name):
    seed = seed_for(name)
    In, O = 2, 1
    model = Reg(In, H, O)
    x = torch.randn(T, B, In, requires_grad=True)
    targets = torch.randn(T, B, O)
    h0 = torch.zeros(1, B, H, requires_grad=True)
    output, h_n = model.rnn(x, h0)
    pred = model.decoder(output)  # [T, B, 1]
    loss = nn.functional.mse_loss(pred, targets)  # mean over T*B*O
    loss.backward()
    obj = {
        'case': name, 'seed': seed, 'module': 'GRU', 'nonlinearity': None,
        'input_size': In, 'hidden_size': H, 'output_size': O, 'num_layers': 1, 'bidirectional': False,
        'seq_len': T, 'batch': B, 'lengths': None, 'prefixed': True,
        'loss_fn': 'mse_mean',
        'params': {k: enc(v) for k, v in model.state_dict().items()},
        'x': enc(x), 'targets': enc(targets), 'h0': enc(h0),
        'output': enc(output), 'h_n': enc(h_n), 'pred': enc(pred),
        'loss': f32(loss.item()),
        'grads': {k: enc(p.grad) for k, p in model.named_parameters()},
    }
    obj['grads']['x'] = enc(x.grad)
    obj['grads']['h0'] = enc(h0.grad)
    return obj


# ----------------------------------------------------------------------------------------------- optimizers

HYPER_KEYS = ['lr', 'momentum', 'dampening', 'weight_decay', 'nesterov', 'lr_decay', 'initial_accumulator_value',
              'eps', 'alpha', 'centered', 'betas', 'amsgrad', 'maximize']


def hyper_of(opt):
    g = opt.param_groups[0]
    out = {}
    for k in HYPER_KEYS:
        if k in g:
            v = g[k]
            if isinstance(v, bool):
                out[k] = v
            elif isinstance(v, (tuple, list)):
                out[k] = [float(u) for u in v]
            else:
                out[k] = float(v)
    return out


def optim_fixture():
    seed = seed_for('optim')
    N = 10
    p0 = torch.randn(N)
    grads = [torch.randn(N) for _ in range(3)]
    configs = [
        ('sgd', torch.optim.SGD, dict(lr=0.1)),
        ('sgd_momentum', torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
        ('sgd_nesterov_wd', torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
        ('adagrad', torch.optim.Adagrad, dict(lr=0.1)),
        ('rmsprop', torch.optim.RMSprop, dict(lr=0.01)),
        ('adam', torch.optim.Adam, dict(lr=0.01)),
        ('adam_wd', torch.optim.Adam, dict(lr=0.01, weight_decay=0.1)),
        ('adamw', torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    ]
    optimizers = []
    for name, cls, kw in configs:
        p = nn.Parameter(p0.clone())
        opt = cls([p], **kw)
        steps = []
        for g in grads:
            opt.zero_grad()
            p.grad = g.clone()
            opt.step()
            steps.append(enc(p.data))
        optimizers.append({'name': name, 'class': cls.__name__, 'args': {k: (float(v) if not isinstance(v, bool) else v)
                                                                        for k, v in kw.items()},
                           'hyper': hyper_of(opt), 'steps': steps})

    # clipping: two tensors, global norm over both (as with model.parameters())
    def clip_norm_case(name, scale):
        a = torch.randn(6)
        b = torch.randn(2, 2)
        n = torch.sqrt((a * a).sum() + (b * b).sum())
        a, b = a * (scale / n), b * (scale / n)
        pa, pb = nn.Parameter(torch.zeros(6)), nn.Parameter(torch.zeros(2, 2))
        pa.grad, pb.grad = a.clone(), b.clone()
        total = torch.nn.utils.clip_grad_norm_([pa, pb], max_norm=1.0, norm_type=2.0)
        return {'name': name, 'fn': 'clip_grad_norm_', 'max_norm': 1.0, 'norm_type': 2.0, 'eps': 1e-6,
                'inputs': [enc(a), enc(b)], 'outputs': [enc(pa.grad), enc(pb.grad)],
                'total_norm': f32(total.item())}

    clip = [clip_norm_case('clip_norm_above', 2.5), clip_norm_case('clip_norm_below', 0.6)]
    a = torch.randn(6)
    b = torch.randn(2, 2)
    pa, pb = nn.Parameter(torch.zeros(6)), nn.Parameter(torch.zeros(2, 2))
    pa.grad, pb.grad = a.clone(), b.clone()
    torch.nn.utils.clip_grad_value_([pa, pb], clip_value=0.5)
    clip.append({'name': 'clip_value', 'fn': 'clip_grad_value_', 'clip_value': 0.5,
                 'inputs': [enc(a), enc(b)], 'outputs': [enc(pa.grad), enc(pb.grad)]})

    return {'case': 'optim', 'seed': seed, 'p0': enc(p0), 'grads': [enc(g) for g in grads],
            'optimizers': optimizers, 'clip': clip}


# ----------------------------------------------------------------------------------------------- seq2seq cases
# The reference model of issue 15 (tools/seq2seq_reference.py): loss, every gradient and the weights after one
# SGD step on a batch with padded sources and targets; and for each case, a recur seq2seq file written by recur
# itself (a small tsx script) loaded into the reference with strict=True, its loss compared.

S2S_DIR = os.path.join(OUT_DIR, 'seq2seq')
S2S_LR = 0.5
S2S_CASES = [
    ('lstm_additive_bi_l2', dict(cell='lstm', layers=2, bidirectional=True, attention='additive', attention_size=6)),
    ('gru_general_feeding', dict(cell='gru', layers=1, attention='general', input_feeding=True)),
    ('elman_dot_l2', dict(cell='elman', layers=2, attention='dot')),
    ('lstm_none', dict(cell='lstm', layers=1, attention='none')),
    ('lstm_additive_bi_feeding', dict(cell='lstm', layers=2, bidirectional=True, attention='additive', input_feeding=True)),
    ('gru_dot_feeding_l2', dict(cell='gru', layers=2, attention='dot', input_feeding=True)),
]
# sources of lengths 4, 2, 6, 1 and targets of lengths 3, 5, 0, 2 (ids 4 … 8 / 4 … 7)
S2S_PAIRS = [([4, 5, 6, 7], [5, 6, 4]), ([8, 4], [7, 4, 5, 6, 7]), ([5, 5, 6, 7, 8, 4], []), ([6], [4, 7])]

RECUR_FILE_SCRIPT = """
import { readFileSync, writeFileSync } from 'node:fs';
import { JsBackend } from '%(root)s/src/kernels/js.ts';
import { Seq2Seq } from '%(root)s/src/nn/seq2seq/model.ts';
import { encodeSeq2Seq } from '%(root)s/src/io/seq2seq-file.ts';
const [inPath, outPath] = process.argv.slice(-2);
const f = JSON.parse(readFileSync(inPath, 'utf8'));
const m = new Seq2Seq(f.config, new JsBackend('f32'));
for (const [name, t] of Object.entries(f.params)) m.params.set(name, t.data);
const names = (n, kind) => Array.from({ length: n }, (_, i) => i < 4 ? ['<pad>', '<bos>', '<eos>', '<unk>'][i] : kind + i);
writeFileSync(outPath, encodeSeq2Seq(m, names(f.config.src_vocab, 's'), names(f.config.tgt_vocab, 't')));
"""


def read_safetensors(path):
    """A safetensors file -> (tensors by name, metadata), by the format's definition (no library needed)."""
    import struct
    with open(path, 'rb') as fh:
        raw = fh.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        assert info['dtype'] == 'F32', info
        a, b = info['data_offsets']
        arr = np.frombuffer(raw[base + a:base + b], dtype='<f4').copy()
        tensors[name] = torch.from_numpy(arr.reshape(info['shape']))
    return tensors, meta


def recur_file_loss(obj, batch_tensors):
    """recur writes its file from the fixture's weights; the reference loads it strictly and scores the batch."""
    import subprocess
    import tempfile
    from seq2seq_reference import Seq2Seq
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    with tempfile.TemporaryDirectory() as tmp:
        script, fixture, out = (os.path.join(tmp, n) for n in ('write.ts', 'case.json', 'model.safetensors'))
        with open(script, 'w') as fh:
            fh.write(RECUR_FILE_SCRIPT % {'root': root})
        with open(fixture, 'w') as fh:
            json.dump(obj, fh)
        subprocess.run(['node', '--import', 'tsx', script, fixture, out], cwd=root, check=True)
        tensors, meta = read_safetensors(out)
    assert meta['kind'] == 'seq2seq' and json.loads(meta['src_vocab'])[:4] == ['<pad>', '<bos>', '<eos>', '<unk>']
    model = Seq2Seq(**json.loads(meta['config']))
    model.load_state_dict(tensors, strict=True)
    return {'strict_load': True, 'config': json.loads(meta['config']), 'tensor_order': list(tensors.keys()),
            'loss': f32(model.loss(*batch_tensors).item())}


def s2s_case(name, kwargs):
    import inspect
    from seq2seq_reference import Seq2Seq, PAD, BOS, EOS
    seed = seed_for('seq2seq_' + name)
    sig = inspect.signature(Seq2Seq.__init__)
    config = {k: v.default for k, v in sig.parameters.items() if k != 'self'}
    config.update(dict(src_vocab=9, tgt_vocab=8, embed=4, hidden=5), **kwargs)
    model = Seq2Seq(**config)
    S = max(len(x) for x, _ in S2S_PAIRS); T = max(len(y) for _, y in S2S_PAIRS) + 1; B = len(S2S_PAIRS)
    src = torch.full((S, B), PAD, dtype=torch.long); tin = torch.full((T, B), PAD, dtype=torch.long)
    tout = torch.full((T, B), PAD, dtype=torch.long)
    for b, (x, y) in enumerate(S2S_PAIRS):
        src[:len(x), b] = torch.tensor(x); tin[:len(y) + 1, b] = torch.tensor([BOS] + y); tout[:len(y) + 1, b] = torch.tensor(y + [EOS])
    src_len = torch.tensor([len(x) for x, _ in S2S_PAIRS])
    params = {k: enc(v) for k, v in model.state_dict().items()}
    logits, weights = model(src, src_len, tin)
    loss = model.loss(src, src_len, tin, tout)
    loss.backward()
    grads = {k: enc(p.grad) for k, p in model.named_parameters()}
    with torch.no_grad():
        for p in model.parameters():
            p -= S2S_LR * p.grad
    after = {k: enc(v) for k, v in model.state_dict().items()}
    loss_after = model.loss(src, src_len, tin, tout)
    obj = {
        'case': name, 'seed': seed, 'config': config, 'param_order': list(params.keys()),
        'params': params, 'src': enc(src), 'src_len': enc(src_len), 'tgt_in': enc(tin), 'tgt_out': enc(tout),
        'logits': enc(logits), 'attention': enc(weights) if weights is not None else None,
        'loss': f32(loss.item()), 'grads': grads, 'lr': S2S_LR, 'after': after, 'loss_after': f32(loss_after.item()),
    }
    obj['recur_file'] = recur_file_loss(obj, (src, src_len, tin, tout))
    assert abs(obj['recur_file']['loss'] - obj['loss']) <= 1e-5 + 1e-4 * abs(obj['loss']), (name, obj['recur_file']['loss'], obj['loss'])
    return obj


def seq2seq_fixtures():
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(S2S_DIR, exist_ok=True)
    return [write(os.path.join('seq2seq', name), s2s_case(name, kw)) for name, kw in S2S_CASES]


# ----------------------------------------------------------------------------------------------- main

def main():
    import sys
    os.makedirs(OUT_DIR, exist_ok=True)
    if sys.argv[1:] == ['--only', 'seq2seq']:
        written = seq2seq_fixtures()
        print(f'torch {torch.__version__}: wrote {len(written)} seq2seq fixtures to {os.path.normpath(S2S_DIR)}')
        return
    written = []
    kinds = [('rnn_tanh', 'RNN', 'tanh'), ('rnn_relu', 'RNN', 'relu'), ('lstm', 'LSTM', None), ('gru', 'GRU', None)]
    for prefix, module, nl in kinds:
        for L in (1, 2):
            for bi in (False, True):
                name = f'{prefix}_l{L}_{"bi" if bi else "uni"}'
                written.append(write(name, rnn_case(name, module, nl, L, bi)))
    for prefix, module, nl in [k for k in kinds if k[0] != 'rnn_relu']:
        for L in (1, 2):
            for bi in (False, True):
                name = f'{prefix}_l{L}_{"bi" if bi else "uni"}_packed'
                written.append(write(name, rnn_case(name, module, nl, L, bi, lengths=LENGTHS)))
    written.append(write('lm_lstm', lm_case('lm_lstm', 'LSTM', None)))
    written.append(write('lm_gru', lm_case('lm_gru', 'GRU', None)))
    written.append(write('lm_rnn_tanh', lm_case('lm_rnn_tanh', 'RNN', 'tanh')))
    written.append(write('reg_gru', reg_case('reg_gru')))
    written.append(write('optim', optim_fixture()))
    written.extend(seq2seq_fixtures())
    total = sum(os.path.getsize(p) for p in written)
    print(f'torch {torch.__version__}: wrote {len(written)} fixtures ({total} bytes) to {os.path.normpath(OUT_DIR)}')


if __name__ == '__main__':
    main()
