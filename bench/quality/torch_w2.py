"""PyTorch's standard char-LSTM (workload W2 of shared/WORKLOADS.md) trained for a fixed wall time on one
thread, then scored like `recur eval`: the last 10% of Moby Dick as one stream from a zero state.

Run: OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/quality/torch_w2.py [seconds]
Prints one JSON line: {"framework": "pytorch", "seconds", "steps", "val_loss" (nats/char), "val_bpc"}.
"""
import json, math, os, sys, time
import torch
import torch.nn as nn

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 120.0
torch.set_num_threads(1)
torch.manual_seed(0)
root = os.path.join(os.path.dirname(__file__), '..', '..', 'node_modules', '@stdlib', 'datasets-moby-dick', 'data', 'data.txt')
text = open(root, encoding='utf-8').read()
chars = sorted(set(text))
V = len(chars)
idx = {c: i for i, c in enumerate(chars)}
data = torch.tensor([idx[c] for c in text], dtype=torch.long)
n_train = int(len(data) * 0.9)
train, val = data[:n_train], data[n_train:]

H, B, T = 256, 32, 64

class CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, V)   # equivalent to one-hot times a matrix (WORKLOADS.md)
        self.rnn = nn.LSTM(V, H)
        self.decoder = nn.Linear(H, V)
    def forward(self, x, state):
        y, state = self.rnn(self.embedding(x), state)
        return self.decoder(y), state

model = CharLSTM()
opt = torch.optim.Adam(model.parameters(), lr=2e-3)
L = (len(train) - 1) // B
streams = train[: L * B + 1]
xs = torch.stack([train[b * L: b * L + L] for b in range(B)], 1)       # [L, B]
ys = torch.stack([train[b * L + 1: b * L + L + 1] for b in range(B)], 1)
state = None
pos, steps = 0, 0
start = time.time()
while time.time() - start < seconds:
    if pos + T > L:
        pos, state = 0, None
    x, y = xs[pos:pos + T], ys[pos:pos + T]
    pos += T
    logits, state = model(x, state)
    state = tuple(s.detach() for s in state)
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    steps += 1
elapsed = time.time() - start
with torch.no_grad():
    logits, _ = model(val[:-1].unsqueeze(1), None)
    vl = nn.functional.cross_entropy(logits.reshape(-1, V), val[1:]).item()
print(json.dumps({"framework": "pytorch", "workload": "W2", "seconds": round(elapsed, 1), "steps": steps,
                  "train_chars": steps * B * T, "val_loss": vl, "val_bpc": vl / math.log(2), "torch": torch.__version__}))
