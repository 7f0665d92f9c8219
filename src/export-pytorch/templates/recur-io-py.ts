/** recur_io.py, recur model files (safetensors + metadata) read and written from Python (written verbatim). */
export const RECUR_IO_PY = String.raw`"""Reading and writing recur model files from Python (torch only, no other package).

A recur model file is a safetensors file: an 8-byte little-endian header length N, N bytes of JSON
header, then the raw tensor data. The header maps each tensor name to its dtype (F32 here), shape and
[begin, end) byte offsets in the data section, plus "__metadata__", a map of strings:

    format   "recur"            version  "1"
    config   the model config (JSON)      vocab  the token list (JSON), one code point per entry
    task     {"kind": "lm", "mode": "stream", "source": ...} (JSON)
    training recur train's resume record (JSON); absent in files written here
    torch_training  train.py's resume record (JSON); recur ignores it

Model tensors carry recur's (PyTorch state_dict) names; optimizer moments are stored as
"optim.<slot>.<tensor name>" (exp_avg, exp_avg_sq, momentum_buffer, sum, square_avg), shaped like the
tensor, which is how recur stores its own.

A model file is untrusted input: the reader checks every number in the header against the file's
size before it reads anything, and every refusal is a RecurFileError with a one-line message.
"""
import json
import os
import struct
import sys

import torch

FORMAT = "recur"
VERSION = "1"
OPTIM_PREFIX = "optim."
MAX_HEADER_BYTES = 16 * 1024 * 1024


class RecurFileError(Exception):
    """A model file that cannot be read, with a one-line reason."""


def _fail(path, why):
    raise RecurFileError(f"{path}: {why}")


def read_safetensors(path):
    """(tensors: {name: float32 tensor}, metadata: {str: str}) of a safetensors file of F32 tensors."""
    if sys.byteorder != "little":
        _fail(path, "this reader needs a little-endian machine")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        _fail(path, e.strerror or str(e))
    if len(data) < 8:
        _fail(path, f"not a safetensors file: {len(data)} bytes is shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        _fail(path, f"safetensors header length {n} exceeds the limit of {MAX_HEADER_BYTES} bytes")
    if 8 + n > len(data):
        _fail(path, f"safetensors header length {n} goes past the end of the {len(data)}-byte file")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        _fail(path, "safetensors header is not valid UTF-8 JSON")
    if not isinstance(header, dict):
        _fail(path, "safetensors header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        _fail(path, "safetensors __metadata__ must map strings to strings")
    start, size = 8 + n, len(data) - 8 - n
    buf = bytearray(data[start:])
    tensors = {}
    for name, info in header.items():
        what = f"tensor {name[:80]!r}"
        if not isinstance(info, dict) or info.get("dtype") != "F32":
            _fail(path, f"{what} is not an F32 tensor entry")
        shape, offsets = info.get("shape"), info.get("data_offsets")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            _fail(path, f"{what}: shape must be a list of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) and o >= 0 for o in offsets)):
            _fail(path, f"{what}: data_offsets must be two non-negative integers")
        count = 1
        for d in shape:
            count *= d
        begin, end = offsets
        if begin > end or end > size or end - begin != 4 * count:
            _fail(path, f"{what}: data_offsets {offsets} do not hold shape {shape} inside the {size}-byte data section")
        flat = torch.frombuffer(buf, dtype=torch.float32, count=count, offset=begin) if count else torch.zeros(0)
        tensors[name] = flat.clone().reshape(shape)
    return tensors, metadata


def tensor_bytes(t):
    """The raw bytes of a tensor (machine order), without numpy."""
    flat = t.detach().to("cpu").contiguous().reshape(-1)
    out = bytearray(flat.numel() * flat.element_size())
    if flat.numel():
        torch.frombuffer(out, dtype=flat.dtype).copy_(flat)
    return bytes(out)


def write_safetensors(path, tensors, metadata):
    """Write [(name, tensor)] in order with string metadata, atomically (a temporary file, then a rename)."""
    if sys.byteorder != "little":
        raise RecurFileError(f"{path}: this writer needs a little-endian machine")
    header, offset, flats = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors:
        flat = t.detach().to("cpu", torch.float32).contiguous().reshape(-1)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + 4 * flat.numel()]}
        flats.append((offset, flat))
        offset += 4 * flat.numel()
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad to 8 bytes as the reference writer does: the data stays aligned
    body = bytearray(offset)
    for begin, flat in flats:
        if flat.numel():
            torch.frombuffer(body, dtype=torch.float32, count=flat.numel(), offset=begin).copy_(flat)
    folder = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except OSError as e:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise RecurFileError(f"{path}: cannot write: {e.strerror or e}") from None


def _json_field(path, metadata, key, kind):
    if key not in metadata:
        return None
    try:
        value = json.loads(metadata[key])
    except (ValueError, RecursionError):
        _fail(path, f"metadata {key!r} is not JSON")
    if not isinstance(value, kind):
        _fail(path, f"metadata {key!r} is not a JSON {kind.__name__}")
    return value


def load_model_file(path):
    """The parts of a recur model file: {config, vocab, task, torch_training, tensors, optim}.

    'tensors' are the model's (state_dict names); 'optim' maps "<slot>.<name>" to a moment tensor.
    """
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != FORMAT:
        _fail(path, "not a recur model file (no format \"recur\" in its metadata)")
    if metadata.get("version") != VERSION:
        _fail(path, f"unsupported recur model file version {metadata.get('version')!r}")
    if "kind" in metadata:
        _fail(path, f"holds a {metadata['kind'][:40]!r} model, not a recurrent language model")
    config = _json_field(path, metadata, "config", dict)
    if config is None:
        _fail(path, "has no config in its metadata")
    model = {k: v for k, v in tensors.items() if not k.startswith(OPTIM_PREFIX)}
    optim = {k[len(OPTIM_PREFIX):]: v for k, v in tensors.items() if k.startswith(OPTIM_PREFIX)}
    for name, t in model.items():
        if not torch.isfinite(t).all():
            _fail(path, f"tensor {name!r} holds a value that is not finite")
    return {
        "config": config,
        "vocab": _json_field(path, metadata, "vocab", list),
        "task": _json_field(path, metadata, "task", dict),
        "torch_training": _json_field(path, metadata, "torch_training", dict),
        "tensors": model,
        "optim": optim,
    }


def save_model_file(path, config, vocab, task, state_dict, optim=None, torch_training=None):
    """Write a recur model file (atomically): the tensors of 'state_dict', then the optimizer moments
    {"<slot>.<name>": tensor}, with the metadata recur's readers expect."""
    metadata = {"format": FORMAT, "version": VERSION, "config": json.dumps(config, separators=(",", ":"))}
    if vocab is not None:
        metadata["vocab"] = json.dumps(vocab, ensure_ascii=False, separators=(",", ":"))
    if task is not None:
        metadata["task"] = json.dumps(task, ensure_ascii=False, separators=(",", ":"))
    if torch_training is not None:
        metadata["torch_training"] = json.dumps(torch_training, separators=(",", ":"))
    tensors = list(state_dict.items()) + [(OPTIM_PREFIX + k, v) for k, v in (optim or {}).items()]
    write_safetensors(path, tensors, metadata)
`;
