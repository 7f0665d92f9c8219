/**
 * The native backend: the kernel interface implemented by a Node addon (native/, built into
 * build/Release/recur_native.node by tools/build-native.mjs at install) with AVX-512, AVX2+FMA or
 * SSE2 kernels picked at run time and a persistent thread pool. Every method forwards its arguments
 * unchanged, preceded by one integer (instruction set · 256 + threads); the addon checks every
 * extent, so a bad offset is a RangeError, not memory corruption.
 *
 * Node-only (it loads a .node file), so it lives here and not in src/kernels.
 */
import { createRequire } from 'node:module';
import { ACTIVATION_CODE, type Activation, type Backend, type Buf, type PackedMatrix } from '../kernels/backend.js';

export type NativeIsa = 'avx512' | 'avx2' | 'sse';
export const NATIVE_ISAS: NativeIsa[] = ['avx512', 'avx2', 'sse'];

export interface NativeOptions {
  /** Threads for large kernels (the calling thread included, at most 64 are used); default 1. */
  threads?: number;
  /** Instruction set; default the best the CPU has, or $RECUR_NATIVE_ISA. */
  isa?: NativeIsa;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Addon = Record<string, (...args: any[]) => any>;

const ADDON_PATH = '../../build/Release/recur_native.node';
let cached: Addon | Error | null = null;

/** The loaded addon, or the reason it cannot be used. */
export function loadAddon(): Addon | Error {
  if (cached) return cached;
  if (process.arch !== 'x64') return (cached = new Error(`no native kernels for ${process.arch} CPUs (x86-64 only)`));
  try {
    cached = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    cached = new Error(code === 'MODULE_NOT_FOUND'
      ? 'build/Release/recur_native.node is missing (it is built at install when a C++ compiler is present; try `npm run build:native`)'
      : `build/Release/recur_native.node does not load: ${(e as Error).message.split('\n')[0]}`);
  }
  return cached;
}

/** Instruction sets this CPU can run with the built addon, best first (empty when it is not built). */
export function nativeIsas(): NativeIsa[] {
  const a = loadAddon();
  return a instanceof Error ? [] : (a.isas() as NativeIsa[]);
}

export async function createNativeBackend(opts: NativeOptions = {}): Promise<NativeBackend> {
  const addon = loadAddon();
  if (addon instanceof Error) throw addon;
  const asked = opts.threads ?? 1;
  if (!(Number.isInteger(asked) && asked >= 1)) throw new Error(`threads must be a positive integer, got ${asked}`);
  const threads = Math.min(asked, 64);  // the pool's limit (a bigger machine still gets 64)
  const have = addon.isas() as NativeIsa[];
  const envIsa = process.env.RECUR_NATIVE_ISA;
  const want = opts.isa ?? (envIsa ? (envIsa as NativeIsa) : have[0]);
  if (!NATIVE_ISAS.includes(want)) throw new Error(`unknown instruction set '${want}' (expected ${NATIVE_ISAS.join(', ')})`);
  if (!have.includes(want)) throw new Error(`this CPU cannot run the ${want} kernels (it has ${have.join(', ')})`);
  return new NativeBackend(addon, want, threads);
}

export class NativeBackend implements Backend {
  readonly name = 'native';
  readonly dtype = 'f32' as const;
  private readonly cfg: number;

  constructor(private readonly n: Addon, readonly isa: NativeIsa, readonly threads: number) {
    this.cfg = NATIVE_ISAS.indexOf(isa) * 256 + threads;
  }

  /** e.g. "native (avx512, 2 threads)". */
  describe(): string { return `native (${this.isa}, ${this.threads} thread${this.threads === 1 ? '' : 's'})`; }

