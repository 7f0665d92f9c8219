#!/usr/bin/env python3
"""Write torch.onnx.export fixtures for `recur import` (test/onnx/import.test.ts):
character models (embedding -> LSTM/GRU/RNN -> linear) as PyTorch users export them, with the logits and
final states PyTorch computes for a fixed token sequence, so the test can check recur's import exactly;
and classifiers (embedding -> LSTM/GRU -> linear on h_n[-1]) with PyTorch's logits per sequence.

    /usr/bin/python3 tools/onnx_fixtures.py      # writes test/fixtures/onnx/*.onnx and *.json
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')
# The symbols of every fixture, in the model's id order (deliberately not code-point order for one of them).
VOCAB = sorted(set('the cat sat on the mat.\n'))


class CharModel(torch.nn.Module):
    def __init__(self, cell, V, E, H, layers, batch_first=False, **kw):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = getattr(torch.nn, cell)(E, H, layers, batch_first=batch_first, **kw)
        self.decoder = torch.nn.Linear(H, V)
        self.lstm = cell == 'LSTM'

    def forward(self, tokens, h0, c0=None):
        x = self.embedding(tokens)
        y, state = self.rnn(x, (h0, c0) if self.lstm else h0)
        logits = self.decoder(y)
        return (logits, *state) if self.lstm else (logits, state)


def export(name, cell, layers, vocab, batch_first=False, **kw):
    torch.manual_seed(len(name))
    V, E, H, T, B = len(vocab), 5, 6, 7, 2
    m = CharModel(cell, V, E, H, layers, batch_first, **kw).eval()
    with torch.no_grad():  # biases large enough to matter
        for p in m.parameters():
            p.mul_(1.5)
    tokens = torch.randint(0, V, (B, T) if batch_first else (T, B))
    h0 = 0.5 * torch.randn(layers, B, H)
    c0 = 0.5 * torch.randn(layers, B, H)
    args = (tokens, h0, c0) if cell == 'LSTM' else (tokens, h0)
    inputs = ['tokens', 'h0', 'c0'] if cell == 'LSTM' else ['tokens', 'h0']
    outputs = ['logits', 'hn', 'cn'] if cell == 'LSTM' else ['logits', 'hn']
    seq = {0: 'B', 1: 'T'} if batch_first else {0: 'T', 1: 'B'}
    dyn = {'tokens': seq, 'h0': {1: 'B'}, 'c0': {1: 'B'}, 'logits': seq, 'hn': {1: 'B'}, 'cn': {1: 'B'}}
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(m, args, path, opset_version=14, input_names=inputs, output_names=outputs,
                      dynamic_axes={k: v for k, v in dyn.items() if k in inputs + outputs})
    with torch.no_grad():
        res = m(*args)
    if batch_first:  # the reference in recur's time-major layout
        tokens, logits = tokens.t(), res[0].transpose(0, 1)
    else:
        logits = res[0]
    ref = {'vocab': vocab, 'cell': cell.lower(), 'layers': layers, 'T': T, 'B': B,
           'tokens': tokens.flatten().tolist(), 'h0': h0.flatten().tolist(), 'c0': c0.flatten().tolist() if cell == 'LSTM' else None,
           'logits': logits.flatten().tolist(), 'hn': res[1].flatten().tolist(),
           'cn': res[2].flatten().tolist() if cell == 'LSTM' else None, 'nonlinearity': kw.get('nonlinearity', 'tanh')}
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(ref, f)


class Classifier(torch.nn.Module):
    """A text classifier as PyTorch users write it: the linear layer reads the top layer's final state."""
    def __init__(self, cell, V, E, H, layers, C, batch_first):
        super().__init__()
        self.embedding = torch.nn.Embedding(V, E)
        self.rnn = getattr(torch.nn, cell)(E, H, layers, batch_first=batch_first)
        self.fc = torch.nn.Linear(H, C)
        self.lstm = cell == 'LSTM'

    def forward(self, tokens):
        _, state = self.rnn(self.embedding(tokens))
        h = state[0] if self.lstm else state
        return self.fc(h[-1])


def export_classifier(name, cell, layers, batch_first=False):
    torch.manual_seed(len(name))
    tokens_vocab = ['<unk>', 'the', 'cat', 'sat', 'on', 'mat', 'dog', 'ran']
    V, E, H, T, B, C = len(tokens_vocab), 4, 5, 6, 3, 3
    m = Classifier(cell, V, E, H, layers, C, batch_first).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(1.5)
    tokens = torch.randint(0, V, (B, T) if batch_first else (T, B))
    seq = {0: 'B', 1: 'T'} if batch_first else {0: 'T', 1: 'B'}
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(m, (tokens,), path, opset_version=14, input_names=['tokens'], output_names=['logits'],
                      dynamic_axes={'tokens': seq, 'logits': {0: 'B'}})
    with torch.no_grad():
        logits = m(tokens)
    ref = {'vocab': tokens_vocab, 'labels': ['neg', 'neu', 'pos'], 'T': T, 'B': B,
           'tokens': (tokens.t() if batch_first else tokens).flatten().tolist(), 'logits': logits.flatten().tolist()}
    with open(os.path.join(OUT, f'{name}.json'), 'w') as f:
        json.dump(ref, f)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    export('torch_lstm2', 'LSTM', 2, VOCAB)
    export('torch_gru1', 'GRU', 1, VOCAB)
    export('torch_rnn_relu2', 'RNN', 2, VOCAB, nonlinearity='relu')
    export('torch_lstm_batch_first', 'LSTM', 1, list(reversed(VOCAB)), batch_first=True)
    export_classifier('torch_clf_lstm2', 'LSTM', 2)
    export_classifier('torch_clf_gru1_batch_first', 'GRU', 1, batch_first=True)
