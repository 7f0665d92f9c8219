/**
 * The WebAssembly backend: the kernels of backend.ts compiled from AssemblyScript (assembly/) to SIMD128, over one
 * WebAssembly.Memory that this backend owns and hands out as Float32Array views.
 *
 * Why it looks like this:
 *  - One memory, shared when the host allows it. Growing a shared memory never detaches existing views (each
 *    growth only yields a new SharedArrayBuffer object over the same bytes), so buffers from alloc() stay valid for
 *    the backend's life, and worker threads can run kernels on the same bytes. Without SharedArrayBuffer (a page
 *    without cross-origin isolation) the memory is a fixed-size ordinary one, single-threaded, and running out of
 *    it is an error: growing it would silently detach every view handed out so far.
 *  - Kernels take (buffer, offset); the pointer is byteOffset + 4·offset. Each call checks that the buffer lives in
 *    this memory and that the addressed extent fits in it, so a wrong offset throws instead of scribbling over a
 *    neighbouring buffer. Int32 inputs (token ids, targets) may come from anywhere: they are copied into a reused
 *    scratch area (and range-checked) on the way in.
 *  - Nothing here touches the file system or `process`: the host is reached through a WasmPlatform handed in by
 *    the caller (platform.ts; src/node/wasm.ts for Node), the browser's by default.
 */
import type { Backend, Buf } from '../backend.js';
import { Allocator } from './allocator.js';
import { ThreadPool } from './pool.js';
import { ctlBytes, type WasmExports } from './protocol.js';
import { WasmKernels } from './wrappers.generated.js';
import {
  browserPlatform, relaxedSimdSupported, sharedMemorySupported, unshareMemoryImport, WASM_FILES, type WasmPlatform,
} from './platform.js';

export type { WasmPlatform, WebPlatformOptions } from './platform.js';
export { browserPlatform, webPlatform, relaxedSimdSupported, sharedMemorySupported } from './platform.js';

export interface WasmBackendOptions {
  /** Threads sharing each large kernel call, this one included (default 1). Needs SharedArrayBuffer and workers. */
  threads?: number;
  /** Use the relaxed-SIMD build (fused multiply-add) where the engine supports it (default false). */
  relaxed?: boolean;
  /** Host services; default: the browser's. Node passes its own (src/node/wasm.ts: createNodeWasmBackend). */
  platform?: WasmPlatform;
  /** Upper bound of the shared memory in MiB (default 4096, the wasm32 limit). */
  maxMemoryMB?: number;
  /** Share the memory (default: wherever SharedArrayBuffer works). false: a fixed-size memory, one thread. */
  sharedMemory?: boolean;
  /** Size of the fixed, non-shared memory used without SharedArrayBuffer, in MiB (default 512). */
  unsharedMemoryMB?: number;
}

