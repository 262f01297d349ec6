// The extension on real-looking pages in headless Firefox (the background page hosts the model): the same checks as
// in Chromium (honest-pages.ts), where Firefox has the API. Fixture model: behaviour, never model quality.
/// <reference types="chrome" />
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { describeIfAvailable } from '../helpers/requires.ts';
import { buildExtension } from '../../extension/build/build.ts';
import { FIREFOX, inPage, launchFirefoxWithExtension, type LaunchedFirefox } from '../../extension/build/firefox.ts';
import { fixture, ROOT, servePages, tabIdOf } from '../../extension/build/harness.ts';
import {
  expectClockPageRescanned,
  expectEditorPage,
  expectEvidenceInCard,
  expectFormAndFrame,
  expectMixedPage,
  expectNotChecked,
  expectParityWithCli,
  HONEST_PAGES,
  type HonestBrowser,
} from './honest-pages.ts';

const MODEL = process.env.PTD_EXTENSION_MODEL ?? 'tests/fixtures/models/tiny';
const OUT = path.join(ROOT, 'dist', 'extension-test-honest-firefox');
describeIfAvailable('the extension on real-looking pages (headless Firefox)', existsSync(FIREFOX), `Firefox at ${FIREFOX} (apt-get install firefox-esr, or set PTD_FIREFOX)`, () => {
  let server: Server;
  let base: string;
  let ff: LaunchedFirefox;
  let b: HonestBrowser;

  beforeAll(async () => {
    await buildExtension({ model: MODEL, out: OUT, targets: ['firefox'], zip: false, testHosts: ['http://127.0.0.1/*'], log: () => undefined });
    ({ server, url: base } = await servePages(Object.fromEntries(HONEST_PAGES.map((p) => [`/${p}.html`, fixture(`${p}.html`)]))));
    ff = await launchFirefoxWithExtension(path.join(OUT, 'firefox'));
    const ext = inPage(await ff.extensionPage('options.html'));
    b = {
      ext,
      async open(p) {
        const page = await ff.newPage(`${base}${p}`);
        return {
          page: inPage(page),
          tabId: await tabIdOf(ext, `${base}${p}`),
          mouseMove: (x, y) => page.mouse.move(x, y),
          close: () => page.close(),
        };
      },
      async popup(tabId) {
        const popup = await ff.extensionPage(`popup.html?tab=${tabId}`);
        return { text: (selector) => popup.$eval(selector, (e) => e.textContent ?? ''), close: () => popup.close() };
      },
    };
  }, 180_000);

  afterAll(async () => {
    await ff?.close();
    server?.close();
  });

  it.each([['/chinese.html'], ['/russian.html']])('%s: no sentence scored or flagged, and the popup says why', (p) => expectNotChecked(b, p), 120_000);

  it('a mixed English/Japanese page: English scored, no Japanese sentence flagged, the popup says why', () => expectMixedPage(b), 120_000);

  it('reads the text of a page inside a <form> and of a same-origin iframe', () => expectFormAndFrame(b), 120_000);

  it('an editor page: a scan says why nothing was read; "Check this field" scores the text box and the editor', () => expectEditorPage(b), 120_000);

  it('a page with a 1 Hz clock is re-scanned within the maximum wait after content is added', () => expectClockPageRescanned(b), 120_000);

  it('the page\'s sentence scores equal `ptd score` on the same extracted text, to 1e-4', () => expectParityWithCli(b, MODEL), 180_000);

  it('the hover card names the words that drove a flagged sentence\'s score', () => expectEvidenceInCard(b), 120_000);
});
