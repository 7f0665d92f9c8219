/**
 * OpenBLAS's sgemm for bench/native-gemm.ts, through the bench-only addon of this folder (built by
 * `npm run bench:gemm`); recur's own kernels do not use it. Sets OPENBLAS_CORETYPE=SkylakeX first unless
 * set: Debian's 0.3.21 does not recognise recent CPUs and would run SSE3 kernels; the variable is read when
 * the library is loaded, which is here (dlopen). Returns null when the addon is not built or the library
 * is not installed.
 */
import { createRequire } from 'node:module';
import type { Buf } from '../../src/kernels/backend.js';

export type Sgemm = (transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, A: Buf, aOff: number,
  lda: number, B: Buf, bOff: number, ldb: number, beta: number, C: Buf, cOff: number, ldc: number) => void;

interface BlasAddon { load(): string | null; sgemm(threads: number, ...args: Parameters<Sgemm>): void }

export function loadOpenBlas(threads = 1): { core: string; sgemm: Sgemm } | null {
  let addon: BlasAddon;
  try {
    addon = createRequire(import.meta.url)('./build/Release/recur_blas.node') as BlasAddon;
  } catch {
    return null;
  }
  process.env.OPENBLAS_CORETYPE ??= 'SkylakeX';
  const core = addon.load();
  if (core === null) return null;
  return { core, sgemm: (...args) => addon.sgemm(threads, ...args) };
}
