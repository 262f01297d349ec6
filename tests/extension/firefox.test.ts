// End-to-end in Firefox: the Firefox build (background page as model host, no offscreen document) installed in
// Debian's firefox-esr, headless, driven over WebDriver BiDi (extension/build/firefox.ts). Same fixture article and
// fixture model (random weights) as the Chromium test: assertions are about behaviour, never about model quality.
/// <reference types="chrome" />
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeIfAvailable } from '../helpers/requires.ts';
import { buildExtension } from '../../extension/build/build.ts';
import { expectApiModeScan } from './api-mode.ts';
import { FIREFOX, inPage, launchFirefoxWithExtension, type LaunchedFirefox } from '../../extension/build/firefox.ts';
import { fixture, flaggedRanges, highlights as highlightsIn, norm, ROOT, scanTab, sendFrom, serveFakeApi, servePages, tabIdOf, type InPage } from '../../extension/build/harness.ts';
import type { HostState, PageSummary } from '../../extension/shared/messages.ts';

const MODEL = process.env.PTD_EXTENSION_MODEL ?? 'tests/fixtures/models/tiny';
const OUT = path.join(ROOT, 'dist', 'extension-test-firefox');
const EXTENSION = path.join(OUT, 'firefox');

type SummaryReply = { ok: true; summary: PageSummary } | { ok: false; error: string };

const highlights = (page: Page) => highlightsIn(inPage(page));
const htmlAttr = (page: Page, name: string) => page.evaluate((n) => document.documentElement.getAttribute(n), name);

async function toContent(ext: InPage, tabId: number, msg: object): Promise<PageSummary> {
  const reply = await ext.evaluate(([id, m]) => chrome.tabs.sendMessage(id, { target: 'content', ...m }) as Promise<SummaryReply>, [tabId, msg] as const);
  if (!reply.ok) throw new Error(reply.error);
  return reply.summary;
}

