/**
 * The kernel backend of the training worker: the one every recur page uses (src/api/web.ts: the
 * WebAssembly SIMD kernels, multi-threaded when the page is cross-origin isolated, else the JavaScript
 * reference backend with the reason WASM was not used).
 *
 * Each model gets a backend of its own: a WASM backend's memory only grows, so a fresh one per model
 * (and dispose() of the old one) is what returns the memory of a discarded model.
 */
import type { Backend } from '../../src/kernels/backend.js';
import { createWebBackend } from '../../src/api/web.js';
import type { BackendChoice } from './protocol.js';

/** A backend of the chosen kind; with 'auto', the reason WASM was not used comes back too. */
export const pickBackend = (choice: BackendChoice): Promise<{ backend: Backend; note: string | null }> => createWebBackend(choice);

/** Let go of a backend's threads (a WASM backend's memory goes with its last reference). */
export function releaseBackend(be: Backend | null): void {
  const d = (be as { dispose?: () => Promise<void> } | null)?.dispose;
  if (d) void d.call(be).catch(() => {});
}

/** Threads a backend runs kernels on (1 for the JavaScript backend). */
export const threadsOf = (be: Backend): number => (be as { threads?: number }).threads ?? 1;
