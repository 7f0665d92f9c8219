/** train.py, the DDP training script of an exported character model (written verbatim). */
export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""Data-parallel training of a recur character model with PyTorch (DistributedDataParallel).

    torchrun --nproc_per_node N train.py --data corpus.txt --steps 2000 --out trained.safetensors

Each of the N processes (ranks) trains the model of model.py on its own streams of the text; DDP
averages the gradients after every backward pass, so the ranks take the same steps. The pipeline is
recur train's, step for step:

  text        the --data files' bytes, concatenated; the last --val-fraction is held out: the split
              is the byte offset floor(size * (1 - val_fraction)), moved forward to the next UTF-8
              code-point boundary
  vocabulary  config.json's (the model file's), one id per code point
  streams     the training bytes are cut into ranks * batch contiguous streams at code-point starts
              (about (size - 1) // (ranks * batch) bytes each); rank r reads streams r*batch ... r*batch + batch - 1;
              each step trains on the next --seq characters of each, carrying the hidden state from
              step to step (truncated BPTT); an epoch starts over from the model's initial state.
              With one rank these are exactly recur's streams (data/streamed-batcher.ts).
  update      mean cross-entropy over the batch, gradient clipped by value and then by global norm
              (the norm before clipping is what is logged), the optimizer (PyTorch's update rules,
              which recur's optimizers follow: Adam's bias correction included), the learning rate
              of the schedule (constant, cosine or linear to --lr-min over the budget, warm-up first)
  validation  the held-out text read as one stream from the model's initial state: exactly the loss
              'recur eval --model out --data held-out.txt' prints (nats per character)
  averaging   with --average, validation reads an exponential moving average of the weights, updated
              after every step as recur's (train/average.ts); training moves the raw ones
  the file    the weights that scored best of every validation (each --val-every steps and at the end),
              as recur train's file holds (tasks/lm-weights.ts); the raw weights and the average beside them

The model file (--out) is written by rank 0 only, atomically, every --save-every steps and at the end;
recur reads it ('recur eval', 'recur sample', 'recur train --init'); '--resume' continues the run it
holds exactly (same ranks, same --batch, same data). Flags are recur train's where they apply.
"""
import argparse
import base64
import contextlib
import hashlib
import json
import math
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as exported  # noqa: E402  (model.py of this folder)
import recur_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TIME_S = 180
SCHEDULES = ("constant", "cosine", "linear")
OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam", "adamw")
# Settings a resumed run takes from its file (the budget may change).
RUN_SETTINGS = ("batch", "seq", "lr", "lr_min", "schedule", "warmup", "optimizer", "momentum", "weight_decay",
                "clip_norm", "clip_value", "val_fraction", "seed", "average")


class Refusal(Exception):
    """Bad input: one line, exit 1."""


# The optimizer slots (recur's names) that keep, beside the file's weights, what training continues from.
RAW, AVG = "train_weights", "average"


class Average:
    """recur's weight averaging (train/average.ts): after the k-th update (k = 0, 1, ...)
        avg <- beta_k * avg + (1 - beta_k) * theta,   beta_k = min(0.999, (1 + k) / (10 + k))
    so the first updates are soon forgotten and a short run averages over its own length."""
    BETA = 0.999

    def __init__(self, params):
        self.params = params
        self.avg = [p.detach().clone() for p in params]
        self.count = 0

    @torch.no_grad()
    def update(self):
        beta = min(self.BETA, (1 + self.count) / (10 + self.count))
        for a, p in zip(self.avg, self.params):
            a.mul_(beta).add_(p, alpha=1 - beta)
        self.count += 1


@contextlib.contextmanager
def weights_in(params, weights):
    """'weights' (None: the parameters' own) in the parameters for the block, which gets a copy of the raw
    weights; these go back after it."""
    with torch.no_grad():
        raw = [p.detach().clone() for p in params]
        for p, w in zip(params, weights or []):
            p.copy_(w)
    try:
        yield raw
    finally:
        with torch.no_grad():
            for p, r in zip(params, raw):
                p.copy_(r)


class Weights:
    """Which weights train.py scores and saves, as recur train does (tasks/lm-weights.ts): training moves the raw
    weights; with --average validation reads their moving average; the file holds the weights that scored best on
    validation (kept by rank 0, which validates), or the scored ones before any validation. For an exact --resume
    the file also holds the raw weights and the average in the optimizer slots recur uses."""

    def __init__(self, params, average):
        self.params = params
        self.average = Average(params) if average else None
        self.best = None  # {"loss", "step", "weights"}

    def after_update(self):
        if self.average:
            self.average.update()

    def scored(self):
        """The weights validation reads in the parameters for the block: the average with --average, else the raw ones."""
        return weights_in(self.params, self.average.avg) if self.average else contextlib.nullcontext()

    @torch.no_grad()
    def offer(self, loss, step):
        """Within scored(): a finite validation loss better than the best so far makes these weights the best."""
        if math.isfinite(loss) and (self.best is None or loss < self.best["loss"]):
            self.best = {"loss": loss, "step": step, "weights": [p.detach().clone() for p in self.params]}

    @contextlib.contextmanager
    def in_file(self):
        """The file's weights in the parameters for the block, which gets the slots to save beside them
        ({slot: [tensor per parameter]}); the raw weights go back after it."""
        chosen = self.best["weights"] if self.best else self.average.avg if self.average else None
        with weights_in(self.params, chosen) as raw:
            slots = {RAW: raw} if chosen is not None else {}
            if self.average:
                slots[AVG] = self.average.avg
            yield slots

    def record(self):
        best = {"loss": self.best["loss"], "step": self.best["step"]} if self.best else None
        return {"best": best, "average_count": self.average.count if self.average else None}

    @torch.no_grad()
    def restore(self, record, slot, device):
        """Resume: the parameters hold the file's weights; slot(name, i) is the saved tensor of slot 'name' for
        parameter i, or None."""
        if record.get("best"):
            self.best = {**record["best"], "weights": [p.detach().clone() for p in self.params]}
        if self.average:
            avg = [slot(AVG, i) for i in range(len(self.params))]
            for a, p, v in zip(self.average.avg, self.params, avg):
                a.copy_(p if v is None else v.to(device))
            self.average.count = int(record["average_count"])
        for i, p in enumerate(self.params):
            raw = slot(RAW, i)
            if raw is not None:
                p.copy_(raw.to(device))


# ------------------------------------------------------------------------------------------ flags

def positive_int(v):
    n = int(v)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {v}")
    return n


def non_negative(kind):
    def parse(v):
        x = kind(v)
        if not (x >= 0 and math.isfinite(x)):
            raise argparse.ArgumentTypeError(f"must be a non-negative number, got {v}")
        return x
    return parse


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"train.py: {message}\n")


def parse_args(argv):
    p = OneLineParser(description="Train a recur character model data-parallel with PyTorch DDP (run it with torchrun).")
    p.add_argument("--data", action="extend", nargs="+", required=True, help="training text file(s), concatenated")
    p.add_argument("--config", default=os.path.join(HERE, "config.json"), help="the exported config.json (default: next to train.py)")
    p.add_argument("--init", help="start from this recur model file's weights (default: model.py's initialisation)")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --out exactly where it stopped")
    p.add_argument("--out", default="model.safetensors", help="recur model file to write")
    p.add_argument("--steps", type=non_negative(int), help="train for this many steps (all ranks together take one step at a time)")
    p.add_argument("--time", type=non_negative(float), help=f"train for this many seconds of updates (default {DEFAULT_TIME_S} unless --steps)")
    p.add_argument("--batch", type=positive_int, default=32, help="streams per rank per step")
    p.add_argument("--seq", type=positive_int, default=64, help="characters per stream per step (truncated BPTT length)")
    p.add_argument("--lr", type=non_negative(float), default=5e-3, help="learning rate")
    p.add_argument("--lr-min", type=non_negative(float), help="final rate of the cosine/linear schedule (default lr/10)")
    p.add_argument("--schedule", choices=SCHEDULES, default="cosine", help="learning-rate schedule over the budget")
    p.add_argument("--warmup", type=non_negative(int), default=0, help="linear warm-up steps")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--momentum", type=non_negative(float), default=0.0, help="SGD momentum")
    p.add_argument("--weight-decay", type=non_negative(float), default=0.0)
    p.add_argument("--clip-norm", type=non_negative(float), default=5.0, help="clip the gradient to this global norm (0 = off)")
    p.add_argument("--clip-value", type=non_negative(float), default=0.0, help="clip each gradient element to [-x, x] (0 = off)")
    p.add_argument("--val-fraction", type=non_negative(float), default=0.1, help="the last fraction of the text held out (0 = none)")
    p.add_argument("--seed", type=non_negative(int), default=1, help="random seed (initial weights, dropout)")
    p.add_argument("--average", action="store_true", help="validate and save a moving average of the weights (recur train --average)")
    p.add_argument("--log-every", type=positive_int, default=100, help="log every n steps")
    p.add_argument("--val-every", type=non_negative(int), default=0, help="validate every n steps (0 = at the end only)")
    p.add_argument("--save-every", type=non_negative(int), default=0, help="save every n steps (0 = at the end only)")
    p.add_argument("--save-val", metavar="FILE", help="write the held-out text to FILE (rank 0), for recur eval --data FILE")
    p.add_argument("--json", action="store_true", help="print JSON lines (rank 0); the last one is a summary with val_loss")
    p.add_argument("--debug-sync", action="store_true", help="check after every step that all ranks hold identical weights")
    p.add_argument("--backend", choices=("gloo", "nccl"), help="collective backend (default: nccl with CUDA, else gloo)")
    a = p.parse_args(argv)
    if a.steps is not None and a.time is not None:
        p.error("give --steps or --time, not both")
    if a.resume and a.init:
        p.error("give --resume (continue the run in --out) or --init (start from a model), not both")
    if a.lr <= 0:
        p.error("--lr must be positive")
    if a.lr_min is None:
        a.lr_min = a.lr / 10
    if a.lr_min > a.lr:
        p.error(f"--lr-min {a.lr_min} is larger than --lr {a.lr}: the schedule decays from --lr to --lr-min")
    if not a.val_fraction < 1:
        p.error("--val-fraction must be in [0, 1)")
    if a.momentum >= 1:
        p.error("--momentum must be in [0, 1)")
    if a.resume:
        # A resumed run keeps its settings (recur train --resume refuses them too); the budget may change.
        given = [f for f in ("--" + k.replace("_", "-") for k in RUN_SETTINGS) if any(x == f or x.startswith(f + "=") for x in argv)]
        if given:
            p.error(f"{given[0]} cannot be used with --resume: a resumed run keeps the settings saved in {a.out}")
    elif a.steps is None and a.time is None:
        a.time = DEFAULT_TIME_S
    return a


# ------------------------------------------------------------------------------------------ data

def check_out(flag, out, a):
    """Refuse an output path the run could not write, before any work (recur's checkOutputPath)."""
    folder = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(folder):
        raise Refusal(f"{flag} {out}: the folder {folder} does not exist")
    if os.path.isdir(out):
        raise Refusal(f"{flag} {out} is a directory")
    if os.path.exists(out) and not os.path.isfile(out):
        raise Refusal(f"{flag} {out} is not a regular file")
    if not os.access(folder, os.W_OK):
        raise Refusal(f"{flag} {out}: cannot create files in {folder}")
    inputs = [("--data", p) for p in a.data] + [("--init", a.init), ("--config", a.config)]
    if flag != "--out":
        inputs.append(("--out", a.out))
    for in_flag, path in inputs:
        if path and os.path.exists(path) and os.path.exists(out) and os.path.samefile(path, out):
            raise Refusal(f"{flag} {out} is the same file as {in_flag} {path}: writing would replace it")


def read_bytes(paths):
    chunks = []
    for path in paths:
        try:
            with open(path, "rb") as f:
                chunks.append(f.read())
        except OSError as e:
            raise Refusal(f"{path}: {e.strerror or e}") from None
    return b"".join(chunks)


def split_point(size_bytes, data, val_fraction):
    """Byte offset of the split: floor(size * (1 - val_fraction)), moved forward to a code-point start."""
    cut = math.floor(size_bytes * (1 - val_fraction))
    while cut < size_bytes and (data[cut] & 0xC0) == 0x80:
        cut += 1
    return cut


def decode(data, what):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refusal(f"{what} is not valid UTF-8 (at byte {e.start})") from None


def encode(text, vocab, what):
    """Ids of the code points of 'text' (a long tensor); refuses a character outside the vocabulary."""
    codes = torch.frombuffer(bytearray(text.encode("utf-32-le")), dtype=torch.int32).long()
    table = torch.full((0x110000,), -1, dtype=torch.long)
    table[torch.tensor([ord(ch) for ch in vocab], dtype=torch.long)] = torch.arange(len(vocab))
    ids = table[codes]
    bad = (ids < 0).nonzero()
    if len(bad):
        i = int(bad[0])
        raise Refusal(f"{what}: character {text[i]!r} (U+{ord(text[i]):04X}) at position {i} (code points) is not in the model's vocabulary")
    return ids


class Streams:
    """This rank's 'batch' of the ranks * batch streams (recur's streamed batcher, data/streamed-batcher.ts,
    when there is one rank). The training bytes are cut into ranks * batch regions: region k starts at byte
    k * L (L = (size - 1) // (ranks * batch)) moved forward to the next code-point start, and holds the
    characters up to the next region's start; each step reads the next --seq characters of every region, the
    last target of a region being the first character after it. All streams start over together as soon as
    one region cannot give another step (an epoch)."""

    def __init__(self, ids, data, ranks, rank, batch, seq):
        self.ids, self.batch, self.seq = ids, batch, seq
        n, size = ranks * batch, len(data)
        if size - 1 < n * seq:
            raise Refusal(f"the training text has {size} bytes, fewer than one step of {ranks} rank(s) needs "
                          f"(ranks x batch x seq + 1 = {n * seq + 1}): use a smaller --batch or --seq")
        step = (size - 1) // n
        bounds = [0]
        for k in range(1, n + 1):
            p = k * step
            while p < size and (data[p] & 0xC0) == 0x80:
                p += 1
            bounds.append(p)
        starts = [0]  # the regions' first characters (code points before their first byte)
        for k in range(n):
            starts.append(starts[-1] + len(data[bounds[k]:bounds[k + 1]].decode("utf-8")))
        self.sizes = [starts[k + 1] - starts[k] for k in range(n)]  # characters per region
        self.follows = [starts[k + 1] < len(ids) for k in range(n)]  # a character after the region
        self.length = min(self.sizes)
        if not self.can_step(0):
            raise Refusal(f"the training text is too short: a stream holds fewer characters than one step needs "
                          f"(seq + 1 = {seq + 1}): use a smaller --batch or --seq")
        self.starts = torch.tensor(starts[rank * batch:(rank + 1) * batch])
        self.epoch, self.offset = 0, 0

    def can_step(self, offset):
        """Whether every region (of every rank: they start over together) has --seq more inputs with targets."""
        return all(m - offset > self.seq or (m - offset == self.seq and f) for m, f in zip(self.sizes, self.follows))

    def next(self):
        """(inputs [seq, batch], targets [seq, batch], reset): reset when the streams start over."""
        reset = self.offset == 0
        at = self.starts[None, :] + self.offset + torch.arange(self.seq)[:, None]
        inputs, targets = self.ids[at], self.ids[at + 1]
        self.offset += self.seq
        if not self.can_step(self.offset):  # wrap eagerly, as recur does: the position names the next batch
            self.epoch, self.offset = self.epoch + 1, 0
        return inputs, targets, reset


# ------------------------------------------------------------------------------------------ optimisation

def make_optimizer(name, params, a):
    if name == "sgd":
        return torch.optim.SGD(params, lr=a.lr, momentum=a.momentum, weight_decay=a.weight_decay)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=a.lr, eps=1e-10, weight_decay=a.weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=a.lr, alpha=0.99, eps=1e-8, weight_decay=a.weight_decay)
    kind = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return kind(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=a.weight_decay)


def scheduled_lr(a, step, progress):
    """recur's train/schedule.ts: the rate of update 'step' (from 0) with a fraction 'progress' of the budget spent."""
    lr = a.lr
    if a.schedule == "cosine":
        lr = a.lr_min + (a.lr - a.lr_min) * 0.5 * (1 + math.cos(math.pi * progress))
    elif a.schedule == "linear":
        lr = a.lr + (a.lr_min - a.lr) * progress
    if a.warmup > 0 and step < a.warmup:
        lr *= (step + 1) / a.warmup
    return lr


def progress_of(a, step, elapsed):
    p = 0.0
    if a.steps is not None:
        p = max(p, step / a.steps if a.steps > 0 else 1.0)
    if a.time is not None:
        p = max(p, elapsed / a.time if a.time > 0 else 1.0)
    return min(1.0, p)


def budget_spent(a, step, elapsed):
    return (a.steps is not None and step >= a.steps) or (a.time is not None and elapsed >= a.time)


def clip(params, clip_value, clip_norm):
    """The gradient's global norm before clipping; then clip by value, then by norm (recur's Trainer order)."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item() if grads else 0.0
    if clip_value > 0:
        torch.nn.utils.clip_grad_value_(params, clip_value)
    if clip_norm > 0:
        torch.nn.utils.clip_grad_norm_(params, clip_norm)
    return norm


# ------------------------------------------------------------------------------------------ validation

@torch.no_grad()
def stream_loss(net, ids, device, chunk=256):
    """Mean next-character loss of 'ids' read as one stream from the initial state (recur eval's number)."""
    was_training = net.training
    net.eval()
    state = tuple(s.to(device) for s in net.initial_state(1))
    total, count = 0.0, 0
    for t0 in range(0, len(ids) - 1, chunk):
        piece = ids[t0:t0 + chunk + 1].to(device)
        logits, state = net(piece[:-1, None], state)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]).double(), piece[1:], reduction="sum").item()
        count += len(piece) - 1
    net.train(was_training)
    return total / count


