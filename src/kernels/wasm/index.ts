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
 *  - Nothing here touches the file system or `process`: the host is reached through a WasmPlatform (platform.ts;
 *    src/node/wasm.ts for Node, picked automatically there).
 */
import type { Activation, Backend, Buf } from '../backend.js';
import { ACTIVATION_CODE } from '../backend.js';
import { Allocator } from './allocator.js';
import { ThreadPool } from './pool.js';
import { ctlBytes, type SharedKernel, type WasmExports } from './protocol.js';
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
  /** Host services; default: Node's (src/node/wasm.ts) under Node, the browser's elsewhere. */
  platform?: WasmPlatform;
  /** Upper bound of the shared memory in MiB (default 4096, the wasm32 limit). */
  maxMemoryMB?: number;
  /** Share the memory (default: wherever SharedArrayBuffer works). false: a fixed-size memory, one thread. */
  sharedMemory?: boolean;
  /** Size of the fixed, non-shared memory used without SharedArrayBuffer, in MiB (default 512). */
  unsharedMemoryMB?: number;
}

const PAGE = 65536;
const MiB = 1 << 20;

// Work below these sizes runs on the calling thread: handing it over would cost more than it saves.
const PARALLEL_GEMM_FLOPS = 1 << 20;
/** …except a matrix-vector product with a weight this large (an LSTM-256's 1024×256 W_hh, when sampling). */
const PARALLEL_MATVEC_ELEMS = 1 << 17;
const PARALLEL_STEP_ELEMS = 4096;
const PARALLEL_ROW_ELEMS = 16384;
const PARALLEL_VECTOR_ELEMS = 1 << 16;
/** Largest W (elements) that gatherCols/scatterAddCols copy transposed into scratch. */
const MAX_TRANSPOSE_ELEMS = 1 << 24;

/** Elements spanned by a rows×cols matrix with leading dimension ld. */
const extent = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);

export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  const platform = opts.platform ?? (await defaultPlatform());
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

async function defaultPlatform(): Promise<WasmPlatform> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) return browserPlatform;
  const helper = '../../node/wasm.js'; // a variable, so that bundlers for the browser do not follow it
  return ((await import(/* @vite-ignore */ helper)) as { nodeWasmPlatform: WasmPlatform }).nodeWasmPlatform;
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

export class WasmBackend implements Backend {
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
  private pool: ThreadPool | null = null;
  private gemmScratch: number;
  private readonly gemmScratchBytes: number;
  private readonly sumSquaresBlock: number;
  private intScratch = { ptr: 0, capacity: 0 };
  private f64Scratch = { ptr: 0, capacity: 0 };
  private f32Scratch = { ptr: 0, capacity: 0 };

