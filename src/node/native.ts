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
import type { Backend, Buf, PackedMatrix } from '../kernels/backend.js';
import { NativeKernels, type AddonKernels } from './native-kernels.generated.js';

export type NativeIsa = 'avx512' | 'avx2' | 'sse';
export const NATIVE_ISAS: NativeIsa[] = ['avx512', 'avx2', 'sse'];

export interface NativeOptions {
  /** Threads for large kernels (the calling thread included, at most 64 are used); default 1. */
  threads?: number;
  /** Instruction set; default the best the CPU has, or $RECUR_NATIVE_ISA. */
  isa?: NativeIsa;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Addon = AddonKernels & Record<string, (...args: any[]) => any>;

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

/** The kernels' forwarding methods are generated from the table (native-kernels.generated.ts). */
export class NativeBackend extends NativeKernels implements Backend {
  readonly name = 'native';
  readonly dtype = 'f32' as const;
  protected readonly cfg: number;

  constructor(protected readonly n: Addon, readonly isa: NativeIsa, readonly threads: number) {
    super();
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

  packMatvec(n: number, k: number, W: Buf, wOff: number, ldw: number, into: PackedMatrix | null): PackedMatrix {
    return this.n.packMatvec(this.cfg, n, k, W, wOff, ldw, into) as PackedMatrix;
  }
  matvecPacked(P: PackedMatrix, alpha: number, x: Buf, xOff: number, beta: number, y: Buf, yOff: number): void {
    this.n.matvecPacked(this.cfg, P, alpha, x, xOff, beta, y, yOff);
  }
}
