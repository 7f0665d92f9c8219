/**
 * Writes the kernel boundary from the one table (src/kernels/table.ts): the Backend interface's kernel methods,
 * the wasm backend's wrappers and export signatures, the native backend's forwarding methods, and the addon's
 * N-API entry points and kernel struct. Run by `npm run gen:kernels` (and by build:wasm / build:native);
 * test/kernels/generated.test.ts fails when a committed file differs from what this writes.
 *
 *   node --import tsx tools/gen-kernels.ts          write the files
 *   node --import tsx tools/gen-kernels.ts --check  exit 1 if one is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KERNELS } from '../src/kernels/table.js';
import { addonEntryPoints, kernelStruct } from './gen-kernels-cc.js';
import { kernelInterface, nativeForwarding, wasmExports, wasmWrappers } from './gen-kernels-ts.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every generated file: path (from the repository root) → contents. */
export function generate(): Map<string, string> {
  return new Map([
    ['src/kernels/kernels.generated.ts', kernelInterface(KERNELS)],
    ['src/kernels/wasm/exports.generated.ts', wasmExports(KERNELS)],
    ['src/kernels/wasm/wrappers.generated.ts', wasmWrappers(KERNELS)],
    ['src/node/native-kernels.generated.ts', nativeForwarding(KERNELS)],
    ['native/kernels.generated.h', kernelStruct(KERNELS)],
    ['native/addon_kernels.generated.h', addonEntryPoints(KERNELS)],
  ]);
}

/** Generated files whose committed contents differ from what the table gives now. */
export function staleFiles(): string[] {
  const stale: string[] = [];
  for (const [path, text] of generate()) {
    let have = '';
    try { have = readFileSync(ROOT + path, 'utf8'); } catch { /* missing counts as stale */ }
    if (have !== text) stale.push(path);
  }
  return stale;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length) {
      console.error(`stale generated files (run npm run gen:kernels): ${stale.join(', ')}`);
      process.exit(1);
    }
  } else {
    for (const [path, text] of generate()) {
      let have = '';
      try { have = readFileSync(ROOT + path, 'utf8'); } catch { /* new file */ }
      if (have !== text) {
        writeFileSync(ROOT + path, text);
        console.log(`gen-kernels: wrote ${path}`);
      }
    }
  }
}
