/**
 * safetensors reading and writing, F32 only (https://github.com/huggingface/safetensors).
 *
 * Layout: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON header, then the data section.
 * The header maps tensor names to {dtype, shape, data_offsets: [begin, end]} (offsets relative to the
 * data section) plus an optional "__metadata__" string→string map.
 *
 * Platform-free (no Node modules): used by the CLI and in the browser. Model files come from
 * anywhere, so the decoder trusts nothing: every number from the file is checked against the
 * file's actual size before anything is allocated or read, and every refusal is a ModelFileError
 * with a one-line message.
 */

import { excerpt, parseFileJson } from './json-guard.js';
import { ModelFileError } from './model-file-error.js';

export { ModelFileError } from './model-file-error.js';

export interface NamedTensor { name: string; shape: number[]; data: Float32Array }
export interface Tensor { shape: number[]; data: Float32Array }
export interface DecodedSafetensors { tensors: Map<string, Tensor>; metadata: Record<string, string> }

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024;
/** Largest element count of one tensor we accept (well above any model here; keeps sizes exact). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;

const METADATA_KEY = '__metadata__';
const TENSOR_FIELDS = ['dtype', 'shape', 'data_offsets'];
// Typed arrays use the platform's byte order; the file is little-endian.
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const fail = (message: string): never => { throw new ModelFileError(message); };
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
const fmtShape = (shape: readonly unknown[]): string => `[${shape.join(', ')}]`;

/**
 * Element count of a validated shape, or null when it exceeds MAX_TENSOR_ELEMENTS. A zero
 * dimension makes the tensor empty whatever the other dimensions are, so it is checked first.
 */
function elementCount(shape: readonly number[]): number | null {
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) {
    n *= d; // inexact above 2^53, but still correctly > the limit, which is all we ask
    if (n > MAX_TENSOR_ELEMENTS) return null;
  }
  return n;
}

// ------------------------------------------------------------------------------------ encoding

