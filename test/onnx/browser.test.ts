/**
 * In the browser: recur's ONNX exporter (src/onnx, bundled for the browser as the core is) writes an LSTM
 * language model in the page, onnxruntime-web's wasm backend runs it in Chromium, and its logits and
 * final states agree with recur's own forward pass in the same page.
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
const ORT = join(root, 'node_modules/onnxruntime-web/dist');
const esbuild = await import('esbuild').catch(() => null);
const skip = !existsSync(CHROMIUM) ? `${CHROMIUM} not installed` : !existsSync(ORT) ? 'onnxruntime-web is not installed (npm install)'
  : !esbuild ? 'esbuild not available' : false;

const ENTRY = `
export { exportOnnx } from '${join(root, 'src/onnx/export.ts')}';
export { Model } from '${join(root, 'src/nn/model.ts')}';
export { JsBackend } from '${join(root, 'src/kernels/js.ts')}';
export { Rng } from '${join(root, 'src/util/rng.ts')}';
`;

const PAGE = `
import * as ort from '/ort/ort.wasm.min.mjs';
import { exportOnnx, Model, JsBackend, Rng } from '/out/recur.js';
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;
window.result = (async () => {
  const V = 9, T = 6, B = 2, H = 5, L = 2;
  const model = new Model({ cell: 'lstm', hidden: H, layers: L, inputSize: V, outputSize: V, embed: 4 }, new JsBackend('f32')).init(new Rng(3));
  const { bytes } = exportOnnx(model);
  const tokens = Int32Array.from({ length: T * B }, (_, i) => (i * 5 + 3) % V);
  const st = model.newState(B);
  st.h.forEach((h, i) => h.forEach((_, j) => (h[j] = Math.sin(i + j))));
  st.c.forEach((c, i) => c.forEach((_, j) => (c[j] = Math.cos(i + 2 * j))));
  const flat = (bufs) => Float32Array.from(bufs.flatMap((b) => [...b]));
  const h0 = flat(st.h), c0 = flat(st.c);
  st.fresh.fill(0);
  model.forward({ T, B, tokens }, st);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const r = await session.run({
    tokens: new ort.Tensor('int64', BigInt64Array.from([...tokens].map(BigInt)), [T, B]),
    h0: new ort.Tensor('float32', h0, [L, B, H]), c0: new ort.Tensor('float32', c0, [L, B, H]),
  });
  const diff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  return { logits: diff(r.logits.data, model.logits.subarray(0, T * B * V)), hn: diff(r.hn.data, flat(st.h)), cn: diff(r.cn.data, flat(st.c)),
    n: r.logits.data.length };
})().catch((e) => ({ error: String(e && e.stack || e) }));
`;

function serve(dir: string): Promise<{ server: Server; port: number }> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? null : path.startsWith('/ort/') ? join(ORT, path.slice(5)) : join(dir, path);
    const body = path === '/' ? '<!doctype html><script type="module" src="/out/page.js"></script>' : file && existsSync(file) ? readFileSync(file) : null;
    if (body === null) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'text/html' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

test('an exported model runs in onnxruntime-web (wasm) in Chromium and agrees with recur', { skip, timeout: 180_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const dir = mkdtempSync(join(tmpdir(), 'recur-onnx-web-'));
  try {
    writeFileSync(join(dir, 'entry.ts'), ENTRY);
    await esbuild!.build({ entryPoints: { recur: join(dir, 'entry.ts') }, outdir: join(dir, 'out'), bundle: true, format: 'esm',
      platform: 'browser', target: 'es2022', logLevel: 'silent' });
    writeFileSync(join(dir, 'out/page.js'), PAGE);
    const { server, port } = await serve(dir);
    // Chromium writes into its profile until it has exited: close it before the folder is removed.
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = await browser.newPage();
      const r = await pageResult(page, `http://127.0.0.1:${port}/`);
      assert.equal(r.error, undefined, String(r.error));
      assert.equal(r.n, 6 * 2 * 9);
      for (const k of ['logits', 'hn', 'cn']) assert.ok((r[k] as number) < 2e-5, `${k} differs by ${r[k]}`);
    } finally {
      await browser.close();
      server.closeAllConnections();
      server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
});
