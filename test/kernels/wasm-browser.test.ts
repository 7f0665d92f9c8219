/**
 * The wasm backend in a real browser (Debian's Chromium through playwright-core): the platform-free loader, module
 * Web Workers sharing the memory when the page is cross-origin isolated, and the single-threaded non-shared
 * fallback when it is not. The sources are bundled on the fly with esbuild (tsx's own dependency), so the test runs
 * what is in src/. Skips when Chromium, esbuild or the built .wasm files are missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS, pageResult } from '../web/harness.js';


const root = fileURLToPath(new URL('../../', import.meta.url));
const wasmBuilt = existsSync(join(root, 'build/wasm/recur-simd.wasm'));
const esbuild = await import('esbuild').catch(() => null);
const skip = !wasmBuilt ? 'build/wasm not built (run npm run build)'
  : !existsSync(CHROMIUM) ? `${CHROMIUM} not installed` : !esbuild ? 'esbuild not available' : false;

/** The page's script: gemm against a plain loop, with 2 threads requested, on the page's main thread. */
const PAGE = `
import { createWasmBackend, webPlatform } from './backend.js';
const platform = webPlatform({
  wasmUrl: (file) => '/build/wasm/' + file,
  createWorker: () => new Worker('/out/worker-browser.js', { type: 'module' }),
});
window.result = (async () => {
  const be = await createWasmBackend({ threads: 2, platform });
  const m = 40, n = 300, k = 130;
  const A = be.alloc(m * k), B = be.alloc(n * k), C = be.alloc(m * n);
  for (let i = 0; i < A.length; i++) A[i] = Math.sin(i);
  for (let i = 0; i < B.length; i++) B[i] = Math.cos(i);
  be.gemm(false, true, m, n, k, 1, A, 0, k, B, 0, k, 0, C, 0, n);
  let err = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += A[i * k + p] * B[j * k + p];
    err = Math.max(err, Math.abs(s - C[i * n + j]));
  }
  const out = { isolated: self.crossOriginIsolated, threads: be.threads, shared: be.shared, split: be.parallelCalls, err };
  await be.dispose();
  return out;
})().catch((e) => ({ error: String(e && e.stack || e) }));
`;

async function bundle(dir: string): Promise<void> {
  await esbuild!.build({
    entryPoints: { backend: join(root, 'src/kernels/wasm/index.ts'), 'worker-browser': join(root, 'src/kernels/wasm/worker-browser.ts') },
    outdir: join(dir, 'out'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'silent',
  });
}

function serve(dir: string, isolated: boolean): Promise<{ server: Server; port: number }> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? null : path.startsWith('/build/wasm/') ? join(root, path) : join(dir, path);
    const body = path === '/' ? `<!doctype html><script type="module" src="/out/page.js"></script>` : file && existsSync(file) ? readFileSync(file) : null;
    if (body === null) { res.writeHead(404).end(); return; }
    const headers: Record<string, string> = { 'Content-Type': types[extname(path)] ?? 'text/html' };
    if (isolated) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
    res.writeHead(200, headers).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

test('wasm backend in Chromium: threads when cross-origin isolated, one thread and plain memory when not', { skip, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'recur-wasm-web-'));
  try {
    await bundle(dir);
    writeFileSync(join(dir, 'out/page.js'), PAGE);
    // Chromium writes into its profile until it has exited: close it before the folder is removed (the other order
    // failed with ENOTEMPTY on CI and left Chromium running, which kept this file's process alive).
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    try {
      for (const isolated of [true, false]) await checkPage(browser, dir, isolated);
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
});

async function checkPage(browser: import('playwright-core').BrowserContext, dir: string, isolated: boolean): Promise<void> {
  const { server, port } = await serve(dir, isolated);
  try {
    const page = await browser.newPage();
    const r = await pageResult(page, `http://127.0.0.1:${port}/`);
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.isolated, isolated);
    assert.equal(r.shared, isolated);
    assert.equal(r.threads, isolated ? 2 : 1);
    assert.equal(r.split, isolated ? 1 : 0);
    assert.ok((r.err as number) < 1e-4, `gemm error ${r.err}`);
    await page.close();
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
