/**
 * The one-file build for a plain `<script type="module">` page: src/browser.ts with everything it
 * imports (ml-matrix included) in dist/bundle/recur.js, ES module, minified. It sits two folders below
 * the package root like dist/api/, so the literal `new URL('../../build/wasm/…', import.meta.url)` of
 * src/api/web.ts finds the package's .wasm files and `../kernels/wasm/worker-browser.js` the compiled
 * kernel worker (dist/ must be built: tsc -p tsconfig.build.json).
 *
 *   node tools/build-bundle.mjs           build, and print the sizes
 *   node tools/build-bundle.mjs --sizes   only print the sizes (nothing written)
 *
 * Sizes, minified and gzipped: the whole bundle; the part a page that only loads, samples and trains a
 * model pays for (loadModel alone, tree-shaken); and that core without the eigen/QR code of ml-matrix,
 * which it still pulls in through nn/init.ts (orthogonal initialisation) and tasks/lm-eval.ts (spectra).
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, absWorkingDir: root, logLevel: 'warning' };

/** Minified and gzipped bytes of a bundle of `contents` (an entry written in place), leaving out the `external` packages. */
export async function bundleSize(contents, external = []) {
  const r = await build({ ...common, stdin: { contents, resolveDir: root, loader: 'ts' }, external, write: false });
  const code = r.outputFiles[0].contents;
  return { bytes: code.length, gzip: gzipSync(code).length };
}

export const SIZE_ENTRIES = {
  all: { entry: "export * from './src/browser.ts';", external: [] },
  core: { entry: "export { loadModel } from './src/browser.ts';", external: [] },
  'core without ml-matrix': { entry: "export { loadModel } from './src/browser.ts';", external: ['ml-matrix'] },
};

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--sizes')) {
    await build({ ...common, entryPoints: ['src/browser.ts'], outfile: 'dist/bundle/recur.js', legalComments: 'eof' });
  }
  for (const [name, { entry, external }] of Object.entries(SIZE_ENTRIES)) {
    const s = await bundleSize(entry, external);
    console.log(`${name.padEnd(22)} ${kb(s.bytes)} minified, ${kb(s.gzip)} gzipped`);
  }
}
