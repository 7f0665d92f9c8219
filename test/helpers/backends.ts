/**
 * The backends every backend-independent test runs on: the JS reference always, and the WASM
 * backend when its module has been built (npm run build). Tests stay green without it but the
 * list says which backends ran.
 */
import { existsSync } from 'node:fs';
import type { Backend } from '../../src/kernels/backend.js';
import { JsBackend } from '../../src/kernels/js.js';

export interface NamedBackend { name: string; make: () => Promise<Backend> }

export function backends(): NamedBackend[] {
  const list: NamedBackend[] = [{ name: 'js', make: async () => new JsBackend('f32') }];
  const wasmBuilt = existsSync(new URL('../../build/wasm/', import.meta.url));
  if (wasmBuilt && existsSync(new URL('../../src/node/wasm.ts', import.meta.url))) {
    list.push({
      name: 'wasm',
      make: async () => {
        const mod = await import('../../src/node/wasm.js' as string);
        return mod.createNodeWasmBackend({ threads: 1 });
      },
    });
  }
  // The native addon when it has been built (tools/build-native.mjs), with two threads so that the
  // parallel paths run too.
  if (existsSync(new URL('../../build/Release/recur_native.node', import.meta.url))) {
    list.push({
      name: 'native',
      make: async () => (await import('../../src/node/native.js')).createNativeBackend({ threads: 2 }),
    });
  }
  return list;
}
