#!/usr/bin/python3
"""Karpathy's min-char-rnn (https://gist.github.com/karpathy/d4dee566867f8291f086, BSD) as the W1 peer.

The model, loss function and update are his code unchanged: a tanh Elman RNN with one-hot inputs as
column vectors, float64, hidden 100, seq_length 25, Adagrad with learning rate 1e-1, gradients
clipped to [-5, 5], the hidden state carried from chunk to chunk and reset at the start of the data.
What is added: reading the workload spec and the train split (the same one recur trains on), the
timing rule of bench/measure.ts, an optional validation loss, and one JSON line on stdout.
Threads: numpy's BLAS (OpenBLAS) follows OPENBLAS_NUM_THREADS, set by the driver.
"""
import argparse
import json
import resource
import sys
import time

import numpy as np


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


def main():
    args = parse_args()
    spec, w = json.loads(args.spec), json.loads(args.window)
    result = {'peer': 'numpy', 'workload': spec['id'], 'threads': args.threads, 'backend': 'min-char-rnn',
              'versions': {'numpy': np.__version__, 'python': sys.version.split()[0]}}
    if spec['kind'] != 'train' or spec['cell'] != 'elman' or spec['batch'] != 1 or spec['layers'] != 1:
        result['unsupported'] = 'min-char-rnn is a one-layer Elman RNN at batch 1 (W1 only)'
        print(json.dumps(result), flush=True)
        return
    np.random.seed(args.seed)

    # data I/O: the benchmark's train split (first 90%), vocabulary = sorted distinct characters
    with open(args.corpus, 'rb') as f:
        text = f.read().decode('utf-8')
    chars = sorted(set(text))
    n_val = int(round(len(text) * 0.1))
    data, val = text[:len(text) - n_val], text[len(text) - n_val:]
    vocab_size = len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}

    # hyperparameters
    hidden_size = spec['hidden']  # 100
    seq_length = spec['seq']  # 25
    learning_rate = spec['lr']  # 1e-1
    clip = spec['clipValue']  # 5

    # model parameters
    Wxh = np.random.randn(hidden_size, vocab_size) * 0.01  # input to hidden
    Whh = np.random.randn(hidden_size, hidden_size) * 0.01  # hidden to hidden
    Why = np.random.randn(vocab_size, hidden_size) * 0.01  # hidden to output
    bh = np.zeros((hidden_size, 1))  # hidden bias
    by = np.zeros((vocab_size, 1))  # output bias

    def lossFun(inputs, targets, hprev):
        """inputs,targets are both list of integers. hprev is Hx1 array of initial hidden state
        returns the loss, gradients on model parameters, and last hidden state"""
        xs, hs, ys, ps = {}, {}, {}, {}
        hs[-1] = np.copy(hprev)
        loss = 0
        # forward pass
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab_size, 1))  # encode in 1-of-k representation
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)  # hidden state
            ys[t] = np.dot(Why, hs[t]) + by  # unnormalized log probabilities for next chars
            ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))  # probabilities for next chars
            loss += -np.log(ps[t][targets[t], 0])  # softmax (cross-entropy loss)
        # backward pass: compute gradients going backwards
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1  # backprop into y
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Why.T, dy) + dhnext  # backprop into h
            dhraw = (1 - hs[t] * hs[t]) * dh  # backprop through tanh nonlinearity
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -clip, clip, out=dparam)  # clip to mitigate exploding gradients
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    mWxh, mWhh, mWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    mbh, mby = np.zeros_like(bh), np.zeros_like(by)  # memory variables for Adagrad
    st = {'n': 0, 'p': 0, 'hprev': None}

    def step():
        # prepare inputs (we're sweeping from left to right in steps seq_length long)
        if st['p'] + seq_length + 1 >= len(data) or st['n'] == 0:
            st['hprev'] = np.zeros((hidden_size, 1))  # reset RNN memory
            st['p'] = 0  # go from start of data
        p = st['p']
        inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
        targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
        # forward seq_length characters through the net and fetch gradient
        loss, dWxh, dWhh, dWhy, dbh, dby, st['hprev'] = lossFun(inputs, targets, st['hprev'])
        # perform parameter update with Adagrad
        for param, dparam, mem in zip([Wxh, Whh, Why, bh, by],
                                      [dWxh, dWhh, dWhy, dbh, dby],
                                      [mWxh, mWhh, mWhy, mbh, mby]):
            mem += dparam * dparam
            param += -learning_rate * dparam / np.sqrt(mem + 1e-8)  # adagrad update
        st['p'] += seq_length  # move data pointer
        st['n'] += 1  # iteration counter
        return loss / seq_length

    progress = {'t0': None, 'last': 0.0, 'steps': 0}

    def tick():  # `@bench <steps> <seconds>` on stderr at most once a second (bench/measure.ts)
        now = time.perf_counter()
        if progress['t0'] is None:
            progress['t0'] = progress['last'] = now
            sys.stderr.write('@bench 0 0\n')
            return
        progress['steps'] += 1
        if now - progress['last'] >= 1.0:
            progress['last'] = now
            sys.stderr.write('@bench %d %.3f\n' % (progress['steps'], now - progress['t0']))
            sys.stderr.flush()

    def phase(min_seconds, min_steps):
        t0 = time.perf_counter()
        steps, loss = 0, 0.0
        if progress['t0'] is None:
            tick()
        while True:
            loss += step()
            steps += 1
            tick()
            elapsed = time.perf_counter() - t0
            if elapsed >= w['capSeconds'] or (elapsed >= min_seconds and steps >= min_steps):
                return steps, elapsed, loss / steps

    def validation_loss():
        """Mean cross-entropy over the val split, the state carried through it (recur's protocol at batch 1)."""
        h, total, count = np.zeros((hidden_size, 1)), 0.0, 0
        ids = [char_to_ix[ch] for ch in val]
        n_in = ((len(ids) - 1) // seq_length) * seq_length
        for t in range(n_in):
            x = np.zeros((vocab_size, 1))
            x[ids[t]] = 1
            h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
            y = np.dot(Why, h) + by
            m = y.max()
            total += -(y[ids[t + 1], 0] - m - np.log(np.sum(np.exp(y - m))))
            count += 1
        return total / count

    try:
        if args.quality > 0:
            t0, steps = time.perf_counter(), 0
            while time.perf_counter() - t0 < args.quality:
                step()
                steps += 1
            result['valLoss'] = validation_loss()
            result['qualitySteps'] = steps
        else:
            ws, wt, wl = phase(w['warmupSeconds'], w['warmupSteps'])
            cold = ws == 1 and wt >= w['capSeconds']  # the rule of bench/measure.ts
            s, t, l = (ws, wt, wl) if cold else phase(w['measureSeconds'], 1)
            result.update({'charsPerSec': s * seq_length / t, 'steps': s, 'seconds': t, 'cold': cold,
                           'warmupSteps': 0 if cold else ws, 'warmupSeconds': 0 if cold else wt, 'trainLoss': l})
        result['deviations'] = ['float64 (numpy default), one-hot column vectors, one sequence']
        result['peakRssMB'] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(json.dumps(result), flush=True)
    except Exception as e:
        result['error'] = ('%s: %s' % (type(e).__name__, e)).splitlines()[0]
        print(json.dumps(result), flush=True)
        sys.exit(1)


if __name__ == '__main__':
    main()
