"""PyTorch's standard char-LSTM (workload W2 of shared/WORKLOADS.md) trained for a fixed wall time on one
thread, then scored like `recur eval`: the last 10% of Moby Dick as one stream from a zero state.

Run: OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/quality/torch_w2.py [seconds] [tuned]
Prints one JSON line: {"framework": "pytorch", "seconds", "steps", "val_loss" (nats/char), "val_bpc"}.

`tuned` trains PyTorch with the settings recur's measured defaults chose for Moby Dick at 180 s (an LSTM of
384 units on a 64-wide embedding, batch 8 x 64, Adam 5e-3 with a cosine decay over the wall time to 5e-4,
global-norm clip 5, scored with recur's moving average of the weights, beta_k = min(0.999, (1+k)/(10+k))): the same model tuned the same way, so the comparison is of the engines, not of the
settings. W2 (the default) is the standard char-rnn workload as WORKLOADS.md defines it.
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

tuned = len(sys.argv) > 2 and sys.argv[2] == 'tuned'
H, B, T = (384, 8, 64) if tuned else (256, 32, 64)
E = 64 if tuned else V
LR, LR_MIN = (5e-3, 5e-4) if tuned else (2e-3, 2e-3)

class CharLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E)   # W2: E = V, equivalent to one-hot times a matrix (WORKLOADS.md)
        self.rnn = nn.LSTM(E, H)
        self.decoder = nn.Linear(H, V)
    def forward(self, x, state):
        y, state = self.rnn(self.embedding(x), state)
        return self.decoder(y), state

model = CharLSTM()
opt = torch.optim.Adam(model.parameters(), lr=LR)
L = (len(train) - 1) // B
streams = train[: L * B + 1]
xs = torch.stack([train[b * L: b * L + L] for b in range(B)], 1)       # [L, B]
ys = torch.stack([train[b * L + 1: b * L + L + 1] for b in range(B)], 1)
avg = [p.detach().clone() for p in model.parameters()] if tuned else None
state = None
pos, steps = 0, 0
start = time.time()
while time.time() - start < seconds:
    if tuned:  # cosine over the wall time, as recur's --time schedule
        for g in opt.param_groups:
            g['lr'] = LR_MIN + 0.5 * (LR - LR_MIN) * (1 + math.cos(math.pi * min(1.0, (time.time() - start) / seconds)))
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
    if avg is not None:
        beta = min(0.999, (1 + steps) / (10 + steps))
        with torch.no_grad():
            for a, p in zip(avg, model.parameters()):
                a.mul_(beta).add_(p, alpha=1 - beta)
    steps += 1
elapsed = time.time() - start
with torch.no_grad():
    if avg is not None:
        for a, p in zip(avg, model.parameters()):
            p.copy_(a)
    logits, _ = model(val[:-1].unsqueeze(1), None)
    vl = nn.functional.cross_entropy(logits.reshape(-1, V), val[1:]).item()
print(json.dumps({"framework": "pytorch", "workload": "tuned" if tuned else "W2", "seconds": round(elapsed, 1), "steps": steps,
                  "train_chars": steps * B * T, "val_loss": vl, "val_bpc": vl / math.log(2), "torch": torch.__version__}))
