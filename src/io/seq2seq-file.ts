/**
 * A Seq2Seq model and its file: a recur model file (checkpoint.ts: safetensors, hardened reader) whose
 * metadata says `kind: "seq2seq"` and holds
 *   config     JSON: exactly the reference constructor's arguments (nn/seq2seq/config.ts)
 *   src_vocab  JSON list of the source symbols, index = id (0–3: <pad>, <bos>, <eos>, <unk>)
 *   tgt_vocab  the same for the target
 *   task, training   JSON objects, optional (the task's settings; opaque here)
 * The tensors carry the reference's state_dict names, so Python rebuilds the model without recur:
 *   Seq2Seq(**json.loads(meta['config'])).load_state_dict(tensors, strict=True)
 * A file of another kind given to this reader (and this kind given to the others) is refused with one line.
 */
import type { Backend } from '../kernels/backend.js';
import { makeSeq2SeqConfig, seq2seqSpecs, type Seq2SeqConfig } from '../nn/seq2seq/config.js';
import { Seq2Seq } from '../nn/seq2seq/model.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { excerpt, parseFileJson } from './json-guard.js';
import { ModelFileError, type Tensor } from './safetensors.js';

export const SEQ2SEQ_KIND = 'seq2seq';
/** Longest symbol (in UTF-16 units): characters, and the reserved tokens' names. */
const MAX_SYMBOL = 64;

const fail = (message: string): never => { throw new ModelFileError(message); };
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A vocabulary: `size` distinct non-empty strings. */
function checkVocab(v: unknown, key: string, size: number): string[] {
  if (!Array.isArray(v)) return fail(`model file metadata "${key}" is not a JSON list`);
  if (v.length !== size) fail(`model file metadata "${key}" has ${v.length} symbols but the config says ${size}`);
  const seen = new Set<string>();
  v.forEach((s: unknown, i) => {
    if (typeof s !== 'string' || s.length === 0 || s.length > MAX_SYMBOL) fail(`model file metadata "${key}" entry ${i} is not a symbol: ${excerpt(s)}`);
    if (seen.has(s as string)) fail(`model file metadata "${key}" has a duplicate symbol ${excerpt(s)} at ${i}`);
    seen.add(s as string);
  });
  return v as string[];
}

export function encodeSeq2Seq(m: Seq2Seq, srcVocab: string[], tgtVocab: string[],
  extra: { task?: Record<string, unknown>; training?: unknown } = {}): Uint8Array {
  const c = m.config;
  checkVocab(srcVocab, 'src_vocab', c.src_vocab);
  checkVocab(tgtVocab, 'tgt_vocab', c.tgt_vocab);
  const tensors = new Map<string, Tensor>();
  for (const v of m.params.views) tensors.set(v.name, { shape: [...v.shape], data: Float32Array.from(m.params.data.subarray(v.offset, v.offset + v.size)) });
  const training = extra.training === undefined ? null : isPlainObject(extra.training) ? extra.training : { value: extra.training };
  return encodeCheckpoint({
    config: { ...c }, vocab: null, tensors, optim: new Map(), training, task: extra.task ?? null,
    extra: { kind: SEQ2SEQ_KIND, src_vocab: JSON.stringify(srcVocab), tgt_vocab: JSON.stringify(tgtVocab) },
  });
}

export function decodeSeq2Seq(bytes: Uint8Array, be: Backend):
  { model: Seq2Seq; srcVocab: string[]; tgtVocab: string[]; task: Record<string, unknown> | null } {
  const ck = decodeCheckpoint(bytes, { kind: SEQ2SEQ_KIND, expectedSpecs: (c) => seq2seqSpecs(makeSeq2SeqConfig(c as Partial<Seq2SeqConfig>)) });
  const config = makeSeq2SeqConfig(ck.config as Partial<Seq2SeqConfig>);
  const field = (key: string, size: number): string[] => {
    const text = ck.extra?.[key];
    if (text === undefined) return fail(`model file has no ${key} in its metadata`);
    return checkVocab(parseFileJson(text, `model file metadata "${key}"`, 2), key, size);
  };
  const srcVocab = field('src_vocab', config.src_vocab), tgtVocab = field('tgt_vocab', config.tgt_vocab);
  const model = new Seq2Seq(config, be);
  for (const [name, t] of ck.tensors) model.params.set(name, t.data);
  return { model, srcVocab, tgtVocab, task: ck.task };
}
