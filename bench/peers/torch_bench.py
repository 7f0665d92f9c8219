#!/usr/bin/python3
"""PyTorch CPU peer of the recur benchmark (run with Debian's /usr/bin/python3 and python3-torch).

The same workloads as recur (bench/workloads.ts hands the spec over as JSON): nn.RNN/LSTM/GRU
(time-major) -> nn.Linear -> cross-entropy at every step, one-hot inputs, Adam or Adagrad,
clip_grad_norm_ / clip_grad_value_, truncated BPTT over batch streams of the train split with the
hidden state carried (detached) from chunk to chunk. S1: sampling W2's model one character at a
time under torch.no_grad().

Threads: torch.set_num_threads(n); the driver also sets OPENBLAS_NUM_THREADS=n and
OPENBLAS_CORETYPE (OpenBLAS 0.3.21 mis-detects recent CPUs) before starting this process.
Prints one JSON line on stdout.
"""
import argparse
import ctypes
import json
import os
import re
import resource
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument('--spec', required=True)
    ap.add_argument('--window', required=True)
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--quality', type=float, default=0.0)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--backend', default='')
    return ap.parse_args()


# bench/words.ts's rule: runs of ASCII letters, runs of digits, any other code point but space, tab, CR, LF, FF.
WORD = re.compile(r'[A-Za-z]+|[0-9]+|[^ \t\n\r\fA-Za-z0-9]')


def word_ids(text, size):
    """<unk> = 0, then the size - 1 most frequent words (count descending, ties in code-point order)."""
    tokens = WORD.findall(text)
    counts = {}
    for w in tokens:
        counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda e: (-e[1], e[0]))[:size - 1]
    index = {w: i + 1 for i, (w, _) in enumerate(ranked)}
    return [index.get(w, 0) for w in tokens]


def load_corpus(path, words=0):
    """Vocabulary = sorted distinct characters (code-point order), or W6's words; first 90% train, last 10% val."""
    with open(path, 'rb') as f:
        text = f.read().decode('utf-8')
    if words:
        ids, size = word_ids(text, words), words
    else:
        chars = sorted(set(text))
        index = {c: i for i, c in enumerate(chars)}
        ids, size = [index[c] for c in text], len(chars)
    n_val = int(round(len(ids) * 0.1))  # recur's splitTrainVal: Math.round(n * 0.1)
    return size, ids[:len(ids) - n_val], ids[len(ids) - n_val:]


class Streams:
    """char-rnn batching exactly as recur's StreamBatcher: `batch` contiguous streams of
    L = (n - 1) // batch inputs, chunks of `seq`, a new epoch when fewer than `seq` remain."""

    def __init__(self, torch, ids, batch, seq):
        data = torch.tensor(ids, dtype=torch.long)
        self.L = (len(ids) - 1) // batch
        self.x = data[:batch * self.L].view(batch, self.L)
        self.y = data[1:batch * self.L + 1].view(batch, self.L)
        self.seq, self.offset = seq, 0
        self.batches_per_epoch = self.L // seq

    def next(self):
        o, T = self.offset, self.seq
        x = self.x[:, o:o + T].t().contiguous()  # time-major [T, B]
        y = self.y[:, o:o + T].t().contiguous()
        reset = o == 0
        self.offset += T
        if self.offset + T > self.L:
            self.offset = 0
        return x, y, reset


def build(torch, spec, V, seed):
    """The recurrent stack, the decoder, and the input encoding: one-hot, or nn.Embedding when spec['embed']."""
    nn, F = torch.nn, torch.nn.functional
    torch.manual_seed(seed)
    cls = {'lstm': nn.LSTM, 'gru': nn.GRU, 'elman': nn.RNN}[spec['cell']]
    E = spec.get('embed') or 0
    rnn = cls(E or V, spec['hidden'], spec['layers'])
    decoder = nn.Linear(spec['hidden'], V)
    if E:
        return rnn, decoder, nn.Embedding(V, E)
    return rnn, decoder, lambda x: F.one_hot(x, V).float()


