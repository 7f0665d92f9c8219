/**
 * model.py for a recurrent model (a char-LM, classifier or forecaster: nn/model.ts): a readable PyTorch
 * module that computes exactly what recur computes, with recur's tensor names, so that
 * load_state_dict(tensors, strict=True) works both ways. The file holds only what its model uses.
 */
import type { ModelConfig } from '../nn/config.js';
import { VERSION } from '../version.js';
import { recurModelPy, torchModule } from './recur-model-py.js';
import { stackPy } from './stack-py.js';

/** One line on what the model is, for the file's docstring. */
export function describeModel(c: ModelConfig): string {
  const cell = c.cell === 'gru' && c.gruReset === 'before' ? 'GRU (reset before)' : c.cell === 'lstm' || c.cell === 'gru' ? c.cell.toUpperCase() : `${c.cell} (${c.activation})`;
  const input = c.inputKind === 'dense' ? `${c.inputSize} values per step` : c.embed > 0 ? `an embedding (${c.embed}) of ${c.inputSize} tokens` : `one-hot tokens (${c.inputSize})`;
  const head = c.head === 'softmax' ? `softmax over ${c.outputSize} classes` : `${c.outputSize} values (squared error)`;
  return `${c.layers} × ${c.bidirectional ? 'bidirectional ' : ''}${cell}, hidden ${c.hidden}${c.lags.length ? `, lags ${c.lags.join(', ')}` : ''}; `
    + `input ${input}; output ${head} ${c.outputMode === 'every' ? 'at every step' : 'at the end'}; h0 ${c.h0}`
    + `${c.cell.includes('jordan') ? `; Jordan feedback: ${c.jordanFeed}` : ''}`;
}

/** The training regularisers the model sets (model.py applies them in train() mode, as recur does), one phrase each. */
export function regularisersOf(c: ModelConfig): string[] {
  const out: string[] = [];
  if (c.dropout > 0 && c.layers > 1) out.push(`locked dropout ${c.dropout} between layers`);
  if (c.dropoutInput > 0) out.push(`locked dropout ${c.dropoutInput} on what layer 0 reads`);
  if (c.dropoutOutput > 0) out.push(`locked dropout ${c.dropoutOutput} on the last layer's output`);
  if (c.dropoutEmbed > 0) out.push(`embedding dropout ${c.dropoutEmbed}`);
  if (c.weightDrop > 0) out.push(`weight drop ${c.weightDrop} on W_hh`);
  if (c.ar > 0) out.push(`AR ${c.ar}`);
  if (c.tar > 0) out.push(`TAR ${c.tar}`);
  return out;
}

export function modelPy(c: ModelConfig): string {
  const fused = torchModule(c);
  const regs = regularisersOf(c);
  const note = regs.length ? `\nIn training (model.train()), as in recur: ${regs.join(', ')}.${c.ar > 0 || c.tar > 0 ? ' Add model.penalty (AR/TAR) to the loss\nyou minimise.' : ''}\n` : '';
  return `"""A recur model in PyTorch, written by \`recur export --format pytorch\` (recur ${VERSION}).

${describeModel(c)}.${note}
${fused ? `The stack runs as ${fused} (build(config, step_by_step=True) runs the same equations written out).` : 'The stack is written out step by step (WrittenStack).'}

    import json
    from model import build
    model = build(json.load(open('config.json')))
    model.load_state_dict(tensors, strict=True)    # recur's tensors under recur's names (recur_io.py reads them)
    state = model.initial_state(batch)
    logits, state = model(inputs, state)           # inputs [T, B]: token ids (or [T, B, F] values)
    loss = model.loss(logits, targets)
    state = model.detach_state(state)              # before the next chunk of the same streams

Python 3.11, torch 1.13; nothing else.
"""
import math
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTIVATIONS = {'tanh': torch.tanh, 'sigmoid': torch.sigmoid, 'relu': torch.relu}
# The cell this file was written for (it holds that cell's step only).
CELL, GRU_RESET = '${c.cell}', '${c.gruReset}'

${stackPy(c)}${recurModelPy(c)}

def build(config, step_by_step=False):
    """The model of config.json (the whole file, or its 'config': recur's model config)."""
    c = config.get('config', config)
    if (c['cell'], c.get('gruReset', 'after')) != (CELL, GRU_RESET):
        raise ValueError(f"this model.py was written for {CELL} cells; export the model again for {c['cell']}")
    return RecurModel(c, step_by_step)
`;
}
