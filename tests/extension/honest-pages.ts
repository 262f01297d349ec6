// The extension on real-looking pages, checked the same way in Chromium (honest.test.ts) and Firefox
// (firefox-honest.test.ts): pages in other languages are not checked and say so, text in forms, frames and editors
// is read, a page that never stops changing is re-scanned within the maximum wait, the page's scores are those of
// `ptd score` on the same text, and the hover card shows the words that drove a flagged sentence's score.
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import type { DetectionResult, ScoredSentence } from '../../model/types.ts';
import { flaggedRanges, highlights, scanTab, sendFrom, type InPage } from '../../extension/build/harness.ts';
import type { PageSummary } from '../../extension/shared/messages.ts';

/** The pages these checks open (tests/extension/fixtures/*.html), by path. */
export const HONEST_PAGES = ['chinese', 'russian', 'mixed', 'form', 'iframe', 'framed', 'editor', 'clock', 'article'];

export interface Tab {
  page: InPage;
  tabId: number;
  mouseMove(x: number, y: number): Promise<void>;
  close(): Promise<void>;
}

export interface HonestBrowser {
  /** An extension page to send messages from. */
  ext: InPage;
  /** Opens `${base}${path}` in a new tab. */
  open(path: string): Promise<Tab>;
  /** Opens the popup for a tab; reads an element's text. */
  popup(tabId: number): Promise<{ text(selector: string): Promise<string>; close(): Promise<void> }>;
}

type Reply<T> = ({ ok: true } & T) | { ok: false; error: string };

export async function toContent<T extends object>(ext: InPage, tabId: number, msg: object): Promise<T> {
  const reply = await ext.evaluate(([id, m]) => chrome.tabs.sendMessage(id, { target: 'content', ...m }) as Promise<Reply<T>>, [tabId, msg] as const);
  if (!reply.ok) throw new Error(reply.error);
  return reply;
}

const summaryOf = async (ext: InPage, tabId: number) => (await toContent<{ summary: PageSummary }>(ext, tabId, { type: 'summary' })).summary;

/** Scans, then flags from a very low threshold: every scored sentence is flagged, so whatever is painted was scored. */
async function scanFlaggingAll(b: HonestBrowser, tab: Tab): Promise<PageSummary> {
  const first = await scanTab(b.ext, tab.tabId);
  expect(first.state).toBe('done');
  return (await toContent<{ summary: PageSummary }>(b.ext, tab.tabId, { type: 'set-threshold', threshold: 0.01 })).summary;
}

/** A page wholly in another script: nothing scored, nothing flagged, and the popup says why. */
export async function expectNotChecked(b: HonestBrowser, path: string): Promise<void> {
  const tab = await b.open(path);
  try {
    const s = await scanFlaggingAll(b, tab);
    expect(s.sentences).toBeGreaterThanOrEqual(4);
    expect(s.scored).toBe(0);
    expect(s.flagged).toBe(0);
    expect(s.skipped).toBe(s.sentences);
    expect(s.skippedReasons).toEqual({ language: s.sentences });
    expect(flaggedRanges(await highlights(tab.page))).toEqual([]);
    const popup = await b.popup(tab.tabId);
    await expect.poll(() => popup.text('#status'), { timeout: 10_000 }).toContain(`${s.sentences} sentences not English — not checked`);
    await popup.close();
  } finally {
    await tab.close();
  }
}

/** English and Japanese paragraphs: the English sentences are scored, no Japanese one is flagged, the popup says so. */
export async function expectMixedPage(b: HonestBrowser): Promise<void> {
  const tab = await b.open('/mixed.html');
  try {
    const s = await scanFlaggingAll(b, tab);
    expect(s.skippedReasons).toEqual({ language: 4 });
    expect(s.scored).toBe(5);
    expect(s.flagged).toBe(5);
    const ranges = flaggedRanges(await highlights(tab.page));
    expect(ranges).toHaveLength(5);
    for (const r of ranges) expect(r).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/u);
    const popup = await b.popup(tab.tabId);
    await expect.poll(() => popup.text('#skipped'), { timeout: 10_000 }).toBe('Also: 4 sentences not English — not checked.');
    await popup.close();
  } finally {
    await tab.close();
  }
}

