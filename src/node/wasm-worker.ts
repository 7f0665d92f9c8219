/** worker_threads entry: the kernel worker loop, with relaxed SIMD enabled before anything is compiled here. */
import { parentPort } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { serveKernels } from '../kernels/wasm/worker.js';
import type { WorkerInit } from '../kernels/wasm/protocol.js';

setFlagsFromString('--experimental-wasm-relaxed-simd');
const port = parentPort;
if (!port) throw new Error('wasm-worker.ts must run as a worker thread');
port.once('message', (init: WorkerInit) => serveKernels(init, port));
