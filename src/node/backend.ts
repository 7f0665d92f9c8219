/**
 * Choosing a kernel backend in Node: `auto` takes the fastest one available (native, then wasm, then
 * js); a named one is used or refused with a clear message.
 */
import { availableParallelism } from 'node:os';
import type { Backend } from '../kernels/backend.js';
import { JsBackend } from '../kernels/js.js';

export type BackendName = 'auto' | 'native' | 'wasm' | 'js';
export const BACKEND_NAMES: BackendName[] = ['auto', 'native', 'wasm', 'js'];

export interface BackendOptions { backend?: BackendName; threads?: number }

export const defaultThreads = (): number => availableParallelism();

async function tryLoad(name: 'native' | 'wasm', threads: number): Promise<Backend | string> {
  try {
    const mod = await import(name === 'wasm' ? './wasm.js' : './native.js');
    return await (name === 'wasm' ? mod.createNodeWasmBackend({ threads, relaxed: true }) : mod.createNativeBackend({ threads }));
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const name = opts.backend ?? 'auto';
  const threads = opts.threads ?? defaultThreads();
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (name === 'js') return new JsBackend('f32');
  if (name === 'native' || name === 'wasm') {
    const be = await tryLoad(name, threads);
    if (typeof be === 'string') throw new Error(`the ${name} backend is not available: ${be}`);
    return be;
  }
  for (const n of ['native', 'wasm'] as const) {
    const be = await tryLoad(n, threads);
    if (typeof be !== 'string') return be;
  }
  return new JsBackend('f32');
}

/** One line naming a backend and how it runs: "native (avx512, 2 threads)", "wasm (relaxed SIMD, 1 thread)". */
export function describeBackend(be: Backend): string {
  const t = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;
  const b = be as Backend & { describe?: () => string; threads?: number; relaxed?: boolean; threadsUnavailable?: string | null };
  if (b.describe) return b.describe();  // the native backend names its instruction set and threads itself
  if (be.name === 'wasm') {
    return `wasm (${b.relaxed ? 'relaxed SIMD' : 'SIMD'}, ${t(b.threads ?? 1)}${b.threadsUnavailable ? `: ${b.threadsUnavailable}` : ''})`;
  }
  return `${be.name} (${be.dtype}, 1 thread)`;
}
