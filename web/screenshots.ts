/**
 * Regenerates the README's screenshots of the playground (docs/screenshots/*.png): builds and serves
 * the app as the browser tests do, trains in Debian's Chromium, and photographs the main views.
 *
 *   node --import tsx web/screenshots.ts            (needs /usr/bin/chromium; about two minutes)
 *
 * Training runs for a fixed wall-clock time, so the pictures differ a little from run to run.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openPlayground, ROOT, skipReason } from '../test/web/harness.js';

const OUT = join(ROOT, 'docs', 'screenshots');
const tid = (id: string): string => `[data-testid="${id}"]`;

async function set(page: Page, values: Record<string, string>): Promise<void> {
  for (const [id, v] of Object.entries(values)) {
    const el = page.locator(tid(id));
    if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(v);
    else await el.fill(v);
  }
}

async function train(page: Page, seconds: number): Promise<void> {
  await page.waitForSelector(`${tid('train')}:not([disabled])`, { timeout: 30_000 });
  await page.click(tid('train'));
  await page.waitForTimeout(seconds * 1000);
  await page.click(tid('pause'));
  await page.waitForSelector(`${tid('train')}:not([disabled])`);
  await page.waitForTimeout(1500); // the views refresh once more after a pause
}

async function shot(page: Page, name: string, target: string | null, clip?: { x: number; y: number; width: number; height: number }): Promise<void> {
  const path = join(OUT, name);
  if (target) await page.locator(target).screenshot({ path });
  else await page.screenshot({ path, clip });
  process.stdout.write(`${path}: ${(statSync(path).size / 1024).toFixed(0)} KB\n`);
}

const why = skipReason();
if (why) { process.stderr.write(`${why}\n`); process.exit(1); }
mkdirSync(OUT, { recursive: true });
const b = await openPlayground();
try {
  const page = b.page;
  await page.setViewportSize({ width: 1280, height: 900 });

  // 1. The whole page while an LSTM learns Moby Dick.
  await page.goto(b.server.url);
  await set(page, { 'cell-select': 'lstm', hidden: '128', 'seq-length': '64', 'batch-size': '32', lr: '0.004' });
  await train(page, 90);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'playground.png', null, { x: 0, y: 0, width: 1280, height: 900 });

  // 2. Inside the network: the unit the page picks (the most varied) over a paragraph, with predictions.
  await page.locator(tid('inspector')).scrollIntoViewIfNeeded();
  await page.hover(`${tid('inspect-text')} span >> nth=120`);
  await shot(page, 'inspector.png', tid('inspector'));

  // 3. Samples from the names corpus after a short run of a GRU.
  await page.goto(b.server.url);
  await set(page, { 'corpus-select': 'names', 'cell-select': 'gru', hidden: '96', 'seq-length': '32', 'batch-size': '32', lr: '0.004' });
  await train(page, 40);
  await shot(page, 'names-samples.png', `.card:has(${tid('sample')})`);

  // 4. An Elman network: its W_hh spectrum and the vanishing gradient.
  await page.goto(b.server.url);
  await set(page, { 'cell-select': 'elman', hidden: '64', 'seq-length': '50', 'batch-size': '32', lr: '0.002' });
  await train(page, 30);
  // The two cards side by side: scroll them into view, then clip the viewport around both.
  await page.locator(tid('spectrum')).scrollIntoViewIfNeeded();
  const s = (await page.locator(`.card:has(${tid('spectrum')})`).boundingBox())!;
  const f = (await page.locator(`.card:has(${tid('gradflow')})`).boundingBox())!;
  const x = Math.min(s.x, f.x), y = Math.min(s.y, f.y);
  await shot(page, 'spectrum-gradflow.png', null, { x, y, width: Math.max(s.x + s.width, f.x + f.width) - x, height: Math.max(s.height, f.height) });
} finally {
  await b.close();
}
