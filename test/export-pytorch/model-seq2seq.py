"""Runs the cases of model-seq2seq.test.ts through the exported seq2seq model.py files, in float64, one process.

stdin: a JSON list of cases (model.py, config.json, recur's tensors, a padded pair batch). stdout: per case the
loss, and the tensors after one SGD step (loaded strictly, then loaded strictly again into a fresh module).
"""
import importlib.util
import json
import os
import sys
import tempfile

import torch

torch.set_default_dtype(torch.float64)


def main():
    out = []
    with tempfile.TemporaryDirectory() as folder:
        for i, case in enumerate(json.load(sys.stdin)):
            path = os.path.join(folder, f'model_{i}.py')
            with open(path, 'w') as f:
                f.write(case['modelPy'])
            spec = importlib.util.spec_from_file_location(f'model_{i}', path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            m = mod.build(case['config']).double()
            m.load_state_dict({k: torch.tensor(v['data'], dtype=torch.float64).view(*v['shape']) for k, v in case['tensors'].items()}, strict=True)
            b = case['batch']
            ids = lambda key, n: torch.tensor(b[key], dtype=torch.long).view(n, b['B'])
            loss = m.loss(ids('src', b['S']), torch.tensor(b['srcLen'], dtype=torch.long), ids('tgtIn', b['T']), ids('tgtOut', b['T']))
            loss.backward()
            with torch.no_grad():
                for p in m.parameters():
                    p -= case['lr'] * p.grad
            sd = m.state_dict()
            mod.build(case['config']).double().load_state_dict(sd, strict=True)
            out.append({'loss': float(loss), 'tensors': {k: {'shape': list(v.shape), 'data': v.reshape(-1).tolist()} for k, v in sd.items()}})
    json.dump(out, sys.stdout)


main()
