/**
 * The playground's seq2seq panel in Chromium: train reverse live, type an input, and the greedy
 * output and the attention heatmap (input × output cells, each row summing to 1) appear and follow
 * the input; user text in the heatmap labels is shown literally.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPlayground, skipReason, watchErrors, type Browser } from './harness.js';

const skip = skipReason();
if (skip) process.stdout.write(`# ${skip}\n`);
const tid = (id: string): string => `[data-testid="${id}"]`;

describe('playground seq2seq panel in Chromium', { skip: skip ?? false, timeout: 120_000 }, () => {
  let browser: Browser;
  before(async () => { browser = await openPlayground(); });
  after(async () => { await browser?.close(); });

  test('reverse trains, an input gets an output and an attention heatmap whose rows sum to 1', async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(browser.server.url);
    await page.waitForSelector(tid('s2s-panel'));
    await page.selectOption(tid('s2s-task'), 'reverse');
    await page.fill(tid('s2s-length'), '4');
    await page.fill(tid('s2s-hidden'), '32');
    await page.click(tid('s2s-train'));
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="s2s-step"]')?.textContent) >= 50, null, { timeout: 30_000 });
    assert.equal(await page.textContent(tid('s2s-train')), 'Stop');
    assert.ok(await page.isDisabled(tid('s2s-task')), 'the task is fixed while a model exists');
    await page.waitForTimeout(4000);
    const loss = Number(await page.textContent(tid('s2s-loss')));
    assert.ok(Number.isFinite(loss) && loss < Math.log(30), `loss ${loss}`);
    await page.waitForFunction(() => /^\d\.\d{3}$/.test(document.querySelector('[data-testid="s2s-exact"]')?.textContent ?? ''), null, { timeout: 10_000 });

    await page.fill(tid('s2s-input'), 'dcab');
    await page.waitForFunction(() => {
      const svg = document.querySelector('[data-testid="s2s-attention"] svg');
      return svg?.getAttribute('data-cols') === '4' && (document.querySelector('[data-testid="s2s-output"]')?.textContent ?? '').length > 0;
    }, null, { timeout: 10_000 });
    await page.click(tid('s2s-train')); // stop: the last output stays
    await page.waitForFunction(() => document.querySelector('[data-testid="s2s-train"]')?.textContent === 'Resume', null, { timeout: 10_000 });
    await page.waitForTimeout(300);
    const shown = await page.evaluate(() => {
      const svg = document.querySelector('[data-testid="s2s-attention"] svg')!;
      const cells = [...svg.querySelectorAll('[data-testid="s2s-cell"]')].map((c) => ({
        row: Number(c.getAttribute('data-row')), col: Number(c.getAttribute('data-col')), w: Number(c.getAttribute('data-weight')),
      }));
      return {
        output: document.querySelector('[data-testid="s2s-output"]')!.textContent!, rows: Number(svg.getAttribute('data-rows')),
        cols: Number(svg.getAttribute('data-cols')), cells, src: [...svg.querySelectorAll('.s2s-src-label')].map((t) => t.textContent).join(''),
        out: [...svg.querySelectorAll('.s2s-out-label')].map((t) => t.textContent).join(''),
      };
    });
    assert.ok(shown.output.length >= 1 && shown.output.length <= 5, `output ${JSON.stringify(shown.output)}`);
    assert.equal(shown.cols, 4);
    assert.equal(shown.rows, [...shown.output].length);
    assert.equal(shown.src, 'dcab');
    assert.equal(shown.out, shown.output);
    assert.equal(shown.cells.length, shown.rows * shown.cols);
    for (let r = 0; r < shown.rows; r++) {
      const row = shown.cells.filter((c) => c.row === r);
      assert.equal(row.length, 4);
      const sum = row.reduce((a, c) => a + c.w, 0);
      assert.ok(Math.abs(sum - 1) < 1e-3, `row ${r} sums to ${sum}`);
      assert.ok(row.every((c) => c.w >= 0 && c.w <= 1));
    }

    // A character the task cannot read: a one-line error, no crash.
    await page.fill(tid('s2s-input'), 'ab<b>');
    await page.waitForSelector(`${tid('s2s-error')}:not([hidden])`, { timeout: 10_000 });
    assert.match((await page.textContent(tid('s2s-error')))!, /cannot read/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
