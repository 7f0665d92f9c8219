/**
 * What the browser tests share: the built app (built with Vite when missing or older than its
 * sources), the `recur play` server on an ephemeral port, and Debian's Chromium driven by
 * playwright-core on a fresh profile.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startPlayServer, type PlayServer } from '../../src/cli/play.js';

export const CHROMIUM = '/usr/bin/chromium';
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

/** Serve the built app and open it in a fresh Chromium profile. */
export async function openPlayground(): Promise<Browser> {
  await ensureBuilt();
  const server = await startPlayServer({ root: DIST, port: 0, host: '127.0.0.1' });
  const profile = mkdtempSync(join(tmpdir(), 'recur-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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

/** Collects uncaught page errors and console errors, for asserting that nothing went wrong silently. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  return errors;
}