  /** Float32Arrays starting on a 64-byte boundary (full-width vector loads never split a cache line). */
  alloc(n: number): Buf {
    if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`alloc: bad size ${n}`);
    if (n === 0) return new Float32Array(0);
    const ab = new ArrayBuffer(4 * (n + 15));
    return new Float32Array(ab, 4 * (this.n.alignOffset(ab) as number), n);
  }
  free(_buf: Buf): void {}

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, A: Buf, aOff: number, lda: number,
    B: Buf, bOff: number, ldb: number, beta: number, C: Buf, cOff: number, ldc: number): void {
    this.n.gemm(this.cfg, transA, transB, m, n, k, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
  }

  packMatvec(n: number, k: number, W: Buf, wOff: number, ldw: number, into: PackedMatrix | null): PackedMatrix {
    return this.n.packMatvec(this.cfg, n, k, W, wOff, ldw, into) as PackedMatrix;
  }
  matvecPacked(P: PackedMatrix, alpha: number, x: Buf, xOff: number, beta: number, y: Buf, yOff: number): void {
    this.n.matvecPacked(this.cfg, P, alpha, x, xOff, beta, y, yOff);
  }

  addRowVector(C: Buf, cOff: number, rows: number, cols: number, ldc: number, bias: Buf, bOff: number): void {
    this.n.addRowVector(this.cfg, C, cOff, rows, cols, ldc, bias, bOff);
  }
  sumRows(src: Buf, sOff: number, rows: number, cols: number, lds: number, dst: Buf, dOff: number): void {
    this.n.sumRows(this.cfg, src, sOff, rows, cols, lds, dst, dOff);
  }
  gatherRows(table: Buf, dim: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void {
    this.n.gatherRows(this.cfg, table, dim, ids, idOff, n, dst, dOff, ldd, beta);
  }
  scatterAddRows(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, table: Buf, dim: number): void {
    this.n.scatterAddRows(this.cfg, src, sOff, lds, ids, idOff, n, table, dim);
  }
  gatherCols(W: Buf, rows: number, cols: number, ids: Int32Array, idOff: number, n: number, dst: Buf, dOff: number, ldd: number, beta: number): void {
    this.n.gatherCols(this.cfg, W, rows, cols, ids, idOff, n, dst, dOff, ldd, beta);
  }
  scatterAddCols(src: Buf, sOff: number, lds: number, ids: Int32Array, idOff: number, n: number, W: Buf, rows: number, cols: number): void {
    this.n.scatterAddCols(this.cfg, src, sOff, lds, ids, idOff, n, W, rows, cols);
  }

  elmanForward(act: Activation, B: number, H: number, pre: Buf, preOff: number, hPrev: Buf, hPrevOff: number, h: Buf, hOff: number,
    mask: Buf | null, maskOff: number): void {
    this.n.elmanForward(this.cfg, activation(act), B, H, pre, preOff, hPrev, hPrevOff, h, hOff, mask, maskOff);
  }
  elmanBackward(act: Activation, B: number, H: number, h: Buf, hOff: number, dh: Buf, dhOff: number, dpre: Buf, dpreOff: number,
    dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    this.n.elmanBackward(this.cfg, activation(act), B, H, h, hOff, dh, dhOff, dpre, dpreOff, dhPrev, dhPrevOff, mask, maskOff);
  }
  lstmForward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    hPrev: Buf, hPrevOff: number, h: Buf, hOff: number, mask: Buf | null, maskOff: number): void {
    this.n.lstmForward(this.cfg, B, H, gates, gOff, cPrev, cPrevOff, c, cOff, hPrev, hPrevOff, h, hOff, mask, maskOff);
  }
  lstmBackward(B: number, H: number, gates: Buf, gOff: number, cPrev: Buf, cPrevOff: number, c: Buf, cOff: number,
    dh: Buf, dhOff: number, dc: Buf, dcOff: number, dgates: Buf, dgOff: number, dcPrev: Buf, dcPrevOff: number,
    dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    this.n.lstmBackward(this.cfg, B, H, gates, gOff, cPrev, cPrevOff, c, cOff, dh, dhOff, dc, dcOff, dgates, dgOff,
      dcPrev, dcPrevOff, dhPrev, dhPrevOff, mask, maskOff);
  }
  gruForward(B: number, H: number, xg: Buf, xgOff: number, hg: Buf, hgOff: number, hPrev: Buf, hPrevOff: number,
    h: Buf, hOff: number, cache: Buf, cacheOff: number, mask: Buf | null, maskOff: number): void {
    this.n.gruForward(this.cfg, B, H, xg, xgOff, hg, hgOff, hPrev, hPrevOff, h, hOff, cache, cacheOff, mask, maskOff);
  }
  gruBackward(B: number, H: number, hPrev: Buf, hPrevOff: number, cache: Buf, cacheOff: number, dh: Buf, dhOff: number,
    dxg: Buf, dxgOff: number, dhg: Buf, dhgOff: number, dhPrev: Buf, dhPrevOff: number, mask: Buf | null, maskOff: number): void {
    this.n.gruBackward(this.cfg, B, H, hPrev, hPrevOff, cache, cacheOff, dh, dhOff, dxg, dxgOff, dhg, dhgOff, dhPrev, dhPrevOff, mask, maskOff);
  }

  softmax(rows: number, cols: number, x: Buf, xOff: number, out: Buf, outOff: number, temperature: number): void {
    this.n.softmax(this.cfg, rows, cols, x, xOff, out, outOff, temperature);
  }
  softmaxBackward(rows: number, cols: number, p: Buf, pOff: number, dp: Buf, dpOff: number, dx: Buf, dxOff: number, accumulate: boolean): void {
    this.n.softmaxBackward(this.cfg, rows, cols, p, pOff, dp, dpOff, dx, dxOff, accumulate);
  }
  softmaxCrossEntropy(rows: number, cols: number, logits: Buf, lOff: number, targets: Int32Array, tOff: number,
    dlogits: Buf | null, dOff: number, scale: number): number {
    return this.n.softmaxCrossEntropy(this.cfg, rows, cols, logits, lOff, targets, tOff, dlogits, dOff, scale);
  }
  squaredError(n: number, pred: Buf, pOff: number, target: Buf, tOff: number, weight: Buf | null, wOff: number,
    dpred: Buf | null, dOff: number, scale: number): number {
    return this.n.squaredError(this.cfg, n, pred, pOff, target, tOff, weight, wOff, dpred, dOff, scale);
  }

  fill(x: Buf, off: number, n: number, value: number): void { this.n.fill(this.cfg, x, off, n, value); }
  copy(n: number, src: Buf, sOff: number, dst: Buf, dOff: number): void { this.n.copy(this.cfg, n, src, sOff, dst, dOff); }
  axpy(n: number, a: number, x: Buf, xOff: number, y: Buf, yOff: number): void { this.n.axpy(this.cfg, n, a, x, xOff, y, yOff); }
  scale(n: number, a: number, x: Buf, xOff: number): void { this.n.scale(this.cfg, n, a, x, xOff); }
  mul(n: number, x: Buf, xOff: number, m: Buf, mOff: number, out: Buf, outOff: number): void {
    this.n.mul(this.cfg, n, x, xOff, m, mOff, out, outOff);
  }
  sumSquares(n: number, x: Buf, off: number): number { return this.n.sumSquares(this.cfg, n, x, off); }
  clampAbs(n: number, x: Buf, off: number, t: number): void { this.n.clampAbs(this.cfg, n, x, off, t); }

  sgdStep(n: number, p: Buf, g: Buf, v: Buf | null, lr: number, momentum: number, nesterov: boolean, weightDecay: number, first: boolean): void {
    this.n.sgdStep(this.cfg, n, p, g, v, lr, momentum, nesterov, weightDecay, first);
  }
  adagradStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, eps: number, weightDecay: number): void {
    this.n.adagradStep(this.cfg, n, p, g, s, lr, eps, weightDecay);
  }
  rmspropStep(n: number, p: Buf, g: Buf, s: Buf, lr: number, alpha: number, eps: number, weightDecay: number): void {
    this.n.rmspropStep(this.cfg, n, p, g, s, lr, alpha, eps, weightDecay);
  }
  adamStep(n: number, p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number,
    weightDecay: number, decoupled: boolean, step: number): void {
    this.n.adamStep(this.cfg, n, p, g, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step);
  }
}