  /** @internal use createWasmBackend */
  constructor(private readonly ex: WasmExports, readonly memory: WebAssembly.Memory, readonly shared: boolean,
    /** whether the relaxed-SIMD build is running */ readonly relaxed: boolean) {
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
  private ptr(buf: Buf, off: number, count: number): number {
    if (buf.buffer !== this.buffer && !this.buffers.has(buf.buffer)) {
      throw new TypeError('wasm backend: a buffer passed to a kernel is not in this backend\'s memory (allocate it with backend.alloc)');
    }
    if (buf.BYTES_PER_ELEMENT !== 4) throw new TypeError('wasm backend: buffers must be Float32Array (dtype f32)');
    if (!(off >= 0 && off + count <= buf.length)) {
      throw new RangeError(`wasm backend: ${count} elements at offset ${off} do not fit in a buffer of ${buf.length}`);
    }
    return buf.byteOffset + 4 * off;
  }

  private maybePtr(buf: Buf | null, off: number, count: number): number {
    return buf === null ? 0 : this.ptr(buf, off, count);
  }

  /** Copy n ids into the int scratch, checking id < limit (negative ids mean "none" and pass). */
  private ids(ids: Int32Array, off: number, n: number, limit: number, what: string): number {
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
  private scratch(s: { ptr: number; capacity: number }, n: number, size: number): number {
    if (n > s.capacity) {
      if (s.capacity > 0) this.heap.release(s.ptr);
      s.capacity = Math.max(n, 2 * s.capacity, 256);
      s.ptr = this.heap.alloc(s.capacity * size).ptr;
    }
    return s.ptr;
  }

  /** Whether a call of this much work is split across threads. */
  private split(work: number, threshold: number): boolean {
    if (this.pool === null || work < threshold) return false;
    this.parallelCalls++;
    return true;
  }

  // ------------------------------------------------------------------ BLAS level 3

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    A: Buf, aOff: number, lda: number, B: Buf, bOff: number, ldb: number,
    beta: number, C: Buf, cOff: number, ldc: number): void {
    const ta = transA ? 1 : 0, tb = transB ? 1 : 0;
    const pa = this.ptr(A, aOff, k === 0 ? 0 : transA ? extent(k, m, lda) : extent(m, k, lda));
    const pb = this.ptr(B, bOff, k === 0 ? 0 : transB ? extent(n, k, ldb) : extent(k, n, ldb));
    const pc = this.ptr(C, cOff, extent(m, n, ldc));
    const s = this.gemmScratch;
    // A product with one or two rows (sampling) is bound by reading B: worth splitting once B is large.
    const work = m <= 2 && n * k >= PARALLEL_MATVEC_ELEMS ? PARALLEL_GEMM_FLOPS : 2 * m * n * k;
    if (this.split(work, PARALLEL_GEMM_FLOPS)) this.pool!.run('gemm', [ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, s, this.pool!.cursors]);
    else this.ex.gemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, s, 0, 0, 1);
  }

  // ------------------------------------------------------------------ rows and columns

  addRowVector(C: Buf, cOff: number, rows: number, cols: number, ldc: number, bias: Buf, bOff: number): void {
    this.ex.addRowVector(this.ptr(C, cOff, extent(rows, cols, ldc)), rows, cols, ldc, this.ptr(bias, bOff, cols));
  }

  sumRows(src: Buf, sOff: number, rows: number, cols: number, lds: number, dst: Buf, dOff: number): void {
    this.ex.sumRows(this.ptr(src, sOff, extent(rows, cols, lds)), rows, cols, lds, this.ptr(dst, dOff, cols));
  }

