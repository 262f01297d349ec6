// The extension on real-looking pages in headless Chromium (checks in honest-pages.ts, shared with Firefox): other
// languages, forms, frames, editors, a page that never stops changing, parity with `ptd score`, evidence, errors.
// Fixture model (random weights): assertions are about behaviour, never about model quality.
/// <reference types="chrome" />
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIfAvailable, itIfAvailable } from '../helpers/requires.ts';
import { buildExtension } from '../../extension/build/build.ts';
import { CHROMIUM, extensionPage, launchWithExtension, type Launched } from '../../extension/build/chromium.ts';
import { fixture, ROOT, servePages, tabIdOf } from '../../extension/build/harness.ts';
import {
  expectClockPageRescanned,
  expectEditorPage,
  expectEvidenceInCard,
  expectFormAndFrame,
  expectMixedPage,
  expectNotChecked,
  expectParityWithCli,
  expectPopupShowsError,
  HONEST_PAGES,
  type HonestBrowser,
} from './honest-pages.ts';

const MODEL = process.env.PTD_EXTENSION_MODEL ?? 'tests/fixtures/models/tiny';
const OUT = path.join(ROOT, 'dist', 'extension-test-honest');
const SHIPPED = 'model/weights/ptd-small'; // the model the extension ships (extension/build/build.ts)

