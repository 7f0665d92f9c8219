/**
 * What the browser tests share: the built app (built with Vite when missing or older than its
 * sources), the `recur play` server on an ephemeral port, and Debian's Chromium driven by
 * playwright-core on a fresh profile.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startPlayServer, type PlayServer } from '../../src/cli/play.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Headless, and nothing that reaches for the network (this machine's is closed: Chromium would retry for ever). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Load a test page that sets `window.result` to a promise, and return what it resolves to. */
export async function pageResult(page: Page, url: string): Promise<Record<string, unknown>> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { result?: Promise<unknown> }).result);
  return page.evaluate(() => (window as unknown as { result: Promise<Record<string, unknown>> }).result);
}
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = join(ROOT, 'web', 'dist');

/** Why the browser tests cannot run here, or null when they can. */
export function skipReason(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install -y chromium): browser tests skipped`;
}

/** Newest modification time under the given paths (files and folders, recursively). */
function newest(paths: string[]): number {
  let t = 0;
  const walk = (p: string): void => {
    const st = statSync(p);
    t = Math.max(t, st.mtimeMs);
    if (st.isDirectory()) for (const e of readdirSync(p)) if (e !== 'node_modules' && e !== 'dist') walk(join(p, e));
  };
  for (const p of paths) if (existsSync(p)) walk(p);
  return t;
}

/** Build web/dist with Vite unless it exists and is newer than everything it is built from. */
export async function ensureBuilt(): Promise<void> {
  const index = join(DIST, 'index.html');
  const sources = newest([join(ROOT, 'web', 'src'), join(ROOT, 'web', 'index.html'), join(ROOT, 'web', 'vite.config.ts'), join(ROOT, 'src'), join(ROOT, 'build', 'wasm')]);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn' });
}

export interface Browser {
  server: PlayServer;
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A served folder (anything with a port and a close) opened in a fresh Chromium profile; closing closes both. */
export async function openServed<S extends { close(): Promise<void> }>(server: S): Promise<{ server: S; context: BrowserContext; page: Page; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'recur-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      args: CHROMIUM_ARGS,
    });
  } catch (e) {
    await server.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    throw e;
  }
  const page = context.pages()[0] ?? await context.newPage();
  return {
    server, context, page,
    async close() {
      await context.close().catch(() => {});
      await server.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

/** Serve the built app and open it in a fresh Chromium profile. */
export async function openPlayground(): Promise<Browser> {
  await ensureBuilt();
  return openServed(await startPlayServer({ root: DIST, port: 0, host: '127.0.0.1' }));
}

/** Collects uncaught page errors and console errors, for asserting that nothing went wrong silently. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return errors;
}

/**
 * Build what a page importing the package needs, unless it is newer than the sources: dist/ (tsc) and
 * the one-file bundle dist/bundle/recur.js (tools/build-bundle.mjs).
 */
export function ensureLibraryBuilt(): void {
  const outputs = [join(ROOT, 'dist', 'browser.js'), join(ROOT, 'dist', 'bundle', 'recur.js')];
  const sources = newest([join(ROOT, 'src'), join(ROOT, 'tools', 'build-bundle.mjs'), join(ROOT, 'tsconfig.build.json')]);
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= sources)) return;
  const run = (args: string[]): void => {
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  };
  run([join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  run([join(ROOT, 'tools', 'build-bundle.mjs')]);
}

/**
 * A plain static server over `root` without the isolation headers (a page served like this has no
 * SharedArrayBuffer): GET only, paths kept inside root, `files` answering given paths from elsewhere.
 */
export async function serveStatic(root: string, files: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = files[path] ?? resolve(root, `.${path}`);
    if (!file.startsWith(resolve(root)) && !files[path]) { res.writeHead(403).end(); return; }
    readFile(file).then((body) => {
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    }, () => { res.writeHead(404).end(); });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((ok) => { server.close(() => ok()); server.closeAllConnections(); }),
  };
}
