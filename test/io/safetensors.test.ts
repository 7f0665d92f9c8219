import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSafetensors, encodeSafetensors, ModelFileError, type NamedTensor } from '../../src/io/safetensors.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Build a file from a header string (padded or not, as given) and raw data bytes. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0), lengthField?: bigint): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
const f32bytes = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
const entry = (shape: unknown, offsets: unknown, dtype: unknown = 'F32') => ({ dtype, shape, data_offsets: offsets });
const fileWith = (tensors: Record<string, unknown>, dataLen: number, extra: Record<string, unknown> = {}) =>
  rawFile(JSON.stringify({ ...extra, ...tensors }), new Uint8Array(dataLen));

function refuses(bytes: Uint8Array, pattern: RegExp, opts?: { maxHeaderBytes?: number }): void {
  assert.throws(() => decodeSafetensors(bytes, opts), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    return true;
  });
}

// ------------------------------------------------------------------------------ round trips

test('round trip: metadata, scalar, zero-size and ordinary tensors', () => {
  const tensors: NamedTensor[] = [
    { name: 'rnn.weight_ih_l0', shape: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => i - 5.5) },
    { name: 'scalar', shape: [], data: new Float32Array([Math.PI]) },
    { name: 'empty', shape: [0], data: new Float32Array(0) },
    { name: 'empty2', shape: [3, 0, 2], data: new Float32Array(0) },
    { name: 'special', shape: [4], data: new Float32Array([NaN, Infinity, -0, 1e-40]) },
  ];
  const meta = { format: 'recur', note: 'héllo "quoted" ✓', __proto__x: 'x' };
  const { tensors: out, metadata } = decodeSafetensors(encodeSafetensors(tensors, meta));
  assert.deepEqual(metadata, meta);
  assert.deepEqual([...out.keys()], tensors.map((t) => t.name));
  for (const t of tensors) {
    assert.deepEqual(out.get(t.name)!.shape, t.shape);
    assert.deepEqual(out.get(t.name)!.data, t.data);
  }
  assert.ok(Object.is(out.get('special')!.data[2], -0));
});

test('round trip: empty metadata and no tensors', () => {
  const bytes = encodeSafetensors([], {});
  assert.equal(dec.decode(bytes.subarray(8)).trimEnd(), '{}');
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.equal(tensors.size, 0);
  assert.deepEqual(metadata, {});
});

test('round trip: many tensors come back in file order, even numeric-looking names', () => {
  const tensors: NamedTensor[] = [];
  for (let i = 300; i > 0; i--) tensors.push({ name: String(i), shape: [i % 5 + 1, 2], data: Float32Array.from({ length: (i % 5 + 1) * 2 }, (_, j) => i + j / 8) });
  const out = decodeSafetensors(encodeSafetensors(tensors, { k: 'v' })).tensors;
  assert.deepEqual([...out.keys()], tensors.map((t) => t.name));
  for (const t of tensors) assert.deepEqual(out.get(t.name)!.data, t.data);
});

test('a "__proto__" metadata key stays a plain key', () => {
  const meta = JSON.parse('{"__proto__": "p", "a": "b"}') as Record<string, string>;
  const { metadata } = decodeSafetensors(encodeSafetensors([], meta));
  assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  assert.deepEqual(Object.entries(metadata), [['__proto__', 'p'], ['a', 'b']]);
});

test('header is padded with spaces to a multiple of 8 bytes', () => {
  for (let n = 0; n < 10; n++) {
    const bytes = encodeSafetensors([{ name: 'x'.repeat(n + 1), shape: [1], data: new Float32Array([1]) }], {});
    const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(len % 8, 0);
    const header = dec.decode(bytes.subarray(8, 8 + len));
    assert.match(header, /^\{.*\} *$/);
    assert.equal(bytes.length, 8 + len + 4);
  }
});

