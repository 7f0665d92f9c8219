/**
 * The browser's host for loadModel, and the backend every recur page uses (the playground too): the SIMD
 * WebAssembly kernels, with worker threads when the page is cross-origin isolated (SharedArrayBuffer
 * exists) and one thread otherwise, or the JavaScript kernels when WebAssembly cannot start.
 *
 * The .wasm files and the kernel worker are named by literal `new URL('…', import.meta.url)`
 * expressions, the form bundlers (Vite, webpack 5, Parcel, esbuild with a loader) recognise: they copy the
 * files into the app's assets and rewrite the URLs. Unbundled (dist/ served as is, or the one-file bundle
 * in dist/bundle/, which sits at the same depth) they resolve to the package's build/wasm/ and
 * dist/kernels/wasm/. Platform-free: fetch and Worker are the browser's (and Node's fetch works too).
 */
import type { Backend } from '../kernels/backend.js';
import { JsBackend } from '../kernels/js.js';
import { createWasmBackend, webPlatform } from '../kernels/wasm/index.js';
import { WASM_FILES, type WasmFile } from '../kernels/wasm/platform.js';
import { fetchBytes, loadModelOn, type BackendChoice, type Host, type LoadModel } from './load.js';

const WASM_URLS: Record<WasmFile, () => URL> = {
  [WASM_FILES.simd]: () => new URL('../../build/wasm/recur-simd.wasm', import.meta.url),
  [WASM_FILES.relaxed]: () => new URL('../../build/wasm/recur-relaxed.wasm', import.meta.url),
};

const platform = webPlatform({
  wasmUrl: (file) => WASM_URLS[file](),
  createWorker: () => new Worker(new URL('../kernels/wasm/worker-browser.js', import.meta.url), { type: 'module' }),
});

/** Whether the page (or worker) may share memory between threads. */
export const crossOriginIsolated = (): boolean => (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

/** Kernel threads, this one included: one without isolation; else leave a core for the page, at most 4. */
export function defaultWebThreads(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return crossOriginIsolated() ? Math.max(1, Math.min(4, cores - 1)) : 1;
}

export interface WebBackendOptions {
  /** Kernel threads (default defaultWebThreads()). */
  threads?: number;
  /** Use the relaxed-SIMD build where the engine has it (fused multiply-add; default false). */
  relaxed?: boolean;
}

/** The WebAssembly backend with the package's own .wasm files and kernel worker. */
export function createWebWasmBackend(opts: WebBackendOptions = {}): Promise<Backend> {
  return createWasmBackend({ threads: opts.threads ?? defaultWebThreads(), relaxed: opts.relaxed ?? false, platform });
}

/**
 * A backend of the chosen kind; with 'auto', WebAssembly unless it cannot start, and then the reason it
 * was not used comes back in `note`. 'native' does not exist in a browser and is refused.
 */
export async function createWebBackend(choice: BackendChoice, opts: WebBackendOptions = {}): Promise<{ backend: Backend; note: string | null }> {
  if (choice === 'native') throw new Error('the native backend exists only in Node; use wasm or js in a browser');
  if (choice === 'js') return { backend: new JsBackend('f32'), note: null };
  try {
    return { backend: await createWebWasmBackend(opts), note: null };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    if (choice === 'wasm') throw new Error(`the WebAssembly backend cannot start here: ${why}`);
    return { backend: new JsBackend('f32'), note: `WebAssembly backend unavailable (${why}); using JavaScript` };
  }
}

export const webHost: Host = {
  read: (source) => fetchBytes(source),
  createBackend: async (choice, threads) => (await createWebBackend(choice, { threads })).backend,
};

/**
 * Load a recur character model in a browser (or any host with fetch): from its bytes, a Blob or File
 * (an `<input type="file">`), or a URL (relative URLs resolve against the page).
 *
 * ```js
 * const m = await loadModel('model.safetensors');
 * console.log(m.backend, await m.generate({ prime: 'The ', length: 200, temperature: 0.8 }));
 * ```
 */
export const loadModel: LoadModel = (source, opts) => loadModelOn(webHost, source, opts);
