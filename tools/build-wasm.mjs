#!/usr/bin/env node
/**
 * Compile the AssemblyScript kernels (src/kernels/wasm/assembly) into build/wasm/: a plain SIMD128 build and a
 * relaxed-SIMD build (fused multiply-add), both importing a shared memory that the JS side creates. The loader
 * derives a non-shared variant at run time where SharedArrayBuffer is missing, so two files cover every host.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'src/kernels/wasm/assembly/index.ts';
const common = [
  entry, '--baseDir', root,
  '-O3', '--noAssert', '--runtime', 'stub',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536', '--noExportMemory',
  '--enable', 'simd', '--enable', 'threads',
];
const builds = [
  { out: 'build/wasm/recur-simd.wasm', extra: [] },
  { out: 'build/wasm/recur-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
];

await mkdir(new URL('../build/wasm/', import.meta.url), { recursive: true });
for (const { out, extra } of builds) {
  const { error, stderr } = await asc.main([...common, ...extra, '--outFile', out]);
  if (error) {
    console.error(stderr.toString());
    console.error(`build-wasm: ${out} failed: ${error.message}`);
    process.exit(1);
  }
  console.log(`build-wasm: ${out}`);
}
