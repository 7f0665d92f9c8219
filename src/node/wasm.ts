/**
 * Node's services for the wasm backend: the .wasm bytes from the package's build/wasm/ folder, the V8 flag that
 * Node 20 needs for relaxed SIMD, and worker_threads running the kernel worker loop. Kept out of src/kernels so
 * that the backend itself stays loadable in a browser.
 */
import { readFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { createWasmBackend, type WasmBackend, type WasmBackendOptions, type WasmPlatform } from '../kernels/wasm/index.js';
import type { KernelWorker } from '../kernels/wasm/pool.js';
import type { WorkerReply } from '../kernels/wasm/protocol.js';

/** Under tsx the sources run as .ts; built, as .js. */
const EXT = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

/** Set the V8 flag that Node 20 keeps relaxed SIMD behind (harmless where it is on already). */
export function enableRelaxedSimd(): void {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/**
 * Under tsx (sources run as .ts) a worker does not inherit tsx's loader hooks, so the worker first registers them
 * and then imports the entry; built code starts the .js entry directly.
 */
function spawn(): Worker {
  const entry = new URL(`./wasm-worker.${EXT}`, import.meta.url);
  if (EXT === 'js') return new Worker(entry);
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true });
}

function startWorker(): KernelWorker {
  const w = spawn();
  return {
    postMessage: (msg) => w.postMessage(msg),
    onMessage: (h: (msg: WorkerReply) => void) => { w.on('message', h); },
    onError: (h) => { w.on('error', h); },
    terminate: () => w.terminate(),
    unref: () => w.unref(),
  };
}

export const nodeWasmPlatform: WasmPlatform = {
  readWasm: (file) => readFile(new URL(`../../build/wasm/${file}`, import.meta.url)).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? new Error(`wasm backend: build/wasm/${file} is missing; run npm run build`) : err;
  }),
  enableRelaxedSimd,
  startWorker,
};

/** Whether build/wasm/ holds the compiled kernels (tests skip the wasm suite without them). */
export async function wasmBuilt(): Promise<boolean> {
  try {
    await readFile(new URL('../../build/wasm/recur-simd.wasm', import.meta.url));
    return true;
  } catch {
    return false;
  }
}

/** createWasmBackend with Node's platform. */
export function createNodeWasmBackend(opts: Omit<WasmBackendOptions, 'platform'> = {}): Promise<WasmBackend> {
  return createWasmBackend({ ...opts, platform: nodeWasmPlatform });
}
