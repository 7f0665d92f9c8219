#!/usr/bin/python3
"""Generate golden PyTorch fixtures for recur's parity tests.

Run with Debian's Python (which has torch):  /usr/bin/python3 tools/gen_fixtures.py
Writes test/fixtures/torch/<case>.json (one file per case) and test/fixtures/torch/optim.json.

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


# ----------------------------------------------------------------------------------------------- main

def main():
    os.makedirs(OUT_DIR, exist_ok=True)
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
    total = sum(os.path.getsize(p) for p in written)
    print(f'torch {torch.__version__}: wrote {len(written)} fixtures ({total} bytes) to {os.path.normpath(OUT_DIR)}')


if __name__ == '__main__':
    main()
