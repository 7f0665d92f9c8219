/** Web Worker entry: the kernel worker loop on `self`. */
import { serveKernels } from './worker.js';
import type { WorkerInit } from './protocol.js';

const scope = self as unknown as { onmessage: ((e: MessageEvent<WorkerInit>) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (e) => {
  scope.onmessage = null;
  serveKernels(e.data, scope);
};
