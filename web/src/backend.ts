/**
 * The kernel backend of the training worker: the fastest the browser offers. Today that is the
 * JavaScript reference backend; the WASM backend (src/kernels/wasm/) plugs in here once its
 * platform-free loader exists, used when the page is cross-origin isolated (threads need
 * SharedArrayBuffer) and falling back to JavaScript when it fails to start.
 */
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';

export async function pickBackend(): Promise<Backend> {
  return new JsBackend('f32');
}