describeIfAvailable('the extension on real-looking pages (headless Chromium)', existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium, or set PTD_CHROMIUM)`, () => {
  let server: Server;
  let base: string;
  let l: Launched;
  let b: HonestBrowser;

  beforeAll(async () => {
    await buildExtension({ model: MODEL, out: OUT, targets: ['chrome'], zip: false, testHosts: ['http://127.0.0.1/*'], log: () => undefined });
    ({ server, url: base } = await servePages(Object.fromEntries(HONEST_PAGES.map((p) => [`/${p}.html`, fixture(`${p}.html`)]))));
    l = await launchWithExtension(path.join(OUT, 'chrome'));
    const ext = await extensionPage(l);
    b = {
      ext,
      async open(p) {
        const page = await l.context.newPage();
        await page.goto(`${base}${p}`);
        return {
          page,
          tabId: await tabIdOf(ext, `${base}${p}`),
          mouseMove: (x, y) => page.mouse.move(x, y),
          close: () => page.close(),
        };
      },
      async popup(tabId) {
        const popup = await l.context.newPage();
        await popup.goto(`chrome-extension://${l.extensionId}/popup.html?tab=${tabId}`);
        return { text: async (selector) => (await popup.locator(selector).textContent()) ?? '', close: () => popup.close() };
      },
    };
  }, 180_000);

  afterAll(async () => {
    await l?.close();
    server?.close();
  });

  it('loading progress covers the runtime\'s start: files first, then an indeterminate "starting" phase, then ready', async () => {
    // the first test of this browser: the model is not loaded yet; an extension page records the host's broadcasts
    const states = await b.ext.evaluate(async () => {
      const seen: Array<{ status: string; phase?: string; progress?: number }> = [];
      chrome.runtime.onMessage.addListener((m: { target?: string; type?: string; state?: { status: string; phase?: string; progress?: number } }) => {
        if (m?.target === 'broadcast' && m.type === 'host-state' && m.state) seen.push({ status: m.state.status, phase: m.state.phase, progress: m.state.progress });
      });
      await chrome.runtime.sendMessage({ target: 'background', type: 'warm-up' });
      return seen;
    }, undefined);
    const phases = states.map((x) => (x.status === 'loading' ? x.phase : x.status));
    expect(phases[0]).toBe('downloading');
    expect(phases).toContain('starting');
    expect(phases[phases.length - 1]).toBe('ready');
    expect(phases.indexOf('starting')).toBeLessThan(phases.lastIndexOf('ready'));
    // once the runtime is starting, no percentage is shown (there is no measure of it)
    expect(states.filter((x) => x.phase === 'starting').every((x) => x.progress === undefined)).toBe(true);
  }, 120_000);

  it.each([['/chinese.html'], ['/russian.html']])('%s: no sentence scored or flagged, and the popup says why', (p) => expectNotChecked(b, p), 120_000);

  it('a mixed English/Japanese page: English scored, no Japanese sentence flagged, the popup says why', () => expectMixedPage(b), 120_000);

  it('reads the text of a page inside a <form> and of a same-origin iframe', () => expectFormAndFrame(b), 120_000);

  it('an editor page: a scan says why nothing was read; "Check this field" scores the text box and the editor', () => expectEditorPage(b), 120_000);

  it('a page with a 1 Hz clock is re-scanned within the maximum wait after content is added', () => expectClockPageRescanned(b), 120_000);

  it('the page\'s sentence scores equal `ptd score` on the same extracted text, to 1e-4', () => expectParityWithCli(b, MODEL), 180_000);

  itIfAvailable(
    'with the shipped model too: the page\'s scores equal `ptd score` to 1e-4',
    existsSync(path.join(ROOT, SHIPPED, 'config.json')),
    `the shipped weights (${SHIPPED}/config.json)`,
    async () => {
      const out = path.join(ROOT, 'dist', 'extension-test-honest-small');
      await buildExtension({ model: SHIPPED, out, targets: ['chrome'], zip: false, testHosts: ['http://127.0.0.1/*'], log: () => undefined });
      const small = await launchWithExtension(path.join(out, 'chrome'));
      try {
        const ext = await extensionPage(small);
        const shipped: HonestBrowser = {
          ext,
          async open(p) {
            const page = await small.context.newPage();
            await page.goto(`${base}${p}`);
            return { page, tabId: await tabIdOf(ext, `${base}${p}`), mouseMove: (x, y) => page.mouse.move(x, y), close: () => page.close() };
          },
          popup: () => Promise.reject(new Error('not needed')),
        };
        await expectParityWithCli(shipped, SHIPPED);
      } finally {
        await small.close();
      }
    },
    240_000,
  );

  it('the hover card names the words that drove a flagged sentence\'s score', () => expectEvidenceInCard(b), 120_000);

  it('the popup shows the real reason a page cannot be scanned', async () => {
    // localhost is not among the test build's hosts (127.0.0.1 is): like a page the user never granted
    const before = new Set(await b.ext.evaluate(async () => (await chrome.tabs.query({})).map((t) => t.id!), undefined));
    const page = await l.context.newPage();
    await page.goto(`${base.replace('127.0.0.1', 'localhost')}/article.html`);
    const tabId = (await b.ext.evaluate(async () => (await chrome.tabs.query({})).map((t) => t.id!), undefined)).find((id) => !before.has(id))!;
    expect(tabId).toBeDefined();
    await expectPopupShowsError(b, tabId);
    await page.close();
  }, 60_000);

  it('failed shortcut and context-menu actions show a short notice on the page', async () => {
    const tab = await b.open('/article.html?notice');
    const card = () =>
      tab.page.evaluate(() => document.querySelector('html > ptd-card')?.shadowRoot?.querySelector('.card:not([hidden])')?.textContent ?? '', undefined);
    try {
      // The background's own listeners, fired as Chrome fires them (a shortcut cannot be pressed in headless Chromium).
      await l.worker.evaluate((tabId) => {
        (chrome.commands.onCommand as unknown as { dispatch(c: string, t: { id: number }): void }).dispatch('check-selection', { id: tabId });
      }, tab.tabId);
      await expect.poll(card).toBe('ptdSelect some text first.');
      await l.worker.evaluate((tabId) => {
        (chrome.contextMenus.onClicked as unknown as { dispatch(i: object, t: { id: number }): void }).dispatch({ menuItemId: 'ptd-check-field', editable: true }, { id: tabId });
      }, tab.tabId);
      await expect.poll(card).toMatch(/^ptdClick into a text box or an editor first/);
    } finally {
      await tab.close();
    }
  }, 60_000);
});