def detach(state):
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def training_loop(torch, spec, V, train_ids, seed):
    F = torch.nn.functional
    rnn, decoder, encode = build(torch, spec, V, seed)
    params = list(rnn.parameters()) + list(decoder.parameters())
    if isinstance(encode, torch.nn.Module):
        params += list(encode.parameters())
    if spec['optimizer'] == 'adam':
        opt = torch.optim.Adam(params, lr=spec['lr'])
    else:
        opt = torch.optim.Adagrad(params, lr=spec['lr'])
    streams = Streams(torch, train_ids, spec['batch'], spec['seq'])
    box = {'state': None}

    def step():
        x, y, reset = streams.next()
        state = None if reset else detach(box['state'])
        out, box['state'] = rnn(encode(x), state)
        logits = decoder(out)
        loss = F.cross_entropy(logits.view(-1, V), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if spec['clipValue'] > 0:
            torch.nn.utils.clip_grad_value_(params, spec['clipValue'])
        if spec['clipNorm'] > 0:
            torch.nn.utils.clip_grad_norm_(params, spec['clipNorm'])
        opt.step()
        return loss.item()

    return (rnn, decoder, encode), step


def validation_loss(torch, model, V, val_ids, batch, seq):
    """Mean cross-entropy over the val split: the same streams and chunks as bench/recur.ts."""
    F = torch.nn.functional
    rnn, decoder, encode = model
    streams = Streams(torch, val_ids, batch, seq)
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for _ in range(streams.batches_per_epoch):
            x, y, _ = streams.next()
            out, state = rnn(encode(x), state)
            logits = decoder(out)
            total += F.cross_entropy(logits.view(-1, V), y.view(-1), reduction='sum').item()
            count += y.numel()
    return total / count


class Progress:
    """`@bench <steps> <seconds>` on stderr at most once a second (see progressReporter in bench/measure.ts)."""

    def __init__(self):
        self.t0 = self.last = time.perf_counter()
        self.steps = 0
        sys.stderr.write('@bench 0 0\n')
        sys.stderr.flush()

    def tick(self):
        self.steps += 1
        now = time.perf_counter()
        if now - self.last >= 1.0:
            self.last = now
            sys.stderr.write('@bench %d %.3f\n' % (self.steps, now - self.t0))
            sys.stderr.flush()


def time_steps(step, chars_per_step, w):
    """The timing rule of bench/measure.ts: warm up, then time whole steps."""
    progress = Progress()

    def phase(min_seconds, min_steps):
        t0 = time.perf_counter()
        steps, loss = 0, 0.0
        while True:
            loss += step()
            steps += 1
            progress.tick()
            elapsed = time.perf_counter() - t0
            if elapsed >= w['capSeconds'] or (elapsed >= min_seconds and steps >= min_steps):
                return steps, elapsed, loss / steps
    ws, wt, wl = phase(w['warmupSeconds'], w['warmupSteps'])
    cold = ws == 1 and wt >= w['capSeconds']  # one step longer than the cap: timed by itself
    s, t, l = (ws, wt, wl) if cold else phase(w['measureSeconds'], 1)
    return {'charsPerSec': s * chars_per_step / t, 'steps': s, 'seconds': t, 'cold': cold,
            'warmupSteps': 0 if cold else ws, 'warmupSeconds': 0 if cold else wt, 'trainLoss': l}


def sampler(torch, spec, V, seed):
    F = torch.nn.functional
    rnn, decoder, _ = build(torch, spec['model'], V, seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.zeros(1, 1, V)
    temperature = spec['temperature']

    def generate(length, first):
        state, cur, checksum = None, first, 0
        with torch.no_grad():
            for _ in range(length):
                x.zero_()
                x[0, 0, cur] = 1.0
                out, state = rnn(x, state)
                p = F.softmax(decoder(out[0, 0]) / temperature, dim=-1)
                cur = int(torch.multinomial(p, 1, generator=gen).item())
                checksum += cur
        return float('nan')

    return generate


def blas_info(torch):
    """Which BLAS the process really loaded (torch's config only says 'generic' on Debian) and the
    OpenBLAS core it runs kernels for."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # make sure the BLAS is loaded
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and 'blas' in parts[-1].lower():
                libs.add(parts[-1])
    info = {'blasLibraries': ' '.join(sorted(libs))}
    for lib in sorted(libs):
        if 'libopenblas' in lib:
            try:
                so = ctypes.CDLL(lib)
                so.openblas_get_corename.restype = ctypes.c_char_p
                so.openblas_get_config.restype = ctypes.c_char_p
                info['openblasCore'] = so.openblas_get_corename().decode()
                info['openblasConfig'] = so.openblas_get_config().decode()
            except (OSError, AttributeError):
                pass
    return info


def main():
    args = parse_args()
    spec, w = json.loads(args.spec), json.loads(args.window)
    result = {'peer': 'torch', 'workload': spec['id'], 'threads': args.threads, 'backend': 'cpu'}
    try:
        import numpy
        import torch
        torch.set_num_threads(args.threads)
        V, train_ids, val_ids = load_corpus(args.corpus, spec.get('words') or 0)
        result['versions'] = {'torch': torch.__version__, 'numpy': numpy.__version__,
                              'python': sys.version.split()[0], **blas_info(torch)}
        cell = {'lstm': 'LSTM', 'gru': 'GRU', 'elman': 'RNN'}[(spec['model'] if spec['kind'] == 'sample' else spec).get('cell', 'lstm')]
        result['deviations'] = ['nn.Embedding into nn.%s' % cell if spec.get('embed') else 'one-hot inputs (F.one_hot) into nn.%s' % cell]
        if spec['kind'] == 'gemm':  # G1: the kernel reference, C = A·Bᵀ as in bench/recur.ts
            result['deviations'] = []
            m, n, k = spec['m'], spec['n'], spec['k']
            a, b, c = torch.randn(m, k), torch.randn(n, k), torch.empty(m, n)
            bt = b.t()

            def gemm_step():
                torch.mm(a, bt, out=c)
                return float('nan')
            t = time_steps(gemm_step, 2 * m * n * k, w)
            t['gflops'] = t.pop('charsPerSec') / 1e9
            t.pop('trainLoss', None)
            result.update(t)
        elif spec['kind'] == 'sample':
            generate = sampler(torch, spec, V, args.seed)
            result.update(time_steps(lambda: generate(spec['length'], 0), spec['length'], w))
            result.pop('trainLoss', None)
        elif args.quality > 0:  # its own run: a fresh model, `quality` seconds of training, then validation
            model, step = training_loop(torch, spec, V, train_ids, args.seed)
            t0, steps = time.perf_counter(), 0
            while time.perf_counter() - t0 < args.quality:
                step()
                steps += 1
            result['valLoss'] = validation_loss(torch, model, V, val_ids, spec['batch'], spec['seq'])
            result['qualitySteps'] = steps
        else:
            _, step = training_loop(torch, spec, V, train_ids, args.seed)
            result.update(time_steps(step, spec['batch'] * spec['seq'], w))
        result['threadsUsed'] = torch.get_num_threads()
        result['peakRssMB'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result), flush=True)
    except Exception as e:  # one line for the table, never a traceback on stdout
        result['error'] = ('%s: %s' % (type(e).__name__, e)).splitlines()[0]
        print(json.dumps(result), flush=True)
        sys.exit(1)


if __name__ == '__main__':
    main()