/** An ASP.NET-style page (all inside one <form>) and a story in a same-origin iframe: their sentences are scored. */
export async function expectFormAndFrame(b: HonestBrowser): Promise<void> {
  const form = await b.open('/form.html');
  try {
    const s = await scanFlaggingAll(b, form);
    expect(s.scored).toBe(4);
    const ranges = flaggedRanges(await highlights(form.page));
    expect(ranges.join(' ')).toContain('The town council voted on Tuesday');
    expect(ranges.join(' ')).not.toMatch(/Search the news/);
  } finally {
    await form.close();
  }
  const framed = await b.open('/iframe.html');
  try {
    await expect.poll(() => framed.page.evaluate(() => (document.getElementById('reader') as HTMLIFrameElement).contentDocument?.readyState, undefined)).toBe('complete');
    const s = await scanFlaggingAll(b, framed);
    expect(s.scored).toBe(4); // one sentence outside the frame, three inside
    const { text } = await toContent<{ text: string }>(b.ext, framed.tabId, { type: 'page-text' });
    expect(text).toContain('The ferry left the harbour an hour late');
    // painted in the frame's own highlight registry
    const inFrame = await framed.page.evaluate(() => {
      const win = (document.getElementById('reader') as HTMLIFrameElement).contentWindow as Window & { CSS: { highlights: Map<string, Set<Range>> } };
      const out: string[] = [];
      win.CSS.highlights.forEach((h, name) => {
        if (name.startsWith('ptd-flagged-')) for (const r of h) out.push(r.toString());
      });
      return out;
    }, undefined);
    expect(inFrame).toHaveLength(3);
    expect(inFrame.join(' ')).toContain('By the time we reached the island');
  } finally {
    await framed.close();
  }
}

/** An editor page: a page scan finds nothing and says why; "Check this field" reads the text box and the editor. */
export async function expectEditorPage(b: HonestBrowser): Promise<void> {
  const tab = await b.open('/editor.html');
  try {
    const scanned = await scanTab(b.ext, tab.tabId);
    expect(scanned.sentences).toBe(0);
    expect(scanned.empty).toMatch(/text boxes or editors/);
    const popup = await b.popup(tab.tabId);
    await expect.poll(() => popup.text('#status'), { timeout: 10_000 }).toMatch(/^Nothing readable on this page\. Its text is in text boxes or editors/);
    await popup.close();

    const check = async () => {
      const reply = await sendFrom<Reply<{ summary: PageSummary }>>(b.ext, { target: 'background', type: 'check-field', tabId: tab.tabId });
      if (!reply.ok) throw new Error(reply.error);
      return reply.summary;
    };
    await tab.page.evaluate(() => document.getElementById('draft')!.focus(), undefined);
    const box = await check();
    expect(box).toMatchObject({ state: 'done', trigger: 'field', scored: 3, sentences: 3 });
    // a text box has no text nodes to paint: its result is in a card next to it
    await expect
      .poll(() => tab.page.evaluate(() => document.querySelector('html > ptd-card')?.shadowRoot?.querySelector('.card:not([hidden])')?.textContent ?? '', undefined))
      .toMatch(/^ptd: \d of 3 sentences in this field likely paraphrased/);

    await tab.page.evaluate(() => {
      const p = document.querySelector('#editor p')!;
      const range = document.createRange();
      range.setStart(p.firstChild!, 3);
      range.collapse(true);
      (document.getElementById('editor') as HTMLElement).focus();
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
    }, undefined);
    const editor = await check();
    expect(editor).toMatchObject({ state: 'done', trigger: 'field', scored: 3 });
    await toContent(b.ext, tab.tabId, { type: 'set-threshold', threshold: 0.01 });
    const ranges = flaggedRanges(await highlights(tab.page));
    expect(ranges).toHaveLength(3);
    expect(ranges.join(' ')).toContain('Our street holds a market every Saturday morning.');
  } finally {
    await tab.close();
  }
}

/** A 1 Hz clock keeps the page from ever being quiet; new content is still re-scanned within the maximum wait (8 s). */
export async function expectClockPageRescanned(b: HonestBrowser): Promise<void> {
  const tab = await b.open('/clock.html');
  try {
    const first = await scanTab(b.ext, tab.tabId);
    expect(first.state).toBe('done');
    await tab.page.evaluate(() => (window as unknown as { addMore(): void }).addMore(), undefined);
    const added = Date.now();
    await expect
      .poll(
        async () => {
          const s = await summaryOf(b.ext, tab.tabId);
          return s.state === 'done' ? s.scored : -1;
        },
        { timeout: 14_000, interval: 250 },
      )
      .toBe(first.scored + 2);
    // the maximum wait (8 s) from the first change after the scan, plus the re-scan itself on a loaded machine
    expect(Date.now() - added).toBeLessThan(14_000);
  } finally {
    await tab.close();
  }
}

