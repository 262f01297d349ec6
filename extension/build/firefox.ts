// Firefox for the end-to-end test (tests/extension/firefox.test.ts) and the benchmark: Debian's firefox-esr, driven
// over WebDriver BiDi by puppeteer-core (Playwright drives only its own patched Firefox builds), with the built
// extension installed as a temporary add-on.
//
// WebDriver BiDi refuses to navigate a tab to a moz-extension:// page. The extension's pages (options, popup) are
// opened from the browser window's own (chrome) scope instead, which needs `--remote-allow-system-access`; the
// add-on's internal UUID is fixed through a pref so its page URLs are known before install.
import { randomUUID } from 'node:crypto';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { InPage } from './harness.ts';
import { GECKO_ID } from './manifest.ts';

export const FIREFOX = process.env.PTD_FIREFOX ?? '/usr/bin/firefox-esr';

/** A Puppeteer page as harness.ts's InPage (Puppeteer's evaluate types its argument differently from Playwright's). */
export function inPage(page: Page): InPage {
  return { evaluate: <R, A>(fn: (arg: A) => R | Promise<R>, arg: A) => page.evaluate(fn as never, arg as never) as Promise<R> };
}

export interface LaunchedFirefox {
  browser: Browser;
  /** `moz-extension://<uuid>` of the installed add-on. */
  origin: string;
  /** A new tab at `url` (web pages). */
  newPage(url: string): Promise<Page>;
  /** A new tab at an extension page (`options.html`, `popup.html?tab=3`), opened from the browser window. */
  extensionPage(pathAndQuery: string): Promise<Page>;
  /** The text of the add-on permission prompt Firefox shows (doorhanger), once one is open; null after `timeoutMs`. */
  permissionPrompt(timeoutMs?: number): Promise<string | null>;
  /** Clicks the open permission prompt's Allow (true) or Cancel (false) button, as the user would. */
  answerPermissionPrompt(allow: boolean): Promise<void>;
  /**
   * Resolves once Firefox has stopped the add-on's background (event) page, seen from the browser's side: a message
   * to the page would start it again. Rejects after `timeoutMs` with the state it is in.
   */
  backgroundStopped(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface BidiConnection {
  send(method: string, params: object): Promise<unknown>;
}

interface EvaluateReply {
  result?: { type: string; result?: { type: string; value?: unknown }; exceptionDetails?: { text?: string } };
}

export interface FirefoxOptions {
  /** Firefox prefs to set, e.g. a short `extensions.background.idle.timeout` (ms) to test event-page suspension. */
  prefs?: Record<string, unknown>;
}

export async function launchFirefoxWithExtension(extensionDir: string, options: FirefoxOptions = {}): Promise<LaunchedFirefox> {
  const uuid = randomUUID();
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: uuid }),
      ...options.prefs,
    },
  });
  try {
    const id = await browser.installExtension(extensionDir);
    if (id !== GECKO_ID) throw new Error(`installed add-on id ${id}, expected ${GECKO_ID}`);
  } catch (err) {
    await browser.close();
    throw err;
  }
  const origin = `moz-extension://${uuid}`;

  // Raw BiDi commands go through Puppeteer's own connection (a BiDi browser has one; its type is not exported).
  const connection = (browser as unknown as { connection?: BidiConnection }).connection;
  if (typeof connection?.send !== 'function') {
    await browser.close();
    throw new Error('puppeteer-core did not expose its WebDriver BiDi connection (puppeteer-core version changed?)');
  }

  async function chromeEvaluate(expression: string): Promise<unknown> {
    const tree = (await connection!.send('browsingContext.getTree', { 'moz:scope': 'chrome' })) as {
      result: { contexts: Array<{ context: string; url: string }> };
    };
    const window = tree.result.contexts.find((c) => c.url === 'chrome://browser/content/browser.xhtml');
    if (!window) throw new Error('no Firefox browser window in chrome scope');
    const reply = (await connection!.send('script.evaluate', {
      expression,
      target: { context: window.context },
      awaitPromise: true,
    })) as EvaluateReply;
    if (reply.result?.type !== 'success') throw new Error(`chrome-scope evaluation failed: ${reply.result?.exceptionDetails?.text ?? 'unknown error'}`);
    return reply.result.result?.value;
  }

  /** The tab whose document is at `url` (Puppeteer does not see navigations to moz-extension:// pages by URL). */
  async function pageAt(url: string, before: Set<Page>): Promise<Page> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      for (const p of await browser.pages()) {
        if (before.has(p)) continue;
        const here = await p.evaluate(() => (document.readyState === 'complete' ? location.href : '')).catch(() => '');
        if (here === url) return p;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no tab reached ${url} within 30 s`);
  }

  return {
    browser,
    origin,
    async newPage(url) {
      const page = await browser.newPage();
      await page.goto(url);
      return page;
    },
    async extensionPage(pathAndQuery) {
      const url = `${origin}/${pathAndQuery}`;
      const before = new Set(await browser.pages());
      await chromeEvaluate(
        `gBrowser.selectedTab = gBrowser.addTab(${JSON.stringify(url)}, { triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal() }); true`,
      );
      return pageAt(url, before);
    },
    async permissionPrompt(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const text = await chromeEvaluate(
          `(() => { const n = PopupNotifications.panel.querySelector('popupnotification#addon-webext-permissions-notification'); ` +
            `return n ? [...n.querySelectorAll('description, li')].map((e) => e.textContent.trim()).filter(Boolean).join(' / ') : null; })()`,
        );
        if (typeof text === 'string') return text;
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    },
    async answerPermissionPrompt(allow) {
      const button = allow ? 'button' : 'secondaryButton';
      const done = await chromeEvaluate(
        `(() => { const n = PopupNotifications.panel.querySelector('popupnotification#addon-webext-permissions-notification'); ` +
          `if (!n) return false; n.${button}.click(); return true; })()`,
      );
      if (done !== true) throw new Error('no permission prompt is open');
    },
    async backgroundStopped(timeoutMs = 30_000) {
      // Extension.backgroundState and views are Firefox's own (ext-backgroundPage.js, Extension.sys.mjs). Stopped is
      // when the state says so and the page's view is gone: a message sent earlier can reach the closing page.
      await chromeEvaluate(
        `new Promise((resolve, reject) => { const ext = WebExtensionPolicy.getByID(${JSON.stringify(GECKO_ID)}).extension; ` +
          `const stopped = () => ext.backgroundState === 'stopped' && ![...ext.views].some((v) => v.viewType === 'background'); ` +
          `const deadline = Date.now() + ${timeoutMs}; ` +
          `const check = () => { if (stopped()) resolve(true); ` +
          `else if (Date.now() > deadline) reject(new Error('the background page is still ' + ext.backgroundState + ' after ${timeoutMs} ms')); ` +
          `else setTimeout(check, 50); }; check(); })`,
      );
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}
