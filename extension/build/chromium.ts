/// <reference types="chrome" />
// Helpers for the end-to-end test (tests/extension/e2e.test.ts) and the benchmark (bench.ts): build once, serve fixture pages on 127.0.0.1, launch the
// Debian Chromium (NOTES §3) with the built extension loaded.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import type { PageSummary } from '../shared/messages.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.PTD_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Serves `pages` (path → HTML) on a free 127.0.0.1 port. */
export async function servePages(pages: Record<string, string>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const body = pages[(req.url ?? '/').split('?')[0]!];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

export function fixture(name: string): string {
  return readFileSync(path.join(ROOT, 'tests', 'extension', 'fixtures', name), 'utf8');
}

export interface Launched {
  context: BrowserContext;
  extensionId: string;
  worker: Worker;
  close(): Promise<void>;
}

export async function launchWithExtension(extensionDir: string, options: { webgpu?: boolean } = {}): Promise<Launched> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'ptd-chromium-'));
  const args = [...CHROMIUM_ARGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`];
  if (options.webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    ignoreDefaultArgs: ['--disable-extensions', '--headless'],
  });
  let worker = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  worker ??= await context.waitForEvent('serviceworker', { timeout: 30_000 });
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    extensionId,
    worker,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** An extension page (options.html) to send messages from, as the popup would. */
export async function extensionPage(l: Launched): Promise<Page> {
  const page = await l.context.newPage();
  await page.goto(`chrome-extension://${l.extensionId}/options.html`);
  return page;
}

/** The tab id of the page whose URL starts with `prefix` (needs the test build's host permission). */
export async function tabIdOf(ext: Page, url: string): Promise<number> {
  return ext.evaluate(async (u) => {
    const tabs = await chrome.tabs.query({});
    const tab = tabs.find((t) => t.url === u);
    if (tab?.id === undefined) throw new Error(`no tab ${u} among ${tabs.map((t) => t.url).join(', ')}`);
    return tab.id;
  }, url);
}

/** Sends a message to the background from an extension page and returns the reply. */
export async function sendFrom<T>(ext: Page, msg: object): Promise<T> {
  return ext.evaluate((m) => chrome.runtime.sendMessage(m), msg) as Promise<T>;
}

/** Asks the background to scan a tab, as the popup does, and returns the page summary; a refusal throws. */
export async function scanTab(ext: Page, tabId: number): Promise<PageSummary> {
  const reply = await sendFrom<{ ok: true; summary: PageSummary } | { ok: false; error: string }>(ext, {
    target: 'background',
    type: 'scan-tab',
    tabId,
    trigger: 'popup',
  });
  if (!reply.ok) throw new Error(reply.error);
  return reply.summary;
}