describeIfAvailable('extension in headless Firefox', existsSync(FIREFOX), `Firefox at ${FIREFOX} (apt-get install firefox-esr, or set PTD_FIREFOX)`, () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    await buildExtension({ model: MODEL, out: OUT, targets: ['firefox'], zip: false, testHosts: ['http://127.0.0.1/*'], log: () => undefined });
    ({ server, url: base } = await servePages({ '/article.html': fixture('article.html') }));
  }, 180_000);

  afterAll(() => {
    server?.close();
  });

  describe('background page as model host (WASM)', () => {
    let ff: LaunchedFirefox;
    let page: Page;
    let ext: InPage;
    let tabId: number;
    let bodyBefore: string;
    let first: PageSummary;

    beforeAll(async () => {
      ff = await launchFirefoxWithExtension(EXTENSION);
      page = await ff.newPage(`${base}/article.html`);
      bodyBefore = await page.evaluate(() => document.body.innerHTML);
      ext = inPage(await ff.extensionPage('options.html'));
      tabId = await tabIdOf(ext, `${base}/article.html`);
    }, 60_000);

    afterAll(async () => {
      await ff?.close();
    });

    it('scans the page: state done on WASM, one highlight range per flagged sentence, DOM text unchanged', async () => {
      first = await scanTab(ext, tabId);
      expect(first.state).toBe('done');
      expect(first.mode).toBe('local');
      expect(first.model?.device).toBe('wasm');
      expect(first.model?.fallbacks.map((f) => f.device)).toEqual(['webgpu']);
      // 4 prose paragraphs + 3 list items; headings, nav, header, footer and hidden text are not read
      expect(first.scored).toBeGreaterThanOrEqual(15);
      expect(first.scores).toHaveLength(first.scored);
      expect(await htmlAttr(page, 'data-ptd-state')).toBe('done');

      // flag from the median score, whatever the fixture model says (re-labelled, not re-scanned)
      const threshold = [...first.scores].sort((a, b) => a - b)[Math.floor(first.scores.length / 2)]!;
      const relabelled = await toContent(ext, tabId, { type: 'set-threshold', threshold });
      expect(relabelled.flagged).toBe(first.scores.filter((x) => x >= threshold).length);
      expect(relabelled.flagged).toBeGreaterThan(0);
      expect(relabelled.ms).toBe(first.ms);
      expect(await htmlAttr(page, 'data-ptd-flagged')).toBe(String(relabelled.flagged));

      const ranges = flaggedRanges(await highlights(page));
      expect(ranges).toHaveLength(relabelled.flagged);
      const visible = norm(await page.evaluate(() => document.querySelector('article')!.innerText));
      for (const text of ranges) {
        expect(norm(text).length).toBeGreaterThan(0);
        expect(visible).toContain(norm(text));
        expect(text).not.toContain('hidden paragraph');
      }
      expect(await page.evaluate(() => document.body.innerHTML)).toBe(bodyBefore);
    }, 240_000);

    it('the popup shows the scanned page and its slider re-labels without re-running the model', async () => {
      const popup = await ff.extensionPage(`popup.html?tab=${tabId}`);
      await popup.waitForFunction(() => !document.getElementById('summary')!.hidden);
      const summary = await toContent(ext, tabId, { type: 'summary' });
      expect(await popup.$eval('#scored', (e) => e.textContent)).toBe(String(summary.scored));
      expect(await popup.$eval('#details', (e) => e.textContent)).toMatch(/on WASM/);
      const t = Math.max(0.05, Math.floor(Math.min(...summary.scores) * 100) / 100);
      // what the slider does on input: set its value and fire the event
      await popup.$eval(
        '#threshold',
        (e, value) => {
          (e as HTMLInputElement).value = value;
          e.dispatchEvent(new Event('input', { bubbles: true }));
        },
        t.toFixed(2),
      );
      const expected = summary.scores.filter((x) => x >= t).length;
      await expect.poll(() => popup.$eval('#flagged', (e) => e.textContent)).toBe(String(expected));
      await expect.poll(() => htmlAttr(page, 'data-ptd-flagged')).toBe(String(expected));
      expect((await toContent(ext, tabId, { type: 'summary' })).ms).toBe(summary.ms);
      await popup.close();
    }, 60_000);

    it('checks a selection: only the selected paragraph is scored and painted', async () => {
      await page.evaluate(() => {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById('p2')!);
        const selection = window.getSelection()!;
        selection.removeAllRanges();
        selection.addRange(range);
      });
      const reply = await sendFrom<SummaryReply>(ext, { target: 'background', type: 'check-selection', tabId });
      if (!reply.ok) throw new Error(reply.error);
      expect(reply.summary.trigger).toBe('selection');
      expect(reply.summary.scored).toBe(4); // the four sentences of #p2
      await toContent(ext, tabId, { type: 'set-threshold', threshold: Math.min(...reply.summary.scores) });
      const ranges = flaggedRanges(await highlights(page));
      expect(ranges).toHaveLength(4);
      const p2 = norm(await page.evaluate(() => document.getElementById('p2')!.textContent!));
      for (const r of ranges) expect(p2).toContain(norm(r));
      expect(await page.evaluate(() => document.body.innerHTML)).toBe(bodyBefore);
    }, 60_000);

    it('clear removes every highlight and the page attributes', async () => {
      const reply = await sendFrom<{ ok: boolean }>(ext, { target: 'background', type: 'clear-tab', tabId });
      expect(reply.ok).toBe(true);
      expect(Object.keys(await highlights(page)).filter((k) => k.startsWith('ptd-'))).toEqual([]);
      expect(await htmlAttr(page, 'data-ptd-state')).toBeNull();
    });
  });

  it('API mode (opt-in): the background page sends the page text to the configured API with its key, and paints the answer', async () => {
    const api = await serveFakeApi();
    const ff = await launchFirefoxWithExtension(EXTENSION);
    try {
      const page = await ff.newPage(`${base}/article.html?api`);
      const ext = inPage(await ff.extensionPage('options.html'));
      const tabId = await tabIdOf(ext, `${base}/article.html?api`);
      await expectApiModeScan(ext, tabId, api, 'k-456', () => highlights(page));
    } finally {
      await ff.close();
      api.close();
    }
  }, 120_000);

  it('turning API mode on asks, in one Firefox prompt, for the API host and consent to send page text; Cancel keeps local mode', async () => {
    // The shipped build: no host permission and no data consent granted at install (the test build grants both).
    const shipped = path.join(ROOT, 'dist', 'extension-test-firefox-shipped');
    await buildExtension({ model: MODEL, out: shipped, targets: ['firefox'], zip: false, log: () => undefined });
    const ff = await launchFirefoxWithExtension(path.join(shipped, 'firefox'));
    try {
      const options = await ff.extensionPage('options.html');
      const granted = () => inPage(options).evaluate(() => chrome.permissions.getAll() as Promise<{ origins?: string[]; data_collection?: string[] }>, undefined);
      const stored = () => inPage(options).evaluate(() => chrome.storage.local.get(['mode', 'apiUrl']), undefined);
      expect(await granted()).toMatchObject({ origins: [], data_collection: [] });
      const turnOn = async () => {
        await options.click('input[name=mode][value=api]');
        await options.$eval('input[name=apiUrl]', (e) => ((e as HTMLInputElement).value = ''));
        await options.type('input[name=apiUrl]', 'http://127.0.0.1:8080');
        await options.click('button[type=submit]'); // a real click: the user gesture permissions.request needs
        const prompt = await ff.permissionPrompt();
        expect(prompt).toMatch(/127\.0\.0\.1/);
        expect(prompt).toMatch(/website content/);
      };

      await turnOn();
      await ff.answerPermissionPrompt(false);
      await expect.poll(() => options.$eval('#saved', (e) => e.textContent)).toMatch(/was not granted; API mode stays off/);
      expect((await stored()).mode).not.toBe('api');
      expect(await granted()).toMatchObject({ origins: [], data_collection: [] });

      await turnOn();
      await ff.answerPermissionPrompt(true);
      await expect.poll(() => options.$eval('#saved', (e) => e.textContent)).toBe('Saved.');
      expect(await stored()).toMatchObject({ mode: 'api', apiUrl: 'http://127.0.0.1:8080' });
      // the port is not part of a match pattern: the grant covers the host
      expect(await granted()).toMatchObject({ origins: ['http://127.0.0.1/*'], data_collection: ['websiteContent'] });
    } finally {
      await ff.close();
    }
  }, 120_000);

  it('when Firefox suspends the idle background page (and the model with it), the next scan reloads the model', async () => {
    // Firefox stops an MV3 event page after it has been idle for `extensions.background.idle.timeout` (30 s by default).
    const ff = await launchFirefoxWithExtension(EXTENSION, { prefs: { 'extensions.background.idle.timeout': 2000 } });
    try {
      const page = await ff.newPage(`${base}/article.html?suspend`);
      const ext = inPage(await ff.extensionPage('options.html'));
      const tabId = await tabIdOf(ext, `${base}/article.html?suspend`);
      const before = await scanTab(ext, tabId);
      expect(before.state).toBe('done');
      expect(before.model?.device).toBe('wasm'); // the background page loaded the model to scan
      // (Asking the host's state now could already find it stopped on a loaded machine: 2 s is short. Firefox says
      // when it stopped the page instead; asking the page would wake it.)
      await ff.backgroundStopped(30_000);
      // the background page was stopped: a message starts a fresh one, without a model
      const after = await sendFrom<{ ok: true; state: HostState }>(ext, { target: 'background', type: 'host-state' });
      expect(after.state.status).toBe('idle');
      await sendFrom<{ ok: boolean }>(ext, { target: 'background', type: 'clear-tab', tabId });
      const again = await scanTab(ext, tabId);
      expect(again.state).toBe('done');
      expect(again.scores).toEqual(before.scores);
      expect(flaggedRanges(await highlights(page))).toHaveLength(again.flagged);
    } finally {
      await ff.close();
    }
  }, 120_000);
});
