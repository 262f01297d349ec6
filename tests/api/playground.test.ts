// The playground in headless Chromium (Debian's /usr/bin/chromium, NOTES §3): paste, pick the model,
// detect, see sentences painted with the shared palette's colours and tooltips, the summary and raw JSON;
// drop a file; switch colour scheme; API key prompt; no CSP violations or console errors.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { strToU8, zipSync } from 'fflate';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeIfAvailable } from '../helpers/requires.ts';
import { colourFor, describeSentence } from '../../ui/palette.ts';
import type { DetectionResult } from '../../model/types.ts';
import { type RunningServer, startServer } from '../../api/server.ts';
import { docxBomb } from '../helpers/docx.ts';
import { SAMPLE, silent } from './helpers.ts';
// Debian's Chromium and the launch flags that work on these machines (NOTES §3), shared with the extension's tests.
import { CHROMIUM, CHROMIUM_ARGS as ARGS } from '../../extension/build/chromium.ts';

const FIXTURE = 'tests/fixtures/models/tiny';

describeIfAvailable('playground in Chromium', existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium, or set PTD_CHROMIUM)`, () => {
  let server: RunningServer;
  let keyed: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, keyed] = await Promise.all([
      startServer({ port: 0, models: [FIXTURE, `small=${FIXTURE}`], device: 'cpu', logger: silent }),
      startServer({ port: 0, models: [FIXTURE], device: 'cpu', logger: silent, apiKeys: ['s3cret'] }),
    ]);
    await Promise.all([server.ready, keyed.ready]);
    // launch() gives every run a fresh temporary profile of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.close(), keyed?.close()]);
  });

  async function open(url: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(url);
    return { page, problems };
  }

  it('scores pasted text and paints sentences with the shared palette', async () => {
    const { page, problems } = await open(server.url);
    await expect.poll(() => page.locator('#model option').count()).toBe(2);
    expect(await page.locator('#key-label').isVisible()).toBe(false); // no key needed here
    await page.selectOption('#model', 'small');
    await page.fill('#text', SAMPLE);
    const response = page.waitForResponse((r) => r.url().endsWith('/v1/detect'));
    await page.click('#detect');
    const result = (await (await response).json()) as DetectionResult;
    await page.locator('#highlighted .s').first().waitFor();

    const spans = page.locator('#highlighted .s');
    expect(await spans.count()).toBe(result.sentences.length);
    // The whole text is shown, unchanged.
    expect(await page.locator('#highlighted').textContent()).toBe(SAMPLE);
    for (const [i, s] of result.sentences.entries()) {
      const span = spans.nth(i);
      expect(await span.textContent()).toBe(s.text);
      expect(await span.getAttribute('title')).toBe(describeSentence(s, result.threshold, result.model).tooltip);
      const expected = colourFor(s.score!, result.threshold, s.degree, 'standard');
      const bg = await span.evaluate((el) => (el as HTMLElement).style.backgroundColor);
      expectColour(bg, expected.background);
      expect(await span.getAttribute('data-band')).toBe(expected.band);
    }
    // Summary and raw JSON.
    const summary = await page.locator('#summary').textContent();
    expect(summary).toContain(result.score.toFixed(3));
    expect(summary).toContain('ptd-tiny-fixture');
    expect(JSON.parse((await page.locator('#raw').textContent())!)).toEqual(result);
    // Hovering shows the tooltip card.
    await spans.first().hover();
    expect(await page.locator('#card').textContent()).toBe(describeSentence(result.sentences[0]!, result.threshold, result.model).tooltip);
    // Switching the colour scheme repaints with that scheme.
    await page.selectOption('#scheme', 'colorblind');
    const s0 = result.sentences.find((s) => s.score! >= result.threshold * 0.8) ?? result.sentences[0]!;
    const bg = await spans.nth(s0.index).evaluate((el) => (el as HTMLElement).style.backgroundColor);
    expectColour(bg, colourFor(s0.score!, result.threshold, s0.degree, 'colorblind').background);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows sentences the model cannot read as not checked, with the reason in words', async () => {
    const { page, problems } = await open(server.url);
    await expect.poll(() => page.locator('#model option').count()).toBe(2);
    await page.fill('#text', `${SAMPLE}\n\n这是一篇关于城市发展的文章。居民们希望政府能够修建更多的道路。`);
    const response = page.waitForResponse((r) => r.url().endsWith('/v1/detect'));
    await page.click('#detect');
    const result = (await (await response).json()) as DetectionResult;
    await page.locator('#highlighted .s').first().waitFor();
    const skipped = page.locator('#highlighted .s.skipped');
    expect(await skipped.count()).toBe(2);
    expect(await skipped.first().getAttribute('title')).toContain('not English — not checked');
    expect(await skipped.first().getAttribute('data-score')).toBeNull();
    expect(await page.locator('#summary').textContent()).toContain('2 sentences: not English — not checked');
    expect(await page.locator('#status').textContent()).toMatch(/2 not checked/);
    expect(result.coverage.skipped).toBe(2);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('loads a dropped file into the text box', async () => {
    const { page, problems } = await open(server.url);
    await page.locator('#text').evaluate((el, text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'essay.txt', { type: 'text/plain' }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, SAMPLE);
    await expect.poll(() => page.locator('#text').inputValue()).toBe(SAMPLE);
    expect(await page.locator('#status').textContent()).toContain('essay.txt');
    await page.click('#detect');
    await page.locator('#highlighted .s').first().waitFor();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads the body text of a dropped Word document, and says why it cannot read a broken one', async () => {
    const { page, problems } = await open(server.url);
    const xml = `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>First paragraph.</w:t></w:r></w:p><w:p><w:r><w:t>Second &amp; last.</w:t></w:r></w:p></w:body></w:document>`;
    const bytes = Array.from(zipSync({ 'word/document.xml': strToU8(xml) }));
    const drop = (name: string, data: number[]) =>
      page.locator('#text').evaluate(
        (el, [n, d]) => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(d as number[])], n as string));
          el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        [name, data] as const,
      );
    await drop('essay.docx', bytes);
    await expect.poll(() => page.locator('#text').inputValue()).toBe('First paragraph.\n\nSecond & last.');
    expect(await page.locator('#status').textContent()).toContain('Loaded essay.docx');
    await drop('broken.docx', Array.from(strToU8('not a zip')));
    await expect.poll(() => page.locator('#status').textContent()).toContain('Cannot read broken.docx: not a .docx file');
    expect(await page.locator('#text').inputValue()).toBe('First paragraph.\n\nSecond & last.');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses a dropped .docx bomb and an oversized file quickly, saying why, and keeps the text', async () => {
    const { page, problems } = await open(server.url);
    await expect.poll(() => page.locator('#model option').count()).toBe(2);
    await page.fill('#text', 'Kept text.');
    // `data`: the bytes, or a size of bytes to make in the page (a large file need not cross the wire).
    const drop = (name: string, data: Uint8Array | number) =>
      page.locator('#text').evaluate(
        (el, [n, b64, size]) => {
          const bytes = b64 ? Uint8Array.from(atob(b64 as string), (c) => c.charCodeAt(0)) : new Uint8Array(size as number).fill(0x61);
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], n as string));
          el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        },
        [name, typeof data === 'number' ? '' : Buffer.from(data).toString('base64'), typeof data === 'number' ? data : 0] as const,
      );
    const started = Date.now();
    await drop('bomb.docx', docxBomb(400));
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Cannot read bomb\.docx: too large to read: word\/document\.xml declares \d+ bytes/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await drop('huge.txt', 6 * 1024 * 1024);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/Cannot read huge\.txt: \d+ KB, more than a document of 50000 characters can take/);
    await drop('latin1.txt', Uint8Array.from([0x43, 0x61, 0x66, 0xe9]));
    await expect.poll(() => page.locator('#status').textContent()).toContain('Cannot read latin1.txt: not valid UTF-8 text');
    expect(await page.locator('#text').inputValue()).toBe('Kept text.');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("refuses another site's form POST to the keyless server (403), while its own page works", async () => {
    // A page on http://localhost:PORT is another site than the server at http://127.0.0.1:PORT.
    const evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<form id="f" method="POST" enctype="multipart/form-data" action="${server.url}v1/detect"><input name="model" value="small"></form>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const { page } = await open(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      const response = page.waitForResponse((r) => r.url().endsWith('/v1/detect'));
      await page.evaluate(() => (document.getElementById('f') as HTMLFormElement).submit());
      const res = await response;
      expect(res.status()).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_site_request');
      await page.close();
    } finally {
      await new Promise<void>((r) => evil.close(() => r()));
    }
    const metrics = await (await fetch(`${server.url}metrics`)).text();
    expect(metrics).toMatch(/ptd_rejected_requests_total\{reason="cross_site_request"\} 1/);
  });

  it('shows API errors and asks for a key when the server needs one', async () => {
    const { page } = await open(keyed.url);
    await page.locator('#key-label').waitFor({ state: 'visible' });
    await page.fill('#text', 'Hello there. This is a test.');
    await page.click('#detect');
    await expect.poll(() => page.locator('#status').textContent()).toContain('unauthorized');
    await page.fill('#api-key', 's3cret');
    await page.locator('#api-key').dispatchEvent('change');
    await page.click('#detect');
    await page.locator('#highlighted .s').first().waitFor();
    expect(await page.locator('#highlighted .s').count()).toBe(2);
    await page.close();
  });
});

/** Same RGB, and the same alpha up to the browser's 8-bit rounding; `transparent` is rgba(0, 0, 0, 0). */
function expectColour(actual: string, expected: string): void {
  const parse = (c: string) => {
    if (c === 'transparent' || c === '') return [0, 0, 0, 0];
    const m = /^rgba?\(([^)]+)\)$/.exec(c.replace(/\s+/g, ''));
    if (!m) throw new Error(`not a colour: ${c}`);
    const parts = m[1]!.split(',').map(Number);
    return parts.length === 3 ? [...parts, 1] : parts;
  };
  const a = parse(actual);
  const e = parse(expected);
  expect(a.slice(0, 3), `${actual} vs ${expected}`).toEqual(e[3] === 0 ? a.slice(0, 3) : e.slice(0, 3));
  expect(Math.abs(a[3]! - e[3]!), `${actual} vs ${expected}`).toBeLessThan(0.01);
}