# ------------------------------------------------------------------------------------------ checkpoints

def b64(t):
    return base64.b64encode(recur_io.tensor_bytes(t)).decode("ascii")


def unb64(s, like):
    raw = bytearray(base64.b64decode(s))
    if len(raw) != like.numel() * like.element_size():
        raise Refusal("the resume record's carried state does not fit this model and batch")
    return torch.frombuffer(raw, dtype=like.dtype).clone().reshape(like.shape)


def gather(t, ranks):
    """Every rank's copy of 't' (same shape on each), on every rank."""
    parts = [torch.empty_like(t) for _ in range(ranks)]
    dist.all_gather(parts, t.contiguous())
    return parts


# ------------------------------------------------------------------------------------------ the run

class Run:
    def __init__(self, a):
        self.a = a
        check_out("--out", a.out, a)
        if a.save_val:
            check_out("--save-val", a.save_val, a)
        self.rank, self.ranks = dist.get_rank(), dist.get_world_size()
        self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if dist.get_backend() == "nccl" else torch.device("cpu")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        try:
            resumed = self.load_resume() if a.resume else None
        except (KeyError, TypeError, ValueError) as e:
            raise Refusal(f"{a.out}: its train.py resume record is damaged ({type(e).__name__}: {e})") from None
        exported_cfg = self.read_config()
        init = recur_io.load_model_file(a.init) if a.init else resumed
        task = (init or {}).get("task") or {}
        if init is not None and (task.get("kind") != "lm" or task.get("mode") != "stream"):
            raise Refusal(f"{a.init or a.out} is not a character model read as one stream, which is what train.py trains")
        tokens = task.get("tokens") or (exported_cfg.get("task") or {}).get("tokens")
        if isinstance(tokens, dict):  # plain character models store their vocabulary, not a tokenizer
            raise Refusal(f"the model reads {tokens.get('kind')} tokens (a tokenizer of its own); train.py reads plain characters: train it with recur train")
        self.vocab = (init or {}).get("vocab") or exported_cfg.get("vocab")

        data = read_bytes(a.data)
        self.data_id = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if resumed and resumed["torch_training"].get("data") != self.data_id:
            raise Refusal("the data is not the text this run was trained on; resume with the same --data files")
        cut = split_point(len(data), data, a.val_fraction) if a.val_fraction > 0 else len(data)
        train_text = decode(data[:cut], "the training text")
        val_text = decode(data[cut:], "the held-out text")
        if a.save_val and self.rank == 0:
            try:
                with open(a.save_val, "wb") as f:
                    f.write(data[cut:])
            except OSError as e:
                raise Refusal(f"--save-val {a.save_val}: {e.strerror or e}") from None
        if not self.vocab:  # a config without a vocabulary (exported from --config flags): the text's, as recur builds it
            self.vocab = sorted(set(train_text + val_text))
        self.train_ids = encode(train_text, self.vocab, "the training text")
        self.val_ids = encode(val_text, self.vocab, "the held-out text") if a.val_fraction > 0 else None
        if self.val_ids is not None and len(self.val_ids) < 2:
            raise Refusal(f"the held-out {a.val_fraction} of the text has fewer than 2 characters: nothing to predict")

        self.config = dict((init or {}).get("config") or exported_cfg["config"])
        if not (init or {}).get("vocab") and not exported_cfg.get("vocab"):
            self.config.update(inputSize=len(self.vocab), outputSize=len(self.vocab))
        self.task = {"kind": "lm", "mode": "stream",
                     "source": f"file:{os.path.abspath(a.data[0])}" if len(a.data) == 1 else "torchrun"}
        torch.manual_seed(a.seed)  # the same initial weights on every rank (DDP also copies rank 0's)
        self.net = exported.build({**exported_cfg, "config": self.config, "vocab": self.vocab}).to(self.device)
        if init is not None:
            self.load_weights(init)
        self.names = [n for n, _ in self.net.named_parameters()]
        self.params = [p for _, p in self.net.named_parameters()]
        # A learned initial state gets a gradient only at the steps whose streams start over.
        unused = self.config.get("h0") == "learned"
        self.ddp = DistributedDataParallel(self.net, find_unused_parameters=unused)
        self.opt = make_optimizer(a.optimizer, self.params, a)
        self.weights = Weights(self.params, a.average)
        self.streams = Streams(self.train_ids, data[:cut], self.ranks, self.rank, a.batch, a.seq)
        self.state = None
        self.step, self.elapsed = 0, 0.0
        torch.manual_seed(a.seed * 1_000_003 + self.rank + 1)  # dropout: each rank its own masks
        if resumed:
            try:
                self.restore(resumed)
            except (KeyError, TypeError, ValueError, RuntimeError) as e:
                raise Refusal(f"{a.out}: its train.py resume record does not fit this run ({type(e).__name__}: {str(e).splitlines()[0]})") from None

    def read_config(self):
        try:
            with open(self.a.config, encoding="utf-8") as f:
                cfg = json.load(f)
        except (OSError, ValueError) as e:
            raise Refusal(f"{self.a.config}: cannot read the exported config: {e}") from None
        if not isinstance(cfg, dict) or not isinstance(cfg.get("config"), dict):
            raise Refusal(f"{self.a.config} is not an exported recur config (no \"config\" object)")
        task = cfg.get("task") or {}
        if task.get("kind", "lm") != "lm" or task.get("mode", "stream") != "stream":
            raise Refusal(f"{self.a.config}: train.py trains character models read as one stream, not a {task.get('kind')}/{task.get('mode')} model")
        return cfg

    def load_weights(self, loaded):
        try:
            self.net.load_state_dict({k: v.to(self.device) for k, v in loaded["tensors"].items()}, strict=True)
        except RuntimeError as e:
            raise Refusal(f"the model file does not fit model.py: {str(e).splitlines()[0]}") from None

    # -------------------------------------------------------------------------------- resume

    def load_resume(self):
        a = self.a
        if not os.path.exists(a.out):
            raise Refusal(f"--resume: {a.out} does not exist")
        loaded = recur_io.load_model_file(a.out)
        record = loaded["torch_training"]
        if not record:
            raise Refusal(f"{a.out} holds no train.py run to resume (it was not written by train.py)")
        saved = record["settings"]
        for key in RUN_SETTINGS:
            if key in saved or key != "average":  # a file from before --average has none
                setattr(a, key, saved[key])
        if a.steps is None and a.time is None:  # no new budget: the saved one
            a.steps, a.time = record["budget"]["steps"], record["budget"]["time"]
        if record["ranks"] != self.ranks:
            raise Refusal(f"{a.out} was trained by {record['ranks']} ranks; resume with the same number (not {self.ranks})")
        return loaded

    def restore(self, loaded):
        r = loaded["torch_training"]
        self.step, self.elapsed = r["step"], r["elapsed"]
        self.streams.epoch, self.streams.offset = r["position"]["epoch"], r["position"]["offset"]
        if r["state"] is not None:
            like = tuple(s.to("cpu") for s in self.net.initial_state(self.a.batch))
            mine = r["state"][self.rank]
            self.state = tuple(unb64(s, l.detach()).to(self.device) for s, l in zip(mine, like))
        rng = unb64(r["rng"][self.rank], self.rng_state())
        cpu = torch.get_rng_state().numel()
        torch.set_rng_state(rng[:cpu])
        if self.device.type == "cuda":
            torch.cuda.set_rng_state(rng[cpu:])
        moments = {}
        for key, t in loaded["optim"].items():
            slot, name = key.split(".", 1)
            if slot not in (RAW, AVG):
                moments.setdefault(name, {})[slot] = t.to(self.device)
        state = {}
        for i, name in enumerate(self.names):
            if name in moments:
                state[i] = {"step": torch.tensor(float(r["optimizer_step"])), **moments[name]}
        self.opt.load_state_dict({"state": state, "param_groups": self.opt.state_dict()["param_groups"]})
        # the file holds the best (or averaged) weights; training continues from the raw ones beside them
        self.weights.restore(r.get("weights") or {}, lambda slot, i: loaded["optim"].get(f"{slot}.{self.names[i]}"), self.device)

    def rng_state(self):
        """The generators dropout draws from: the CPU's, then this rank's GPU's (bytes)."""
        state = torch.get_rng_state()
        return torch.cat([state, torch.cuda.get_rng_state()]) if self.device.type == "cuda" else state

    def save(self):
        """Rank 0 writes the model file with the moments and a resume record (all ranks take part: the carried states are gathered)."""
        states = [gather(s.detach(), self.ranks) for s in self.state] if self.state is not None else None
        rngs = [t.cpu() for t in gather(self.rng_state().to(self.device), self.ranks)]  # NCCL gathers GPU tensors only
        if self.rank != 0:
            return
        optim, step = {}, 0
        for i, name in enumerate(self.names):
            for slot, value in self.opt.state.get(self.params[i], {}).items():
                if slot == "step":
                    step = int(value)
                elif torch.is_tensor(value) and value.shape == self.params[i].shape:
                    optim[f"{slot}.{name}"] = value
        record = {
            "step": self.step, "elapsed": self.elapsed, "ranks": self.ranks, "optimizer_step": step,
            "settings": {key: getattr(self.a, key) for key in RUN_SETTINGS},
            "budget": {"steps": self.a.steps, "time": self.a.time},
            "position": {"epoch": self.streams.epoch, "offset": self.streams.offset},
            "state": [[b64(parts[r]) for parts in states] for r in range(self.ranks)] if states else None,
            "rng": [b64(t) for t in rngs], "data": self.data_id,
            "weights": self.weights.record(),
        }
        with self.weights.in_file() as slots:
            for slot, tensors in slots.items():
                optim.update({f"{slot}.{name}": t for name, t in zip(self.names, tensors)})
            recur_io.save_model_file(self.a.out, self.config, self.vocab, self.task, self.net.state_dict(), optim, record)

    def validate(self):
        """Rank 0: the held-out loss of the scored weights, offered as the best; printed as a line."""
        with self.weights.scored():
            v = stream_loss(self.net, self.val_ids, self.device)
            self.weights.offer(v, self.step)
        self.say({"step": self.step, "val_loss": v, "val_bpc": v / math.log(2)}, f"step {self.step}: validation loss {v:.4f} nats/char")
        return v

    # -------------------------------------------------------------------------------- training

    def check_sync(self, first_inputs=None):
        """--debug-sync: every rank's weights equal rank 0's, bit for bit; on the first step, the ranks' batches differ."""
        flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        ref = flat.clone()
        dist.broadcast(ref, 0)
        differs = torch.tensor([0 if torch.equal(flat, ref) else self.rank], device=self.device)
        dist.all_reduce(differs, op=dist.ReduceOp.MAX)  # every rank learns the verdict and stops together
        if differs.item():
            raise Refusal(f"--debug-sync: after step {self.step}, rank {differs.item()}'s weights differ from rank 0's")
        if first_inputs is not None:
            batches = gather(first_inputs.to(self.device), self.ranks)
            for r in range(1, self.ranks):
                if any(torch.equal(batches[r], batches[q]) for q in range(r)):
                    raise Refusal(f"--debug-sync: rank {r} was given the same batch as another rank")
            return [hashlib.sha256(recur_io.tensor_bytes(b)).hexdigest()[:12] for b in batches]
        return None

    def update(self):
        a = self.a
        inputs, targets, reset = self.streams.next()
        inputs, targets = inputs.to(self.device), targets.to(self.device)
        if reset or self.state is None:
            self.state = tuple(s.to(self.device) for s in self.net.initial_state(a.batch))
        lr = scheduled_lr(a, self.step, progress_of(a, self.step, self.elapsed))
        for group in self.opt.param_groups:
            group["lr"] = lr
        logits, state = self.ddp(inputs, self.state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        self.opt.zero_grad(set_to_none=False)
        (loss + self.net.penalty).backward()  # AR/TAR when the model has them (0 otherwise); the loss reported stays the cross-entropy
        norm = clip(self.params, a.clip_value, a.clip_norm)
        if not math.isfinite(norm):
            raise Refusal(f"training diverged at step {self.step + 1}: the gradient norm became {norm}; "
                          f"the last saved model is in {a.out}; try a lower --lr")
        self.opt.step()
        self.weights.after_update()
        self.state = self.net.detach_state(state)
        return loss.item(), norm, lr, inputs

    def run(self):
        a = self.a
        log = {"loss": 0.0, "grad": 0.0, "n": 0, "time": 0.0}
        start_step, trained, batch_hashes, checks, train_loss = self.step, 0.0, None, 0, None
        chars_per_step = self.ranks * a.batch * a.seq
        while not budget_spent(a, self.step, self.elapsed):
            t0 = time.perf_counter()
            loss, norm, lr, inputs = self.update()
            seconds = time.perf_counter() - t0
            if a.time is not None:  # every rank must stop at the same step: rank 0's clock decides
                clock = torch.tensor([seconds], dtype=torch.float64, device=self.device)
                dist.broadcast(clock, 0)
                seconds = clock.item()
            self.step += 1
            self.elapsed += seconds
            trained += seconds
            log = {"loss": log["loss"] + loss, "grad": log["grad"] + norm, "n": log["n"] + 1, "time": log["time"] + seconds}
            if a.debug_sync:
                hashes = self.check_sync(inputs if self.step == start_step + 1 else None)
                batch_hashes = batch_hashes or hashes
                checks += 1
            done = budget_spent(a, self.step, self.elapsed)
            if self.step % a.log_every == 0 or done:
                mean = torch.tensor([log["loss"] / log["n"]], dtype=torch.float64, device=self.device)
                dist.all_reduce(mean)  # the ranks' mean training loss since the last line
                line = {"step": self.step, "epoch": self.streams.epoch + self.streams.offset / self.streams.length,
                        "loss": mean.item() / self.ranks, "grad_norm": log["grad"] / log["n"], "lr": lr,
                        "chars_per_s": chars_per_step * log["n"] / log["time"] if log["time"] > 0 else 0.0,
                        "elapsed": self.elapsed, "ranks": self.ranks}
                self.say(line, f"step {self.step}: loss {line['loss']:.4f} nats/char, grad norm {line['grad_norm']:.3f}, "
                               f"lr {lr:.2e}, {line['chars_per_s']:,.0f} chars/s")
                train_loss = line["loss"]
                log = {"loss": 0.0, "grad": 0.0, "n": 0, "time": 0.0}
            if a.val_every and self.step % a.val_every == 0 and not done and self.rank == 0 and self.val_ids is not None:
                self.validate()
            if a.save_every and self.step % a.save_every == 0 and not done:
                self.save()
        if self.rank == 0 and self.val_ids is not None:
            self.validate()  # before the last save, so that the file holds the best of every validation
        self.save()
        if self.rank != 0:
            return
        best = self.weights.best
        val = best["loss"] if best else None  # the loss of what the file holds
        run_steps = self.step - start_step
        summary = {"summary": True, "steps": self.step, "run_steps": run_steps,
                   "train_loss": train_loss,
                   "val_loss": val, "val_bpc": val / math.log(2) if val is not None else None,
                   "val_step": best["step"] if best else None,
                   "val_chars": len(self.val_ids) - 1 if self.val_ids is not None else 0,
                   "chars_per_s": chars_per_step * run_steps / trained if trained > 0 else 0.0,
                   "elapsed": self.elapsed, "ranks": self.ranks, "batch_per_rank": a.batch, "model": a.out}
        if a.debug_sync:
            summary.update(debug_sync_checks=checks, rank_batches=batch_hashes)
        self.say(summary, f"done: {self.step} steps on {self.ranks} rank(s), "
                          f"validation loss {'-' if val is None else f'{val:.4f}'} nats/char, "
                          f"{summary['chars_per_s']:,.0f} chars/s; model saved to {a.out}")

    def say(self, record, text):
        if self.rank != 0:
            return
        if self.a.json:
            print(json.dumps(record), flush=True)
        else:
            print(text, file=sys.stderr, flush=True)


def main(argv):
    a = parse_args(argv)
    backend = a.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if "RANK" not in os.environ:  # plain 'python3 train.py': a group of one, on a free local port
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        os.environ.update(RANK="0", WORLD_SIZE="1", LOCAL_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group(backend)
    try:
        Run(a).run()
        return 0
    except (Refusal, recur_io.RecurFileError) as e:
        if dist.get_rank() == 0:  # the ranks refuse the same input: one line, not one per rank
            print(f"train.py: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
`;
