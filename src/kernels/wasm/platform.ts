/**
 * Everything the wasm backend needs from its host, behind one small interface so that the backend itself stays
 * platform-free: reading the .wasm bytes, making relaxed SIMD compilable (a V8 flag in Node 20), starting workers.
 * The browser platform lives here; the Node one is src/node/wasm.ts.
 */
import type { KernelWorker } from './pool.js';
import type { WorkerInit, WorkerReply } from './protocol.js';

export interface WasmPlatform {
  /** The bytes of `build/wasm/<file>`. */
  readWasm(file: WasmFile): Promise<BufferSource>;
  /** Make relaxed SIMD available if the engine hides it behind a flag; called before compiling. */
  enableRelaxedSimd?(): void;
  /** Start one kernel worker (absent: single-threaded only). */
  startWorker?(): KernelWorker;
}

export const WASM_FILES = { simd: 'recur-simd.wasm', relaxed: 'recur-relaxed.wasm' } as const;
export type WasmFile = (typeof WASM_FILES)[keyof typeof WASM_FILES];

export interface WebPlatformOptions {
  /** Where a .wasm file is served; default: the package's build/wasm/, relative to this module. */
  wasmUrl?: (file: WasmFile) => string | URL;
  /**
   * Start a module Web Worker running worker-browser (default: the compiled worker-browser.js next to this module).
   * Bundlers want to see the worker's own URL, e.g. with Vite:
   * `() => new Worker(new URL('recur/src/kernels/wasm/worker-browser.ts', import.meta.url), { type: 'module' })`.
   */
  createWorker?: () => Worker;
}

/** A browser (or Web Worker) platform: fetch the .wasm files, start kernel workers as module Web Workers. */
export function webPlatform(opts: WebPlatformOptions = {}): WasmPlatform {
  const wasmUrl = opts.wasmUrl ?? ((file: WasmFile) => new URL(`../../../build/wasm/${file}`, import.meta.url));
  const createWorker = opts.createWorker ?? (() => new Worker(new URL('./worker-browser.js', import.meta.url), { type: 'module' }));
  return {
    async readWasm(file) {
      const url = wasmUrl(file);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`wasm backend: cannot fetch ${String(url)} (${res.status}); run npm run build`);
      return res.arrayBuffer();
    },
    startWorker() {
      const w = createWorker();
      return {
        postMessage: (msg: WorkerInit) => w.postMessage(msg),
        onMessage: (h: (msg: WorkerReply) => void) => { w.onmessage = (e) => h(e.data as WorkerReply); },
        onError: (h: (err: unknown) => void) => { w.onerror = (e) => h(e); },
        terminate: () => w.terminate(),
      };
    },
  };
}

export const browserPlatform: WasmPlatform = webPlatform();

/** A module with one f32x4.relaxed_madd: validates only where relaxed SIMD is enabled. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code: 61 bytes, one body of 59 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0x105)
  0x0b,
]);

export function relaxedSimdSupported(): boolean {
  try { return WebAssembly.validate(RELAXED_PROBE); } catch { return false; }
}

export function sharedMemorySupported(): boolean {
  if (typeof SharedArrayBuffer === 'undefined') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * The same module with its imported memory declared non-shared (limits flag 0x03 → 0x01), for hosts without
 * SharedArrayBuffer. The kernels use no atomics, so nothing else changes.
 */
export function unshareMemoryImport(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = bytes.slice();
  let pos = 8;
  const leb = (): number => {
    let result = 0, shift = 0, b: number;
    do { b = out[pos++]; result |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
    return result >>> 0;
  };
  const skipName = (): void => { const n = leb(); pos += n; };
  while (pos < out.length) {
    const id = out[pos++], size = leb(), end = pos + size;
    if (id !== 2) { pos = end; continue; }
    for (let count = leb(); count > 0; count--) {
      skipName(); skipName();
      const kind = out[pos++];
      if (kind === 0) leb();
      else if (kind === 1) { pos++; const f = out[pos++]; leb(); if (f & 1) leb(); }
      else if (kind === 3) pos += 2;
      else if (kind === 2) {
        if (out[pos] === 0x03) out[pos] = 0x01;
        return out;
      }
    }
    pos = end;
  }
  throw new Error('wasm backend: module imports no memory');
}