function activation(act: Activation): number {
  const code = ACTIVATION_CODE[act];
  if (code === undefined) throw new Error(`unknown activation '${act}'`);
  return code;
}

export type Sgemm = (transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, A: Buf, aOff: number,
  lda: number, B: Buf, bOff: number, ldb: number, beta: number, C: Buf, cOff: number, ldc: number) => void;

/**
 * OpenBLAS's sgemm through the addon, for benchmarks only (recur's kernels do not use it). Sets
 * OPENBLAS_CORETYPE=SkylakeX first unless set: Debian's 0.3.21 does not recognise recent CPUs and
 * would run SSE3 kernels; the variable is read when the library is loaded, which is here (dlopen).
 * Returns null when the addon is not built or the library is not installed.
 */
export function loadOpenBlas(threads = 1): { core: string; sgemm: Sgemm } | null {
  const addon = loadAddon();
  if (addon instanceof Error) return null;
  process.env.OPENBLAS_CORETYPE ??= 'SkylakeX';
  const core = addon.blasLoad() as string | null;
  if (core === null) return null;
  // The cfg's instruction-set field is unused here; 2 (SSE2) exists on every x86-64 CPU.
  const cfg = 2 * 256 + threads;
  return { core, sgemm: (...args) => addon.blasSgemm(cfg, ...args) };
}