test('encoder refuses inconsistent input', () => {
  assert.throws(() => encodeSafetensors([{ name: 'a', shape: [2], data: new Float32Array(3) }], {}), /does not match/);
  const t = { name: 'a', shape: [1], data: new Float32Array(1) };
  assert.throws(() => encodeSafetensors([t, t], {}), /duplicate/);
  assert.throws(() => encodeSafetensors([{ ...t, name: '__metadata__' }], {}), /cannot be a tensor name/);
});

// ------------------------------------------------------------------- spec compatibility fixture

/**
 * The bytes Python writes for
 *   save_file({"a": torch.tensor([[1., 2.], [3., 4.]]), "b": torch.tensor([-1.5, .5, 1e-3]),
 *              "c": torch.zeros(0)}, path, metadata={"format": "pt"})
 * The Rust core serializes "__metadata__" first, then tensors sorted by name, compact JSON, and pads
 * the 198-byte header with 2 spaces to 200 = 0xc8.
 */
const PYTHON_FIXTURE_HEX =
  'c800000000000000' +
  Buffer.from(
    '{"__metadata__":{"format":"pt"},' +
    '"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
    '"b":{"dtype":"F32","shape":[3],"data_offsets":[16,28]},' +
    '"c":{"dtype":"F32","shape":[0],"data_offsets":[28,28]}}  ',
  ).toString('hex') +
  '0000803f' + '00000040' + '00004040' + '00008040' + // 1, 2, 3, 4
  '0000c0bf' + '0000003f' + '6f12833a'; // -1.5, 0.5, 1e-3

test('decodes a file as the Python safetensors library writes it, and writes the same bytes', () => {
  const bytes = new Uint8Array(Buffer.from(PYTHON_FIXTURE_HEX, 'hex'));
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, { format: 'pt' });
  assert.deepEqual(tensors.get('a'), { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) });
  assert.deepEqual(tensors.get('b'), { shape: [3], data: new Float32Array([-1.5, 0.5, 1e-3]) });
  assert.deepEqual(tensors.get('c'), { shape: [0], data: new Float32Array(0) });
  const again = encodeSafetensors(['a', 'b', 'c'].map((name) => ({ name, ...tensors.get(name)! })), metadata);
  assert.equal(Buffer.from(again).toString('hex'), PYTHON_FIXTURE_HEX);
});

test('unaligned data (unpadded header, odd byteOffset) is copied correctly', () => {
  const file = rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32bytes(1.25, -7)); // 55-byte header
  const shifted = new Uint8Array(file.length + 3);
  shifted.set(file, 3);
  for (const bytes of [file, shifted.subarray(3)]) {
    const a = decodeSafetensors(bytes).tensors.get('a')!;
    assert.deepEqual(a.data, new Float32Array([1.25, -7]));
    assert.equal(a.data.byteOffset, 0);
  }
});

test('tensors may be stored in any order in the data section', () => {
  const file = rawFile(JSON.stringify({ a: entry([1], [4, 8]), b: entry([1], [0, 4]) }), f32bytes(2, 1));
  const t = decodeSafetensors(file).tensors;
  assert.equal(t.get('a')!.data[0], 1);
  assert.equal(t.get('b')!.data[0], 2);
});

// ------------------------------------------------------------------------------------ refusals

test('refuses files shorter than 8 bytes', () => {
  refuses(new Uint8Array(0), /shorter than the 8-byte/);
  refuses(new Uint8Array(7), /7 bytes is shorter/);
});

test('refuses header lengths over the limit or past the end of the file', () => {
  refuses(rawFile('{}', undefined, 2n ** 63n), /exceeds the limit/);
  refuses(rawFile('{}', undefined, 2n ** 32n), /exceeds the limit/);
  refuses(rawFile('{}', undefined, 17n * 1024n * 1024n), /exceeds the limit of 16777216/);
  refuses(rawFile('{}', undefined, 3n), /past the end of the 10-byte file/);
  refuses(rawFile('{"a":1}'), /exceeds the limit of 4/, { maxHeaderBytes: 4 });
});