const PAGE = 65536;
/** Largest W (elements) that gatherCols/scatterAddCols copy transposed into scratch. */
const MAX_TRANSPOSE_ELEMS = 1 << 24;
const MiB = 1 << 20;

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const platform = opts.platform ?? browserPlatform;
  let relaxed = false;
  if (opts.relaxed) {
    platform.enableRelaxedSimd?.();
    relaxed = relaxedSimdSupported();
  }
  const shared = opts.sharedMemory ?? sharedMemorySupported();
  let bytes = toBytes(await platform.readWasm(relaxed ? WASM_FILES.relaxed : WASM_FILES.simd));
  if (!shared) bytes = unshareMemoryImport(bytes);
  const module = await WebAssembly.compile(bytes);
  const memory = shared ? sharedMemory(opts.maxMemoryMB ?? 4096) : fixedMemory(opts.unsharedMemoryMB ?? 512);
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: wasmAbort } });
  const backend = new WasmBackend(instance.exports as unknown as WasmExports, memory, shared, relaxed);
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  if (threads > 1) {
    if (!shared) backend.threadsUnavailable = 'no SharedArrayBuffer (the page is not cross-origin isolated)';
    else if (!platform.startWorker) backend.threadsUnavailable = 'the platform cannot start workers';
    else {
      // threads only speed things up: a host that cannot start them still gets a working backend
      try {
        await backend.startThreads(threads - 1, platform.startWorker, module);
      } catch (err) {
        backend.threadsUnavailable = `workers failed to start: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  return backend;
}

/** A private copy of the module's bytes (the loader's buffer may be pooled or shared). */
function toBytes(src: BufferSource): Uint8Array<ArrayBuffer> {
  return new Uint8Array(ArrayBuffer.isView(src) ? new Uint8Array(src.buffer, src.byteOffset, src.byteLength) : src);
}

function sharedMemory(maxMB: number): WebAssembly.Memory {
  // Engines reserve the whole maximum of a shared memory up front; halve it until the reservation succeeds.
  for (let pages = Math.min(65536, Math.ceil((maxMB * MiB) / PAGE)); ; pages >>= 1) {
    try {
      return new WebAssembly.Memory({ initial: Math.min(256, pages), maximum: pages, shared: true });
    } catch (err) {
      if (pages <= 1024) throw err;
    }
  }
}

function fixedMemory(mb: number): WebAssembly.Memory {
  const pages = Math.min(65536, Math.ceil((mb * MiB) / PAGE));
  return new WebAssembly.Memory({ initial: pages, maximum: pages });
}

function wasmAbort(): never {
  throw new Error('wasm backend: abort');
}

export class WasmBackend extends WasmKernels implements Backend {
  readonly name = 'wasm';
  readonly dtype = 'f32' as const;
  /** Why fewer threads run than were asked for (null: as asked). */
  threadsUnavailable: string | null = null;
  /** Kernel calls handed to the worker threads so far (diagnostics, tests). */
  parallelCalls = 0;
  /** Parts of split calls that a worker thread ran (the rest ran on the calling thread: nobody joined in time). */
  get workerParts(): number { return this.pool ? this.pool.workerParts : 0; }

  private readonly heap: Allocator;
  private buffer: ArrayBufferLike;
  /** Every buffer object the memory has had: views made before a growth keep the old one. */
  private readonly buffers = new Set<ArrayBufferLike>();
  private i32!: Int32Array;
  protected pool: ThreadPool | null = null;
  protected gemmScratch: number;
  private readonly gemmScratchBytes: number;
  protected readonly sumSquaresBlock: number;
  private intScratch = { ptr: 0, capacity: 0 };
  protected readonly f64Scratch = { ptr: 0, capacity: 0 };
  private f32Scratch = { ptr: 0, capacity: 0 };

  /** @internal use createWasmBackend */
  constructor(protected readonly ex: WasmExports, readonly memory: WebAssembly.Memory, readonly shared: boolean,
    /** whether the relaxed-SIMD build is running */ readonly relaxed: boolean) {
    super();
    this.buffer = memory.buffer;
    this.refreshViews();
    this.heap = new Allocator(ex.heapBase(), (end) => this.ensureBytes(end));
    this.gemmScratchBytes = ex.gemmScratchBytes();
    this.gemmScratch = this.heap.alloc(this.gemmScratchBytes).ptr;
    this.sumSquaresBlock = ex.sumSquaresBlock();
  }

  /** Threads that share large kernel calls, this one included. */
  get threads(): number { return this.pool ? this.pool.parts : 1; }

  /** @internal */
  async startThreads(workers: number, start: NonNullable<WasmPlatform['startWorker']>, module: WebAssembly.Module): Promise<void> {
    const ctl = this.heap.alloc(ctlBytes(workers + 1)).ptr;
    // every part of a gemm packs into its own scratch, consecutive from gemmScratch
    this.heap.release(this.gemmScratch);
    this.gemmScratch = this.heap.alloc(this.gemmScratchBytes * (workers + 1)).ptr;
    this.pool = await ThreadPool.start(workers, start, module, this.memory, ctl, this.ex);
  }

  /** Stop the worker threads (the backend keeps working, on the calling thread). */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.dispose();
  }

  // ------------------------------------------------------------------ memory

  alloc(n: number): Float32Array {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`wasm backend: alloc(${n})`);
    const { ptr, fresh } = this.heap.alloc(4 * n);
    const view = new Float32Array(this.buffer, ptr, n);
    if (!fresh) view.fill(0);
    return view;
  }

  free(buf: Buf): void {
    this.ptr(buf, 0, 0);
    this.heap.release(buf.byteOffset);
  }

  /** Bytes of the memory handed out so far. */
  get bytesUsed(): number { return this.heap.used; }

  private ensureBytes(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (!this.shared) {
      throw new RangeError(`wasm backend: out of memory (${have / MiB} MiB). Without SharedArrayBuffer the memory cannot `
        + 'grow without detaching every buffer already handed out; pass a larger unsharedMemoryMB, or serve the page '
        + 'cross-origin isolated so that the memory can be shared and grow.');
    }
    // grow by a quarter at least, so that many small allocations do not grow page by page
    const pages = Math.ceil((end - have) / PAGE);
    try {
      this.memory.grow(Math.max(pages, Math.ceil(have / PAGE / 4)));
    } catch {
      try {
        this.memory.grow(pages);
      } catch {
        throw new RangeError(`wasm backend: out of memory: ${end / MiB} MiB needed, the memory cannot grow past ${have / MiB} MiB`);
      }
    }
    this.buffer = this.memory.buffer;
    this.refreshViews();
  }

  private refreshViews(): void {
    this.buffers.add(this.buffer);
    this.i32 = new Int32Array(this.buffer);
  }

  /** Byte address of buf[off], after checking that buf lives in this memory and holds `count` elements from off. */
  protected ptr(buf: Buf, off: number, count: number): number {
    if (buf.buffer !== this.buffer && !this.buffers.has(buf.buffer)) {
      throw new TypeError('wasm backend: a buffer passed to a kernel is not in this backend\'s memory (allocate it with backend.alloc)');
    }
    if (buf.BYTES_PER_ELEMENT !== 4) throw new TypeError('wasm backend: buffers must be Float32Array (dtype f32)');
    if (!(off >= 0 && off + count <= buf.length)) {
      throw new RangeError(`wasm backend: ${count} elements at offset ${off} do not fit in a buffer of ${buf.length}`);
    }
    return buf.byteOffset + 4 * off;
  }

  protected maybePtr(buf: Buf | null, off: number, count: number): number {
    return buf === null ? 0 : this.ptr(buf, off, count);
  }

  /** Copy n ids into the int scratch, checking id < limit (negative ids mean "none" and pass). */
  protected ids(ids: Int32Array, off: number, n: number, limit: number, what: string): number {
    if (!(off >= 0 && off + n <= ids.length)) throw new RangeError(`wasm backend: ${n} ${what} at offset ${off} do not fit in ${ids.length}`);
    const s = this.scratch(this.intScratch, n, 4);
    const base = s >>> 2, heap = this.i32;
    for (let i = 0; i < n; i++) {
      const id = ids[off + i];
      if (id >= limit) throw new RangeError(`wasm backend: ${what} ${id} out of range (< ${limit})`);
      heap[base + i] = id;
    }
    return s;
  }

  /** A scratch block of at least n items of `size` bytes, reallocated (doubling) when too small. */
  protected scratch(s: { ptr: number; capacity: number }, n: number, size: number): number {
    if (n > s.capacity) {
      if (s.capacity > 0) this.heap.release(s.ptr);
      s.capacity = Math.max(n, 2 * s.capacity, 256);
      s.ptr = this.heap.alloc(s.capacity * size).ptr;
    }
    return s.ptr;
  }

  /** Whether a call of this much work is split across threads. */
  protected split(work: number, threshold: number): boolean {
    if (this.pool === null || work < threshold) return false;
    this.parallelCalls++;
    return true;
  }

  /**
   * Room for Wᵀ when gathering or scattering many columns of a rows×cols W (the kernel then walks rows, not
   * columns), or 0 where the plain strided walk is cheaper (few columns) or the copy too big.
   */
  protected transposeScratch(rows: number, cols: number, n: number): number {
    return n > 2 * cols && rows * cols <= MAX_TRANSPOSE_ELEMS ? this.scratch(this.f32Scratch, rows * cols, 4) : 0;
  }

  // ------------------------------------------------------------------ beyond the interface

  /** y = f(x) elementwise with the kernels' own vector exp/tanh/sigmoid (to measure their accuracy). */
  applyMath(fn: 'exp' | 'tanh' | 'sigmoid', n: number, x: Buf, xOff: number, y: Buf, yOff: number): void {
    const px = this.ptr(x, xOff, n), py = this.ptr(y, yOff, n);
    if (fn === 'exp') this.ex.expInto(n, px, py);
    else if (fn === 'tanh') this.ex.tanhInto(n, px, py);
    else this.ex.sigmoidInto(n, px, py);
  }
}