/** The page's sentences scored by the extension equal `ptd score` on the same extracted text (to 1e-4). */
export async function expectParityWithCli(b: HonestBrowser, model: string, path = '/article.html'): Promise<void> {
  const tab = await b.open(path);
  try {
    const s = await scanTab(b.ext, tab.tabId);
    expect(s.state).toBe('done');
    const { text, result } = await toContent<{ text: string; result: DetectionResult }>(b.ext, tab.tabId, { type: 'page-text' });
    expect(result.sentences.length).toBeGreaterThan(10);
    const cli = await ptdScore(model, text);
    expect(cli.sentences.map((x) => [x.start, x.end, x.skipped ?? null])).toEqual(result.sentences.map((x) => [x.start, x.end, x.skipped ?? null]));
    cli.sentences.forEach((x, i) => {
      const mine = result.sentences[i]!;
      if (x.score === null) expect(mine.score).toBeNull();
      else expect(Math.abs(x.score - mine.score!)).toBeLessThanOrEqual(1e-4);
    });
    expect(cli.reliable).toBe(result.reliable);
  } finally {
    await tab.close();
  }
}

async function ptdScore(model: string, text: string): Promise<DetectionResult> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('node', ['bin/ptd.js', 'score', '-m', model, '--format', 'json', '--device', 'cpu', '--no-evidence'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`ptd score exited ${code}: ${stderr}`))));
    child.stdin.end(text);
  });
  return JSON.parse(out) as DetectionResult;
}

/** Pointing at a flagged sentence shows the words that drove its score. */
export async function expectEvidenceInCard(b: HonestBrowser): Promise<void> {
  const tab = await b.open('/article.html?evidence');
  try {
    const first = await scanTab(b.ext, tab.tabId);
    // flag the upper half, whatever the model's calibration, and scan again so that evidence is found for them
    const median = [...first.scores].sort((a, b) => a - b)[Math.floor(first.scores.length / 2)]!;
    await toContent(b.ext, tab.tabId, { type: 'set-threshold', threshold: median });
    const again = await scanTab(b.ext, tab.tabId);
    expect(again.flagged).toBeGreaterThan(0);
    expect(again.explained).toBe(again.flagged);
    const { result } = await toContent<{ result: DetectionResult }>(b.ext, tab.tabId, { type: 'page-text' });
    const explained = result.sentences.find((s): s is ScoredSentence => s.score !== null && s.score >= median && !!s.evidence?.length);
    expect(explained, 'a flagged sentence with evidence').toBeDefined();
    const point = await tab.page.evaluate((sentence) => {
      const registry = (CSS as unknown as { highlights: Map<string, Set<Range>> }).highlights;
      for (const [name, h] of registry) {
        if (!name.startsWith('ptd-flagged-')) continue;
        for (const range of h) {
          if (range.toString().replace(/\s+/g, ' ').trim() !== sentence) continue;
          (range.startContainer.parentElement ?? document.body).scrollIntoView({ block: 'center' });
          const rect = range.getClientRects()[0]!;
          return { x: rect.left + Math.min(10, rect.width / 2), y: rect.top + rect.height / 2 };
        }
      }
      return null;
    }, explained!.text.replace(/\s+/g, ' ').trim());
    expect(point).not.toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    await tab.mouseMove(point!.x, point!.y);
    await tab.mouseMove(point!.x + 1, point!.y);
    const words = explained!.evidence!.map((e) => `“${e.text}”`).join(', ');
    await expect
      .poll(() => tab.page.evaluate(() => document.querySelector('html > ptd-card')?.shadowRoot?.querySelector('.card:not([hidden])')?.textContent ?? '', undefined))
      .toContain(`Words that drove the score: ${words}`);
  } finally {
    await tab.close();
  }
}

/** The popup shows the background's reason when a page cannot be scanned (not "This page has not been scanned."). */
export async function expectPopupShowsError(b: HonestBrowser, tabId: number): Promise<void> {
  const popup = await b.popup(tabId);
  await expect.poll(() => popup.text('#status'), { timeout: 15_000 }).toMatch(/^ptd cannot scan this page: ptd cannot read this page \(.+\)/);
  expect(await popup.text('#status')).not.toContain('has not been scanned');
  await popup.close();
}
