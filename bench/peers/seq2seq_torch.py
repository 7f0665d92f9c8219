#!/usr/bin/python3
"""The PyTorch side of bench/seq2seq.ts: the reference Seq2Seq (tools/seq2seq_reference.py), same task, sizes,
batch and optimizer, one thread. Prints one JSON line: pairs per second.

    /usr/bin/python3 bench/peers/seq2seq_torch.py [--steps 30] [--feeding] [--attention kind]
"""
import json
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tools'))
from seq2seq_reference import Seq2Seq, BOS, EOS, PAD  # noqa: E402

torch.set_num_threads(1)
args = sys.argv[1:]
arg = lambda name, dflt: args[args.index('--' + name) + 1] if '--' + name in args else dflt  # noqa: E731
steps, B, LEN, SYMBOLS = int(arg('steps', '30')), 64, 20, 12
torch.manual_seed(1)
random.seed(2)
m = Seq2Seq(4 + SYMBOLS, 4 + SYMBOLS, 32, 128, cell='lstm', attention=arg('attention', 'additive'), input_feeding='--feeding' in args)
opt = torch.optim.Adam(m.parameters(), lr=1e-3)


def batch():
    pairs = []
    for _ in range(B):
        x = [4 + random.randrange(SYMBOLS) for _ in range(1 + random.randrange(LEN))]
        pairs.append((x, x[::-1]))
    S = max(len(x) for x, _ in pairs); T = max(len(y) for _, y in pairs) + 1
    src = torch.full((S, B), PAD, dtype=torch.long); tin = torch.full((T, B), PAD, dtype=torch.long)
    tout = torch.full((T, B), PAD, dtype=torch.long)
    for b, (x, y) in enumerate(pairs):
        src[:len(x), b] = torch.tensor(x); tin[:len(y) + 1, b] = torch.tensor([BOS] + y); tout[:len(y) + 1, b] = torch.tensor(y + [EOS])
    return src, torch.tensor([len(x) for x, _ in pairs]), tin, tout


def step():
    b = batch()
    opt.zero_grad()
    loss = m.loss(*b)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(3):
    step()
t0 = time.perf_counter()
for _ in range(steps):
    loss = step()
s = time.perf_counter() - t0
print(json.dumps({'impl': f'pytorch {torch.__version__}', 'attention': m.attention, 'input_feeding': m.input_feeding,
                  'steps': steps, 'batch': B, 'seconds': s, 'pairs_per_s': steps * B / s, 'loss': loss}))
