/// <reference types="chrome" />
// Browser-independent parts of the extension's end-to-end tests and benchmark: fixture pages served on 127.0.0.1,
// and the messages an extension page (the popup, the options page) sends to the background. chromium.ts and
// firefox.ts launch the browsers.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageSummary } from '../shared/messages.ts';
import { segment } from '../../model/index.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

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

/** An extension page to run code in: a Playwright page as it is, a Puppeteer page through firefox.ts's `inPage`. */
export interface InPage {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
}

/** The tab id of the page whose URL starts with `prefix` (needs the test build's host permission). */
export async function tabIdOf(ext: InPage, url: string): Promise<number> {
  return ext.evaluate(async (u) => {
    const tabs = await chrome.tabs.query({});
    const tab = tabs.find((t) => t.url === u);
    if (tab?.id === undefined) throw new Error(`no tab ${u} among ${tabs.map((t) => t.url).join(', ')}`);
    return tab.id;
  }, url);
}

/** Sends a message to the background from an extension page and returns the reply. */
export async function sendFrom<T>(ext: InPage, msg: object): Promise<T> {
  // As the extension's own pages do (shared/send.ts): sent again if Firefox's background page was stopping.
  return ext.evaluate(async (m) => {
    for (let k = 1; ; k++) {
      try {
        return await chrome.runtime.sendMessage(m);
      } catch (err) {
        if (k >= 4 || !/receiving end does not exist/i.test(String(err))) throw err;
        await new Promise((resolve) => setTimeout(resolve, 150 * k));
      }
    }
  }, msg) as Promise<T>;
}

/** Asks the background to scan a tab, as the popup does, and returns the page summary; a refusal throws. */
export async function scanTab(ext: InPage, tabId: number): Promise<PageSummary> {
  const reply = await sendFrom<{ ok: true; summary: PageSummary } | { ok: false; error: string }>(ext, {
    target: 'background',
    type: 'scan-tab',
    tabId,
    trigger: 'popup',
  });
  if (!reply.ok) throw new Error(reply.error);
  return reply.summary;
}

/** Highlight names → ranges' text, read from the page's main world (the registry is shared with the content script). */
export async function highlights(page: InPage): Promise<Record<string, string[]>> {
  return page.evaluate(() => {
    const out: Record<string, string[]> = {};
    (CSS as unknown as { highlights: Map<string, Set<Range>> }).highlights.forEach((h, name) => {
      out[name] = [...h].map((r) => r.toString());
    });
    return out;
  }, undefined);
}

/** The text of every range painted as flagged (any score band). */
export const flaggedRanges = (h: Record<string, string[]>): string[] =>
  Object.entries(h)
    .filter(([k]) => k.startsWith('ptd-flagged-'))
    .flatMap(([, v]) => v);

/** Whitespace collapsed, for comparing a range's text with the page's visible text. */
export const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

export interface FakeApi {
  url: string;
  /** What each request carried: path, API key and the text to score. */
  received: Array<{ url: string; key: string | undefined; text: string }>;
  close(): void;
}

/** A stand-in for the ptd API (for the extension's opt-in API mode): every sentence scored 0.9 by "api-model". */
export async function serveFakeApi(): Promise<FakeApi> {
  const received: FakeApi['received'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { text } = JSON.parse(body || '{}') as { text: string };
      received.push({ url: req.url ?? '', key: req.headers['x-api-key'] as string | undefined, text });
      const sentences = segment(text).map((sg) => ({ ...sg, score: 0.9, label: 'paraphrased' as const }));
      const result = {
        model: { name: 'api-model', version: '9.9.9', device: 'cpu', dtype: 'q8', fallbacks: [] },
        sentences,
        spans: [],
        score: 0.9,
        paraphrasedFraction: 1,
        threshold: 0.5,
        coverage: { sentences: sentences.length, scored: sentences.length, truncated: 0 },
        reliable: true,
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received, close: () => server.close() };
}