test('refuses headers that are not UTF-8, not JSON, or not an object', () => {
  const bad = rawFile('{"a":"xx"}');
  bad[15] = 0xff;
  refuses(bad, /not valid UTF-8/);
  refuses(rawFile('{"a":'), /not valid JSON/);
  refuses(rawFile(''), /not valid JSON/);
  refuses(rawFile('[1,2]'), /not a JSON object/);
  refuses(rawFile('null'), /not a JSON object/);
  refuses(rawFile('"{}"'), /not a JSON object/);
});

test('refuses __metadata__ that is not a string-to-string map', () => {
  refuses(rawFile('{"__metadata__":{"a":1}}'), /__metadata__ must map strings to strings/);
  refuses(rawFile('{"__metadata__":["a"]}'), /__metadata__ must map/);
  refuses(rawFile('{"__metadata__":"a"}'), /__metadata__ must map/);
  refuses(rawFile('{"__metadata__":null}'), /__metadata__ must map/);
});

test('refuses dtypes other than F32, naming the dtype found', () => {
  refuses(fileWith({ w: entry([2], [0, 4], 'F16') }, 4), /tensor "w" has dtype F16; only F32 is supported/);
  refuses(fileWith({ w: entry([1], [0, 8], 'F64') }, 8), /dtype F64/);
  refuses(fileWith({ w: entry([1], [0, 4], 7) }, 4), /dtype 7/);
  refuses(fileWith({ w: { shape: [1], data_offsets: [0, 4] } }, 4), /dtype missing/);
});

test('refuses malformed tensor entries', () => {
  refuses(fileWith({ w: 5 }, 0), /tensor "w": header entry is not an object/);
  refuses(fileWith({ w: { ...entry([1], [0, 4]), offsets: 1 } }, 4), /unknown field "offsets"/);
  for (const shape of [null, 3, [-1], [1.5], ['2'], [2 ** 53], [[2]]]) {
    refuses(fileWith({ w: entry(shape, [0, 4]) }, 4), /shape must be an array of non-negative integers/);
  }
  for (const offsets of [null, [0], [0, 4, 8], [-4, 0], [0, 4.5], ['0', '4'], [0, 2 ** 60]]) {
    refuses(fileWith({ w: entry([1], offsets) }, 4), /data_offsets must be two non-negative integers/);
  }
});

test('refuses shapes with too many elements, without overflowing', () => {
  refuses(fileWith({ w: entry([2 ** 16, 2 ** 16], [0, 4]) }, 4), /more than 2147483648 elements/);
  refuses(fileWith({ w: entry([2 ** 40, 2 ** 40, 2 ** 40], [0, 4]) }, 4), /more than/);
  // A zero dimension makes even huge shapes empty.
  assert.equal(decodeSafetensors(fileWith({ w: entry([2 ** 50, 0], [0, 0]) }, 0)).tensors.get('w')!.data.length, 0);
});

test('refuses inconsistent data_offsets', () => {
  refuses(fileWith({ w: entry([0], [8, 4]) }, 8), /data_offsets \[8, 4\] end before they begin/);
  refuses(fileWith({ w: entry([2], [0, 8]) }, 4), /go past the end of the data section \(4 bytes\)/);
  refuses(fileWith({ w: entry([3], [0, 8]) }, 8), /shape \[3\] needs 12 bytes but data_offsets \[0, 8\] span 8/);
});

test('refuses overlapping tensors, gaps and trailing bytes', () => {
  refuses(fileWith({ a: entry([2], [0, 8]), b: entry([1], [4, 8]) }, 8), /overlap another tensor/);
  refuses(fileWith({ a: entry([1], [0, 4]), b: entry([1], [0, 4]) }, 4), /overlap/);
  refuses(fileWith({ a: entry([1], [4, 8]) }, 8), /gap at bytes \[0, 4\)/);
  refuses(fileWith({ a: entry([1], [0, 4]), b: entry([1], [8, 12]) }, 12), /gap at bytes \[4, 8\)/);
  refuses(fileWith({ a: entry([1], [0, 4]) }, 5), /1 trailing bytes/);
  refuses(fileWith({}, 4), /4 trailing bytes/);
});
