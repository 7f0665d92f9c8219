/**
 * README.md of an exported folder: what the files are, how to train with train.py on one machine,
 * several, and GPUs, and how the result goes back to recur. `what` names the model ("LSTM 1×256
 * character model"); `trains` says whether this folder has a train.py.
 */

/** Throughput measured for the scaling note (see the project README: "Training with PyTorch"). */
export const SCALING_NOTE = [
  'Measured where recur is developed: 2 vCPUs shared with other jobs (load average 30–44 during the runs),',
  'gloo, one thread per rank, an LSTM 1×256 with a 64-wide embedding, --batch 32 --seq 64 per rank, 12 s of',
  'updates, two runs each: 1 rank 1,820–1,960 characters/s, 2 ranks 1,620–1,950 characters/s (the summary',
  "line's chars_per_s counts all ranks). On a machine that busy a second rank gains nothing, so these numbers",
  'say nothing about scaling on free cores; measure your own with a short --time run per rank count.',
  'GPUs were not measured: with NCCL each rank drives one GPU and the gradient all-reduce (4 bytes per',
  'parameter per step) is the cost that grows with the ranks, so a larger --batch per rank makes it',
  'relatively cheaper.',
].join('\n');

const TRAIN_SECTIONS = `## Train it data-parallel (train.py)

\`train.py\` trains the model of \`model.py\` with PyTorch's DistributedDataParallel: every process
(rank) reads its own streams of the text, the gradients are averaged after every step, so all ranks
hold the same weights. Data, optimizer, clipping and learning-rate schedule are those of
\`recur train\` (see the docstring at the top of train.py), and so are the flags:

    torchrun --nproc_per_node 4 train.py --data corpus.txt --init model.safetensors \\
        --steps 5000 --batch 32 --seq 64 --out trained.safetensors --json

- \`--init\` starts from a recur model file's weights (the one you exported); without it, model.py's
  initialisation is used (seeded by \`--seed\`, the same on every rank).
- \`--batch\` is per rank: a step trains on ranks × batch streams (scale \`--lr\` with care).
- \`--steps\` or \`--time\` (seconds of updates, rank 0's clock); \`--schedule\`, \`--lr-min\`, \`--warmup\`,
  \`--optimizer\`, \`--clip-norm\`, \`--clip-value\`, \`--val-fraction\`, \`--seed\`, \`--average\` as in recur train
  (\`--average\`: validation reads the moving average of the weights, as recur's defaults do).
- The file holds the weights that scored best of every validation (\`--val-every\` steps and the end),
  as recur train's does; the summary's \`val_step\` says which.
- The last \`--val-fraction\` of the text (split at a byte offset, moved to the next character) is
  held out; the final JSON line's \`val_loss\` is what \`recur eval\` prints for the saved model on it
  (\`--save-val held-out.txt\` writes that text).
- Rank 0 writes \`--out\` atomically every \`--save-every\` steps and at the end; \`--resume\` continues the
  run saved there exactly (same number of ranks, same \`--data\`).
- \`--debug-sync\` checks after every step that all ranks hold identical weights (and that their first
  batches differ); the summary line reports it.

Several machines: run the same command on every node, with a rendezvous point all can reach:

    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d \\
        --rdzv_endpoint node0.example:29400 --rdzv_id myrun train.py --data corpus.txt ...

GPUs: when CUDA is available train.py uses NCCL and one GPU per rank (\`LOCAL_RANK\`); start one rank
per GPU (\`--nproc_per_node\` = GPUs per node). \`--backend gloo\` forces the CPU path.

Debian's torch 1.13 under Python 3.11 has a torchrun bug (\`'NoneType' object has no attribute
'get'\` at start): pass \`--redirects 2 --tee 2\` (stderr to a log file, copied to the console).

### Back to recur

    recur eval --model trained.safetensors --data held-out.txt
    recur sample --model trained.safetensors --prime "The "
    recur train --init trained.safetensors --data more.txt --steps 500 --out tuned.safetensors

### Scaling

${SCALING_NOTE}
`;

export function readme(what: string, trains: boolean): string {
  return `# ${what}, exported from recur

- \`model.py\`: the model as a PyTorch \`nn.Module\` (\`build(config)\`); tensor names are recur's, so
  \`load_state_dict(..., strict=True)\` takes a recur model file's tensors and gives them back.
- \`config.json\`: the model file's config, task and vocabulary, as recur stored them.
- \`recur_io.py\`: reads and writes recur model files (safetensors with recur's metadata) from Python.
${trains ? '- `train.py`: data-parallel training under `torchrun`, writing a model file recur reads.\n' : ''}
${trains ? TRAIN_SECTIONS : `train.py covers character models read as one stream; this model's module can be trained with your own loop
and saved for recur with \`recur_io.save_model_file\`.
`}`;
}
