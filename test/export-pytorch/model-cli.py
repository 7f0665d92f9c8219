"""model-cli.test.ts's Python side: for each folder `recur export --format pytorch` wrote, build the model from its
config.json, load the model file's tensors with strict=True (read here with the standard library: safetensors is a
JSON header and raw little-endian float32), and print the loss on the batch given (float32, as recur computes)."""
import importlib.util
import json
import struct
import sys

import torch


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    body = data[8 + n:]
    out = {}
    for name, t in header.items():
        a, b = t['data_offsets']
        out[name] = torch.tensor(struct.unpack(f'<{(b - a) // 4}f', body[a:b]), dtype=torch.float32).view(*t['shape'])
    return out


def main():
    results = []
    for case in json.load(sys.stdin):
        spec = importlib.util.spec_from_file_location(f"model_{len(results)}", f"{case['folder']}/model.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        with open(f"{case['folder']}/config.json") as f:
            config = json.load(f)
        m = mod.build(config)
        m.load_state_dict(read_safetensors(case['model']), strict=True)
        m.eval()
        b = case['batch']
        with torch.no_grad():
            if config.get('kind') == 'seq2seq':
                ids = lambda key, n: torch.tensor(b[key], dtype=torch.long).view(n, b['B'])
                loss = m.loss(ids('src', b['S']), torch.tensor(b['srcLen']), ids('tgtIn', b['T']), ids('tgtOut', b['T']))
            else:
                c = config['config']
                T, B = b['T'], b['B']
                x = torch.tensor(b['tokens'], dtype=torch.long).view(T, B)
                y = torch.tensor(b['targets'], dtype=torch.long).view(*((T, B) if c['outputMode'] == 'every' else (B,)))
                lengths = torch.tensor(b['lengths']) if b.get('lengths') else None
                logits, _ = m(x, m.initial_state(B), lengths=lengths)
                loss = m.loss(logits, y, lengths)
        results.append({'loss': float(loss), 'vocab': config.get('vocab') or config.get('src_vocab')})
    json.dump(results, sys.stdout)


main()