  gatherRows(table: Buf, dim: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void {
    const pt = this.ptr(table, 0, 0), pd = this.ptr(dst, dOff, extent(n, dim, ldd));
    const pi = this.ids(ids, idOff, n, Math.floor(table.length / dim), 'ids');
    this.ex.gatherRows(pt, dim, pi, n, pd, ldd, beta);
  }

  scatterAddRows(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, table: Buf, dim: number): void {
    const ps = this.ptr(src, sOff, extent(n, dim, lds)), pt = this.ptr(table, 0, 0);
    const pi = this.ids(ids, idOff, n, Math.floor(table.length / dim), 'ids');
    this.ex.scatterAddRows(ps, lds, pi, n, pt, dim);
  }

  gatherCols(W: Buf, rows: number, cols: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void {
    const pw = this.ptr(W, 0, rows * cols), pd = this.ptr(dst, dOff, extent(n, rows, ldd));
    const pi = this.ids(ids, idOff, n, cols, 'ids');
    this.ex.gatherCols(pw, rows, cols, pi, n, pd, ldd, beta, this.transposeScratch(rows, cols, n));
  }

  scatterAddCols(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, W: Buf, rows: number, cols: number): void {
    const ps = this.ptr(src, sOff, extent(n, rows, lds)), pw = this.ptr(W, 0, rows * cols);
    const pi = this.ids(ids, idOff, n, cols, 'ids');
    this.ex.scatterAddCols(ps, lds, pi, n, pw, rows, cols, this.transposeScratch(rows, cols, n));
  }

  /**
   * Room for Wᵀ when gathering or scattering many columns of a rows×cols W (the kernel then walks rows, not
   * columns), or 0 where the plain strided walk is cheaper (few columns) or the copy too big.
   */
  private transposeScratch(rows: number, cols: number, n: number): number {
    return n > 2 * cols && rows * cols <= MAX_TRANSPOSE_ELEMS ? this.scratch(this.f32Scratch, rows * cols, 4) : 0;
  }

  // ------------------------------------------------------------------ fused recurrent steps

  elmanForward(act: Activation, B: number, H: number, pre: Buf, preOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void {
    const a = ACTIVATION_CODE[act], n = B * H;
    const pp = this.ptr(pre, preOff, n), ph = this.ptr(hPrev, hPrevOff, n), po = this.ptr(h, hOff, n);
    const pm = this.maybePtr(mask, maskOff, B);
    if (this.split(n, PARALLEL_STEP_ELEMS)) this.pool!.run('elmanForward', [a, B, H, pp, ph, po, pm]);
    else this.ex.elmanForward(a, B, H, pp, ph, po, pm, 0, 1);
  }

  elmanBackward(act: Activation, B: number, H: number, h: Buf, hOff: number, dh: Buf, dhOff: number,
    dpre: Buf, dpreOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    const a = ACTIVATION_CODE[act], n = B * H;
    const ph = this.ptr(h, hOff, n), pd = this.ptr(dh, dhOff, n), pp = this.ptr(dpre, dpreOff, n);
    const pm = this.maybePtr(mask, maskOff, B);
    const pq = this.ptr(dhPrev, dhPrevOff, mask ? n : 0); // only masked rows touch dhPrev
    if (this.split(n, PARALLEL_STEP_ELEMS)) this.pool!.run('elmanBackward', [a, B, H, ph, pd, pp, pq, pm]);
    else this.ex.elmanBackward(a, B, H, ph, pd, pp, pq, pm, 0, 1);
  }

  lstmForward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void {
    const n = B * H;
    const pg = this.ptr(gates, gOff, 4 * n), pcp = this.ptr(cPrev, cPrevOff, n), pc = this.ptr(c, cOff, n);
    const php = this.ptr(hPrev, hPrevOff, n), ph = this.ptr(h, hOff, n), pm = this.maybePtr(mask, maskOff, B);
    if (this.split(n, PARALLEL_STEP_ELEMS)) this.pool!.run('lstmForward', [B, H, pg, pcp, pc, php, ph, pm]);
    else this.ex.lstmForward(B, H, pg, pcp, pc, php, ph, pm, 0, 1);
  }

  lstmBackward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    dh: Buf, dhOff: number, dc: Buf, dcOff: number, dgates: Buf, dgOff: number, dcPrev: Buf, dcPrevOff: number,
    dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    const n = B * H;
    const pg = this.ptr(gates, gOff, 4 * n), pcp = this.ptr(cPrev, cPrevOff, n), pc = this.ptr(c, cOff, n);
    const pdh = this.ptr(dh, dhOff, n), pdc = this.ptr(dc, dcOff, n), pdg = this.ptr(dgates, dgOff, 4 * n);
    const pdcp = this.ptr(dcPrev, dcPrevOff, n), pm = this.maybePtr(mask, maskOff, B);
    const pdhp = this.ptr(dhPrev, dhPrevOff, mask ? n : 0);
    if (this.split(n, PARALLEL_STEP_ELEMS)) this.pool!.run('lstmBackward', [B, H, pg, pcp, pc, pdh, pdc, pdg, pdcp, pdhp, pm]);
    else this.ex.lstmBackward(B, H, pg, pcp, pc, pdh, pdc, pdg, pdcp, pdhp, pm, 0, 1);
  }

  gruForward(B: number, H: number, xg: Buf, xgOff: number, hg: Buf, hgOff: number, hPrev: Buf, hPrevOff: number,
    h: Buf, hOff: number, cache: Buf, cacheOff: number, mask: Buf | null, maskOff: number): void {
    const n = B * H;
    const px = this.ptr(xg, xgOff, 3 * n), phg = this.ptr(hg, hgOff, 3 * n), php = this.ptr(hPrev, hPrevOff, n);
    const ph = this.ptr(h, hOff, n), pk = this.ptr(cache, cacheOff, 4 * n), pm = this.maybePtr(mask, maskOff, B);
    if (this.split(n, PARALLEL_STEP_ELEMS)) this.pool!.run('gruForward', [B, H, px, phg, php, ph, pk, pm]);
    else this.ex.gruForward(B, H, px, phg, php, ph, pk, pm, 0, 1);
  }

  gruBackward(B: number, H: number, hPrev: Buf, hPrevOff: number, cache: Buf, cacheOff: number, dh: Buf, dhOff: number,
    dxg: Buf, dxgOff: number, dhg: Buf, dhgOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    const n = B * H;
    const php = this.ptr(hPrev, hPrevOff, n), pk = this.ptr(cache, cacheOff, 4 * n), pdh = this.ptr(dh, dhOff, n);
    const pdx = this.ptr(dxg, dxgOff, 3 * n), pdhg = this.ptr(dhg, dhgOff, 3 * n), pdhp = this.ptr(dhPrev, dhPrevOff, n);
    const pm = this.maybePtr(mask, maskOff, B);
    if (this.split(n, PARALLEL_STEP_ELEMS)) this.pool!.run('gruBackward', [B, H, php, pk, pdh, pdx, pdhg, pdhp, pm]);
    else this.ex.gruBackward(B, H, php, pk, pdh, pdx, pdhg, pdhp, pm, 0, 1);
  }

  // ------------------------------------------------------------------ heads and losses

  softmax(rows: number, cols: number, x: Buf, xOff: number, out: Buf, outOff: number, temperature: number): void {
    const n = rows * cols, px = this.ptr(x, xOff, n), po = this.ptr(out, outOff, n);
    if (this.split(n, PARALLEL_ROW_ELEMS)) this.pool!.run('softmax', [rows, cols, px, po, temperature]);
    else this.ex.softmax(rows, cols, px, po, temperature, 0, 1);
  }

  softmaxBackward(rows: number, cols: number, p: Buf, pOff: number, dp: Buf, dpOff: number, dx: Buf, dxOff: number, accumulate: boolean): void {
    const n = rows * cols;
    this.ex.softmaxBackward(rows, cols, this.ptr(p, pOff, n), this.ptr(dp, dpOff, n), this.ptr(dx, dxOff, n), accumulate ? 1 : 0);
  }

  softmaxCrossEntropy(rows: number, cols: number, logits: Buf, lOff: number, targets: Int32Array, tOff: number,
    dlogits: Buf | null, dOff: number, scale: number): number {
    const n = rows * cols;
    const pl = this.ptr(logits, lOff, n), pd = this.maybePtr(dlogits, dOff, n);
    const pt = this.ids(targets, tOff, rows, cols, 'targets');
    const loss = this.scratch(this.f64Scratch, rows, 8);
    if (this.split(n, PARALLEL_ROW_ELEMS)) this.pool!.run('softmaxCrossEntropy', [rows, cols, pl, pt, pd, scale, loss]);
    else this.ex.softmaxCrossEntropy(rows, cols, pl, pt, pd, scale, loss, 0, 1);
    return this.ex.sumF64(loss, rows);
  }

  squaredError(n: number, pred: Buf, pOff: number, target: Buf, tOff: number, weight: Buf | null, wOff: number,
    dpred: Buf | null, dOff: number, scale: number): number {
    return this.ex.squaredError(n, this.ptr(pred, pOff, n), this.ptr(target, tOff, n), this.maybePtr(weight, wOff, n),
      this.maybePtr(dpred, dOff, n), scale);
  }

  // ------------------------------------------------------------------ vector ops

  fill(x: Buf, off: number, n: number, value: number): void { this.ex.fill(this.ptr(x, off, n), n, value); }
  copy(n: number, src: Buf, sOff: number, dst: Buf, dOff: number): void {
    this.ex.copy(n, this.ptr(src, sOff, n), this.ptr(dst, dOff, n));
  }
  axpy(n: number, a: number, x: Buf, xOff: number, y: Buf, yOff: number): void {
    this.ex.axpy(n, a, this.ptr(x, xOff, n), this.ptr(y, yOff, n));
  }
  scale(n: number, a: number, x: Buf, xOff: number): void { this.ex.scale(n, a, this.ptr(x, xOff, n)); }
  mul(n: number, x: Buf, xOff: number, m: Buf, mOff: number, out: Buf, outOff: number): void {
    this.ex.mul(n, this.ptr(x, xOff, n), this.ptr(m, mOff, n), this.ptr(out, outOff, n));
  }
  clampAbs(n: number, x: Buf, off: number, t: number): void { this.ex.clampAbs(n, this.ptr(x, off, n), t); }

  sumSquares(n: number, x: Buf, off: number): number {
    const px = this.ptr(x, off, n);
    const blocks = Math.ceil(n / this.sumSquaresBlock);
    const partials = this.scratch(this.f64Scratch, blocks, 8);
    if (this.split(n, PARALLEL_VECTOR_ELEMS)) this.pool!.run('sumSquares', [n, px, partials]);
    else this.ex.sumSquares(n, px, partials, 0, 1);
    return this.ex.sumF64(partials, blocks);
  }

  // ------------------------------------------------------------------ optimizer updates

  sgdStep(n: number, p: Buf, g: Buf, v: Buf | null, lr: number, momentum: number, nesterov: boolean, weightDecay: number, first: boolean): void {
    const pp = this.ptr(p, 0, n), pg = this.ptr(g, 0, n), pv = this.maybePtr(v, 0, n);
    const nest = nesterov ? 1 : 0, fst = first ? 1 : 0;
    if (this.split(n, PARALLEL_VECTOR_ELEMS)) this.pool!.run('sgdStep', [n, pp, pg, pv, lr, momentum, nest, weightDecay, fst]);
    else this.ex.sgdStep(n, pp, pg, pv, lr, momentum, nest, weightDecay, fst, 0, 1);
  }

  adagradStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, eps: number, weightDecay: number): void {
    const pp = this.ptr(p, 0, n), pg = this.ptr(g, 0, n), ps = this.ptr(s, 0, n);
    if (this.split(n, PARALLEL_VECTOR_ELEMS)) this.pool!.run('adagradStep', [n, pp, pg, ps, lr, eps, weightDecay]);
    else this.ex.adagradStep(n, pp, pg, ps, lr, eps, weightDecay, 0, 1);
  }

  rmspropStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, alpha: number, eps: number, weightDecay: number): void {
    const pp = this.ptr(p, 0, n), pg = this.ptr(g, 0, n), ps = this.ptr(s, 0, n);
    if (this.split(n, PARALLEL_VECTOR_ELEMS)) this.pool!.run('rmspropStep', [n, pp, pg, ps, lr, alpha, eps, weightDecay]);
    else this.ex.rmspropStep(n, pp, pg, ps, lr, alpha, eps, weightDecay, 0, 1);
  }

  adamStep(n: number, p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupled: boolean, step: number): void {
    const pp = this.ptr(p, 0, n), pg = this.ptr(g, 0, n), pm = this.ptr(m, 0, n), pv = this.ptr(v, 0, n);
    const stepSize = lr / (1 - Math.pow(beta1, step)), invSq = 1 / Math.sqrt(1 - Math.pow(beta2, step));
    const decay = decoupled ? 1 - lr * weightDecay : 1, l2 = decoupled ? 0 : weightDecay;
    if (this.split(n, PARALLEL_VECTOR_ELEMS)) this.pool!.run('adamStep', [n, pp, pg, pm, pv, beta1, beta2, eps, decay, l2, stepSize, invSq]);
    else this.ex.adamStep(n, pp, pg, pm, pv, beta1, beta2, eps, decay, l2, stepSize, invSq, 0, 1);
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
