"""Runs the cases of model-parity.test.ts through the exported model.py files, in float64: one process for all.

stdin: a JSON list of cases (the model.py text, config.json, recur's tensors, the batches, recur's state before the
last chunk, dropout masks). stdout: per case and per path (torch.nn's module, and step_by_step where that differs),
the loss, the state after it, the tensors after one SGD step, and what initial_state(B) gave.
"""
import importlib.util
import json
import os
import sys
import tempfile

import torch

torch.set_default_dtype(torch.float64)


def load_module(text, name, folder):
    path = os.path.join(folder, f'{name}.py')
    with open(path, 'w') as f:
        f.write(text)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tensors_of(case, c, batch):
    T, B = batch['T'], batch['B']
    if c['inputKind'] == 'tokens':
        x = torch.tensor(batch['tokens'], dtype=torch.long).view(T, B)
    else:
        x = torch.tensor(batch['inputs'], dtype=torch.float64).view(T, B, c['inputSize'])
    every, O = c['outputMode'] == 'every', c['outputSize']
    if c['head'] == 'softmax':
        y = torch.tensor(batch['targets'], dtype=torch.long).view(*((T, B) if every else (B,)))
    else:
        y = torch.tensor(batch['targetValues'], dtype=torch.float64).view(*((T, B, O) if every else (B, O)))
    lengths = torch.tensor(batch['lengths'], dtype=torch.long) if batch.get('lengths') else None
    return x, y, lengths


def masks_of(case, m, B):
    """recur's masks for the chunk (model-parity.test.ts masksOf) as forward's dropout_masks, or None."""
    given = case.get('dropoutMasks')
    if not given:
        return None
    t = lambda v: torch.tensor(v, dtype=torch.float64)
    out = {}
    if 'embed' in given:
        out['embed'] = t(given['embed'])
    for k in ('input', 'output'):
        if k in given:
            out[k] = t(given[k]).view(B, -1)
    if 'between' in given:
        out['between'] = [t(v).view(B, -1) for v in given['between']]
    if 'weight' in given:
        out['weight'] = {n: t(v).view(getattr(m.rnn, n).shape) for n, v in ((k.removeprefix('rnn.'), v) for k, v in given['weight'].items())}
    return out


def run(case, mod, step_by_step):
    c = case['config']['config']
    m = mod.build(case['config'], step_by_step=step_by_step).double()
    tensors = {k: torch.tensor(v['data'], dtype=torch.float64).view(*v['shape']) for k, v in case['tensors'].items()}
    m.load_state_dict(tensors, strict=True)
    last = case['batches'][-1]
    B = last['B']
    state = m.initial_state(B)
    given = [torch.tensor(s, dtype=torch.float64).view(t.shape) for s, t in zip(case['state'], state)]
    init_diff = max(float((a - b).abs().max()) for a, b in zip(state, given))
    if c['h0'] == 'random':
        state = tuple(given)  # recur's draw, not torch's
    if len(case['batches']) == 2:  # truncated BPTT: a first chunk without gradient, then its carried state
        m.eval()
        with torch.no_grad():
            x, y, lengths = tensors_of(case, c, case['batches'][0])
            _, state = m(x, state, lengths=lengths, targets=y)
        state = m.detach_state(state)
        init_diff = max(float((a - torch.tensor(b, dtype=torch.float64).view(a.shape)).abs().max()) for a, b in zip(state, case['state']))
    m.train()
    x, y, lengths = tensors_of(case, c, last)
    logits, state = m(x, state, lengths=lengths, targets=y, dropout_masks=masks_of(case, m, B))
    loss = m.loss(logits, y, lengths)
    m.zero_grad()
    (loss + m.penalty).backward()  # recur's gradient includes AR/TAR; its reported loss is the cross-entropy
    with torch.no_grad():
        for p in m.parameters():
            if p.grad is not None:  # None: unused in this chunk (a learned h0 under a carried state)
                p -= case['lr'] * p.grad
    sd = m.state_dict()
    # the round trip: what torch holds loads strictly into a fresh module of the same file
    mod.build(case['config']).double().load_state_dict(sd, strict=True)
    return {
        'loss': float(loss), 'initDiff': init_diff,
        'state': [s.detach().reshape(-1).tolist() for s in state],
        'tensors': {k: {'shape': list(v.shape), 'data': v.reshape(-1).tolist()} for k, v in sd.items()},
    }


def seeded_dropout(case, mod):
    """Both paths draw a training chunk's masks the same way (RecurModel.chunk_masks), then torch.nn's kernel runs
    layer by layer or the written-out stack does: under one seed their losses agree. |difference|."""
    c = case['config']['config']
    x, y, lengths = tensors_of(case, c, case['batches'][-1])
    losses = []
    for step_by_step in (False, True):
        m = mod.build(case['config'], step_by_step=step_by_step).double()
        m.load_state_dict({k: torch.tensor(v['data'], dtype=torch.float64).view(*v['shape']) for k, v in case['tensors'].items()}, strict=True)
        torch.manual_seed(1)
        logits, _ = m(x, m.initial_state(x.shape[1]))
        losses.append(float(m.loss(logits, y)))
    return abs(losses[0] - losses[1])


def main():
    cases = json.load(sys.stdin)
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for i, case in enumerate(cases):
            print(f"case {case['name']}", file=sys.stderr)
            mod = load_module(case['modelPy'], f'model_{i}', folder)
            paths = {}
            fused = mod.torch_rnn is not None
            if fused:
                paths['torch.nn'] = run(case, mod, False)
            if not fused or case.get('stepByStep', True):
                paths['step_by_step'] = run(case, mod, True)
            res = {'name': case['name'], 'paths': paths}
            if fused and case.get('dropoutMasks') and len(case['batches']) == 1 and not case['batches'][0].get('lengths'):
                res['seededDropoutDiff'] = seeded_dropout(case, mod)
            out.append(res)
    json.dump(out, sys.stdout)


main()
