/**
 * The kernel backend of the training worker: the fastest the browser offers. 'auto' tries the
 * WebAssembly SIMD backend (src/kernels/wasm/, multi-threaded when the page is cross-origin isolated
 * so that SharedArrayBuffer exists) and falls back to the JavaScript reference backend when it cannot
 * start (no SIMD, the .wasm file missing from the build, ...).
 *
 * Each model gets a backend of its own: a WASM backend's memory only grows, so a fresh one per model
 * (and dispose() of the old one) is what returns the memory of a discarded model.
 */
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';
import type { BackendChoice } from './protocol.js';

/** Kernel threads, this one included: leave a core for the page and one for the rest of the machine. */
function threadCount(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return isolated ? Math.max(1, Math.min(4, cores - 1)) : 1;
}

async function wasm(): Promise<Backend> {
  const { createWasmBackend } = await import('../../src/kernels/wasm/index.js');
  return createWasmBackend({ threads: threadCount() });
}

/** A backend of the chosen kind; with 'auto', the reason WASM was not used comes back too. */
export async function pickBackend(choice: BackendChoice): Promise<{ backend: Backend; note: string | null }> {
  if (choice === 'js') return { backend: new JsBackend('f32'), note: null };
  try {
    return { backend: await wasm(), note: null };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    if (choice === 'wasm') throw new Error(`the WebAssembly backend cannot start here: ${why}`);
    return { backend: new JsBackend('f32'), note: `WebAssembly backend unavailable (${why}); using JavaScript` };
  }
}

/** Let go of a backend's threads (a WASM backend's memory goes with its last reference). */
export function releaseBackend(be: Backend | null): void {
  const d = (be as { dispose?: () => Promise<void> } | null)?.dispose;
  if (d) void d.call(be).catch(() => {});
}

/** Threads a backend runs kernels on (1 for the JavaScript backend). */
export const threadsOf = (be: Backend): number => (be as { threads?: number }).threads ?? 1;