/**
 * Serialize tensors (in the listed order) and string metadata. The header is padded with spaces
 * to a multiple of 8 bytes as the reference implementation does, so the data section is aligned.
 * Empty metadata is omitted, as Python's save_file(..., metadata=None) does.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string>): Uint8Array {
  // The header is assembled from [key, value] pairs rather than one object so that the tensor
  // order survives (object keys such as "0" would be reordered) and "__proto__" stays a plain key.
  const entries: string[] = [];
  const meta = Object.entries(metadata);
  if (meta.length > 0) {
    for (const [k, v] of meta) if (typeof v !== 'string') throw new Error(`metadata ${k} must be a string`);
    entries.push(`${JSON.stringify(METADATA_KEY)}:{${meta.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY) throw new Error(`${METADATA_KEY} cannot be a tensor name`);
    if (seen.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    seen.add(t.name);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new Error(`tensor ${t.name}: bad shape ${fmtShape(t.shape)}`);
    const n = elementCount(t.shape);
    if (n === null || n !== t.data.length) {
      throw new Error(`tensor ${t.name}: shape ${fmtShape(t.shape)} does not match ${t.data.length} values`);
    }
    const info = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    entries.push(`${JSON.stringify(t.name)}:${JSON.stringify(info)}`);
    offset += 4 * n;
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8;

  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen, true); // u64 low word; the high word stays 0
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // space padding
  let pos = 8 + headerLen;
  for (const t of tensors) {
    if (LITTLE_ENDIAN_HOST) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(pos + 4 * i, t.data[i], true);
    pos += t.data.byteLength;
  }
  return out;
}

// ------------------------------------------------------------------------------------ decoding

interface Entry { name: string; shape: number[]; begin: number; end: number }

/** Parse and validate one tensor entry of the header against the data section length. */
function parseEntry(name: string, info: unknown, dataLen: number): Entry {
  const what = `tensor ${excerpt(name)}`;
  if (!isPlainObject(info)) return fail(`${what}: header entry is not an object`);
  for (const k of Object.keys(info)) {
    if (!TENSOR_FIELDS.includes(k)) fail(`${what}: unknown field ${excerpt(k)} in header entry`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (dtype !== 'F32') {
    fail(`${what} has dtype ${typeof dtype === 'string' && /^\w{1,16}$/.test(dtype) ? dtype : excerpt(dtype)}; only F32 is supported`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${what}: shape must be an array of non-negative integers`);
  }
  const dims = shape as number[];
  const count = elementCount(dims);
  if (count === null) return fail(`${what}: shape ${fmtShape(dims)} has more than ${MAX_TENSOR_ELEMENTS} elements`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    return fail(`${what}: data_offsets must be two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${what}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLen) fail(`${what}: data_offsets [${begin}, ${end}] go past the end of the data section (${dataLen} bytes); the file may be truncated`);
  if (end - begin !== 4 * count) {
    fail(`${what}: shape ${fmtShape(dims)} needs ${4 * count} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, shape: [...dims], begin, end };
}

/** Read the header and check that the tensors tile the data section exactly, as the spec requires. */
function parseHeader(bytes: Uint8Array, maxHeaderBytes: number): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo; // may be inexact when huge, but then it is refused anyway
  if (n > maxHeaderBytes) fail(`safetensors header length ${n} exceeds the limit of ${maxHeaderBytes} bytes`);
  if (8 + n > bytes.length) fail(`safetensors header length ${n} goes past the end of the ${bytes.length}-byte file; the file may be truncated`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('safetensors header is not valid UTF-8');
  }
  // A valid header is 3 deep ({name: {shape: [...]}}); one level more still gets the entry checks'
  // own messages (a shape of arrays). A tensor name given twice would leave one of them unread.
  const header = parseFileJson(text, 'safetensors header', 4);
  if (!isPlainObject(header)) return fail('safetensors header is not a JSON object');

  let metadata: Record<string, string> = {};
  if (hasOwn(header, METADATA_KEY)) {
    const m = header[METADATA_KEY];
    if (!isPlainObject(m) || !Object.values(m).every((v) => typeof v === 'string')) {
      fail(`safetensors ${METADATA_KEY} must map strings to strings`);
    }
    // fromEntries defines own properties, so a "__proto__" key cannot change the prototype.
    metadata = Object.fromEntries(Object.entries(m as Record<string, string>));
  }

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => parseEntry(name, info, dataLen));

  // Sorted by offsets (a stable sort), each tensor must start where the previous ended (no overlap, no gap), and the
  // last must end at the end of the file (no trailing bytes). Ties (empty tensors) sort by end.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) fail(`tensor ${excerpt(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap another tensor`);
    if (e.begin > pos) fail(`safetensors data section has a gap at bytes [${pos}, ${e.begin}) that no tensor covers`);
    pos = e.end;
  }
  if (pos !== dataLen) fail(`safetensors data section has ${dataLen - pos} trailing bytes that no tensor covers`);
  // Return them in data-section order: the writer's order (JSON.parse reorders integer-like keys).
  return { entries: sorted, metadata, dataStart };
}

/**
 * Decode a safetensors file whose tensors are all F32. The data is copied into fresh, aligned
 * Float32Arrays, so tensor offsets need not be multiples of 4 and the input can be dropped.
 */
export function decodeSafetensors(bytes: Uint8Array, opts: { maxHeaderBytes?: number } = {}): DecodedSafetensors {
  const { entries, metadata, dataStart } = parseHeader(bytes, opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tensors = new Map<string, Tensor>();
  for (const e of entries) {
    // Safe to allocate: the size was checked against the bytes actually present.
    const data = new Float32Array((e.end - e.begin) / 4);
    const start = dataStart + e.begin;
    if (LITTLE_ENDIAN_HOST) new Uint8Array(data.buffer).set(bytes.subarray(start, dataStart + e.end));
    else for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(start + 4 * i, true);
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}
