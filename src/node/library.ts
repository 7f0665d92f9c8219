/**
 * recur in Node (what `import … from 'recur'` resolves to there): the platform-free library of
 * index.ts plus a loadModel that also reads file paths (through the size-checked readFileLimited) and
 * runs on the native kernels when the addon is built (then wasm, then js).
 */
import { fileURLToPath } from 'node:url';
import { fetchBytes, loadModelOn, type Host, type LoadModel } from '../api/load.js';
import { createBackend } from './backend.js';
import { readFileLimited } from './files.js';

export * from '../index.js';

/** A URL string with a scheme Node can fetch or read; anything else is a path. */
const isUrl = (s: string): boolean => /^(https?|file|data|blob):/i.test(s);

const nodeHost: Host = {
  async read(source) {
    if (typeof source === 'string' && !isUrl(source)) return readFileLimited(source);
    const url = new URL(source);
    return url.protocol === 'file:' ? readFileLimited(fileURLToPath(url)) : fetchBytes(url);
  },
  createBackend: (choice, threads) => createBackend({ backend: choice, threads }),
};

/**
 * Load a recur character model: from a file path, a URL (http(s), file:), its bytes or a Blob. With
 * the default backend 'auto' it runs on the native kernels when the addon is built.
 *
 * ```js
 * import { loadModel } from 'recur';
 * const m = await loadModel('model.safetensors');
 * for await (const ch of m.stream({ prime: 'Call me ', length: 300 })) process.stdout.write(ch);
 * ```
 */
export const loadModel: LoadModel = (source, opts) => loadModelOn(nodeHost, source, opts);
