/**
 * What a browser gets from `import … from 'recur'`: src/browser.ts bundles for the browser platform
 * (esbuild refuses a Node built-in there), without src/node/ or the CLI, and the core a page pays for to
 * load, sample and train a model stays small (README "Library use" quotes the figure).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

async function bundle(contents: string, external: string[] = []): Promise<{ inputs: string[]; bytes: number; gzip: number; code: string }> {
  const r = await build({
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, metafile: true, logLevel: 'silent',
    stdin: { contents, resolveDir: root, loader: 'ts' }, external,
  });
  const code = r.outputFiles[0].contents;
  return { inputs: Object.keys(r.metafile.inputs), bytes: code.length, gzip: gzipSync(code).length, code: r.outputFiles[0].text };
}

test('the browser entry bundles for browsers with none of src/node or the CLI', async () => {
  const all = await bundle("export * from './src/browser.ts';");
  const bad = all.inputs.filter((f) => /^src\/(node|cli)\//.test(f) || f.startsWith('node:'));
  assert.deepEqual(bad, []);
  assert.ok(all.inputs.includes('src/api/web.ts') && all.inputs.includes('src/kernels/wasm/index.ts'), 'the wasm backend is in the bundle');
  // the .wasm files and the kernel worker stay literal new URL(…, import.meta.url) for bundlers to find
  for (const f of ['build/wasm/recur-simd.wasm', 'build/wasm/recur-relaxed.wasm', 'kernels/wasm/worker-browser.js']) {
    assert.match(all.code, new RegExp(`new URL\\("[./]*${f.replace(/[./]/g, '\\$&')}",import\\.meta\\.url\\)`));
  }
});

// The budget grew from 120 to 160 KiB in session 5 (2026-12-02) with what loading and training a model in a page now
// needs: tokenizers (byte, word, BPE encode: a model file may hold any), the streamed reader every stream-mode text
// goes through, peephole LSTMs, the regularisers, averaged/best weights and the blocked softmax head: 111 → 144 KiB.
test('the core (loadModel, without ml-matrix) stays under 160 KiB minified', async () => {
  const core = await bundle("export { loadModel } from './src/browser.ts';", ['ml-matrix']);
  assert.ok(core.bytes < 160 * 1024, `core: ${core.bytes} bytes minified, ${core.gzip} gzipped`);
  assert.ok(!core.inputs.some((f) => f.startsWith('src/analysis/plots')), 'no plotting code');
});
