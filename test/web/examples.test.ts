/**
 * The examples, as a user runs them: a model trained with `recur train`, then
 *  - examples/vite-app built by Vite against the package (installed as node_modules/recur, a link to this
 *    checkout) and served cross-origin isolated: it must sample on the WebAssembly kernels that
 *    `import { loadModel } from 'recur'` brings, with no deep import;
 *  - examples/plain-html served as plain files (no isolation, no bundler): one script importing
 *    dist/bundle/recur.js samples on the WebAssembly kernels, one thread.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlayServer } from '../../src/cli/play.js';
import { ensureLibraryBuilt, openServed, ROOT, serveStatic, skipReason, watchErrors } from './harness.js';

const skip = skipReason();
let dir = '';
let model = '';

before(() => {
  if (skip) return;
  ensureLibraryBuilt();
  dir = mkdtempSync(join(tmpdir(), 'recur-examples-'));
  const text = join(dir, 'text.txt');
  writeFileSync(text, 'The cat sat on the mat. The dog sat on the log. '.repeat(60));
  model = join(dir, 'model.safetensors');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--data', text, '--steps', '40', '--hidden', '32',
    '--embed', '8', '--batch', '4', '--seq', '32', '--val-fraction', '0', '--sample-length', '0', '--json', '--out', model], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** Open `url`, wait until the page has sampled, and return what it shows. */
async function sampleIn(server: { url: string; close(): Promise<void> }, path: string): Promise<{ status: string; backend: string | null; out: string; errors: string[] }> {
  const b = await openServed(server);
  try {
    const errors = watchErrors(b.page);
    await b.page.goto(new URL(path, server.url).href);
    await b.page.waitForSelector('body[data-sampled="yes"]', { timeout: 60_000 }).catch(async (e: Error) => {
      throw new Error(`${e.message}; status: ${await b.page.textContent('#status')}; errors: ${errors.join(' | ')}`);
    });
    const status = (await b.page.textContent('#status')) ?? '';
    return { status, backend: await b.page.getAttribute('#status', 'data-backend'), out: (await b.page.textContent('#out')) ?? '', errors };
  } finally {
    await b.close();
  }
}

test('the Vite app imports recur, bundles its wasm kernels and samples a model from recur train', { skip: skip ?? false, timeout: 180_000 }, async () => {
  const app = join(dir, 'vite-app');
  cpSync(join(ROOT, 'examples', 'vite-app'), app, { recursive: true });
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(ROOT, join(app, 'node_modules', 'recur'), 'dir');
  cpSync(model, join(app, 'public', 'model.safetensors'));
  const { build } = await import('vite');
  await build({ root: app, configFile: join(app, 'vite.config.js'), logLevel: 'warn' });
  const assets = join(app, 'dist', 'assets');
  const files = readdirSync(assets);
  assert.ok(files.some((f) => /^recur-simd-.*\.wasm$/.test(f)), `the SIMD kernels are among the assets: ${files.join(', ')}`);
  assert.ok(files.some((f) => /^worker-browser-.*\.js$/.test(f)), `the kernel worker is among the assets: ${files.join(', ')}`);
  const page = await sampleIn(await startPlayServer({ root: join(app, 'dist'), port: 0, host: '127.0.0.1' }), 'index.html?threads=2');
  assert.deepEqual(page.errors, []);
  assert.equal(page.backend, 'wasm', page.status);
  assert.match(page.status, /on 2 thread\(s\) \(cross-origin isolated\)/);
  assert.ok(page.out.startsWith('The ') && page.out.length === 304, `sample: ${JSON.stringify(page.out)}`);
});

test('the plain page samples from the one-file bundle, on one wasm thread without isolation', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const bundle = readFileSync(join(ROOT, 'dist', 'bundle', 'recur.js'), 'utf8');
  assert.doesNotMatch(bundle, /from\s*["'](ml-matrix|node:)/, 'the bundle imports nothing by bare name');
  const server = await serveStatic(ROOT, { '/examples/plain-html/model.safetensors': model });
  const page = await sampleIn(server, 'examples/plain-html/index.html');
  assert.deepEqual(page.errors, []);
  assert.equal(page.backend, 'wasm', page.status);
  assert.match(page.status, /1 thread/);
  assert.equal(page.out.length, 300);
});
