// `npm run bench:extension [-- --model DIR] [--runs N] [--browser chromium|firefox]`: in headless Chromium (or
// Firefox) with the built extension (WASM),
// measures the model load time and the time from starting a scan to the first and to all highlights painted, and to
// the scan's end (evidence included), for a ~1,500-word article: with evidence (the default) and without, at the
// model's default threshold and at its 5%-FPR one (which flags more sentences, so evidence costs more). Prints the
// figures; asserts nothing (speed is not a test).
//
// The articles: passages of ../shared/data/ptd-corpus/span_rewrites.jsonl with their LLM-rewritten span spliced in
// (read in place, never copied into the repository), one paragraph each, until 1,500 words; where the corpus is
// absent, the e2e fixture article's paragraphs, numbered. Every scan reads an article of its own: the model host
// remembers the windows it has read (a re-scan of a changed page reads only what changed), so scanning the same
// article again would measure that memory, not a scan.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { buildExtension } from './build.ts';
import { extensionPage, launchWithExtension } from './chromium.ts';
import { inPage, launchFirefoxWithExtension } from './firefox.ts';
import { fixture, ROOT, scanTab, sendFrom, servePages, tabIdOf, type InPage } from './harness.ts';
import type { HostState, PageSummary } from '../shared/messages.ts';

const WORDS = 1500;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** `n` articles of about WORDS words each, sharing no paragraph. */
function articles(n: number): Array<{ paragraphs: string[]; source: string }> {
  const out: Array<{ paragraphs: string[]; source: string }> = [];
  const file = path.join(ROOT, '..', 'shared', 'data', 'ptd-corpus', 'span_rewrites.jsonl');
  if (existsSync(file)) {
    const source = 'ptd-corpus span_rewrites (human passages with an LLM-rewritten span)';
    let paragraphs: string[] = [];
    let words = 0;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (out.length === n) return out;
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { sentences: string[]; spans: Array<[number, number]>; rewrites: string[] };
      const [start, end] = r.spans[0] ?? [0, 0];
      const text = [...r.sentences.slice(0, start), r.rewrites[0] ?? '', ...r.sentences.slice(end)].join(' ').replace(/\s+/g, ' ').trim();
      paragraphs.push(text);
      words += text.split(' ').length;
      if (words >= WORDS) {
        out.push({ paragraphs, source });
        paragraphs = [];
        words = 0;
      }
    }
    if (out.length === n) return out;
  }
  const base = [...fixture('article.html').matchAll(/<p id="p\d">([\s\S]*?)<\/p>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim());
  for (let k = out.length; k < n; k++) {
    const paragraphs: string[] = [];
    let words = 0;
    for (let i = 0; words < WORDS; i++) {
      const text = `Article ${k + 1}, part ${i + 1}. ${base[i % base.length]!}`;
      paragraphs.push(text);
      words += text.split(' ').length;
    }
    out.push({ paragraphs, source: 'the e2e fixture article, repeated with numbered paragraphs' });
  }
  return out;
}

function articleHtml(paragraphs: string[]): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bench</title></head><body><main><article><h1>Bench article</h1>${paragraphs
    .map((p) => `<p>${escapeHtml(p)}</p>`)
    .join('\n')}</article></main></body></html>`;
}

type BrowserName = 'chromium' | 'firefox';

interface Args {
  model?: string;
  runs: number;
  browser: BrowserName;
}

function parseArgs(argv: string[]): Args {
  const o: Args = { runs: 3, browser: 'chromium' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model') o.model = argv[++i];
    else if (argv[i] === '--runs') o.runs = Math.max(1, Number(argv[++i]) || 3);
    else if (argv[i] === '--browser') {
      const b = argv[++i];
      if (b !== 'chromium' && b !== 'firefox') throw new Error(`--browser must be chromium or firefox, not ${b}`);
      o.browser = b;
    } else throw new Error(`unknown option ${argv[i]}`);
  }
  return o;
}

/** The bench page open in a browser with the extension, and an extension page to send messages from. */
interface Session {
  label: string;
  ext: InPage;
  /** Loads another page in the bench tab (a fresh content script; the model stays loaded). */
  goto(url: string): Promise<void>;
  close(): Promise<void>;
}

async function openChromium(extensionDir: string, url: string): Promise<Session> {
  const l = await launchWithExtension(extensionDir);
  try {
    const page = await l.context.newPage();
    await page.goto(url);
    return {
      label: `headless Chromium ${l.context.browser()?.version() ?? ''}, model host in the offscreen document`,
      ext: await extensionPage(l),
      goto: async (u) => void (await page.goto(u)),
      close: () => l.close(),
    };
  } catch (err) {
    await l.close();
    throw err;
  }
}

async function openFirefox(extensionDir: string, url: string): Promise<Session> {
  const ff = await launchFirefoxWithExtension(extensionDir);
  try {
    const page = await ff.newPage(url);
    return {
      label: `headless Firefox ${(await ff.browser.version()).replace(/^firefox\//, '')}, model host in the background page`,
      ext: inPage(await ff.extensionPage('options.html')),
      goto: async (u) => void (await page.goto(u)),
      close: () => ff.close(),
    };
  } catch (err) {
    await ff.close();
    throw err;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const out = path.join(ROOT, 'dist', 'extension-bench');
  const target = args.browser === 'firefox' ? 'firefox' : 'chrome';
  const built = await buildExtension({ model: args.model, out, targets: [target], zip: false, testHosts: ['http://127.0.0.1/*'], log: () => undefined });
  const texts = articles(1 + 4 * args.runs);
  const { source } = texts[0]!;
  const words = texts.map((a) => a.paragraphs.join(' ').split(/\s+/).length);
  const { url, server } = await servePages(Object.fromEntries(texts.map((a, k) => [`/bench-${k}.html`, articleHtml(a.paragraphs)])));
  const open = args.browser === 'firefox' ? openFirefox : openChromium;
  const session = await open(path.join(out, target), `${url}/bench-0.html`);
  try {
    const { ext } = session;
    const tabId = await tabIdOf(ext, `${url}/bench-0.html`);
    let next = 1;
    const scan = async () => {
      const t0 = Date.now();
      const summary = await scanTab(ext, tabId);
      return { summary, wall: Date.now() - t0 };
    };
    const cold = await scan();
    const host = await sendFrom<{ ok: true; state: HostState }>(ext, { target: 'background', type: 'host-state' });
    const setting = (patch: object) => ext.evaluate((p) => chrome.storage.local.set(p), patch);
    const warmRuns = async (evidence: boolean, threshold: number | null) => {
      await setting({ evidence, threshold });
      const out: Array<{ summary: PageSummary; wall: number }> = [];
      for (let i = 0; i < args.runs; i++) {
        await session.goto(`${url}/bench-${next++}.html`); // a new article: nothing read before
        out.push(await scan());
      }
      return out;
    };
    const s = cold.summary;
    const fivePercent = s.thresholds.find((t) => Math.abs(t.targetFpr - 0.05) < 1e-9)?.threshold;
    const configs: Array<{ label: string; evidence: boolean; threshold: number | null }> = [
      { label: `default threshold ${s.defaultThreshold.toFixed(2)}, with evidence`, evidence: true, threshold: null },
      { label: `default threshold ${s.defaultThreshold.toFixed(2)}, no evidence`, evidence: false, threshold: null },
      ...(fivePercent === undefined
        ? []
        : [
            { label: `5%-FPR threshold ${fivePercent.toFixed(2)}, with evidence`, evidence: true, threshold: fivePercent },
            { label: `5%-FPR threshold ${fivePercent.toFixed(2)}, no evidence`, evidence: false, threshold: fivePercent },
          ]),
    ];
    const rows: string[] = [];
    for (const c of configs) {
      const runs = await warmRuns(c.evidence, c.threshold);
      const m = (f: (x: PageSummary) => number | undefined) => median(runs.map((r) => f(r.summary) ?? 0));
      // evidence is found after every sentence has its score: the model host times it within the same scan
      const share = runs.map((r) => (r.summary.evidenceMs ?? 0) / Math.max(1, (r.summary.doneMs ?? 0) - (r.summary.evidenceMs ?? 0)));
      rows.push(
        `  ${c.label}: first highlights ${m((x) => x.firstPaintMs)} ms, all highlights ${m((x) => x.ms)} ms, ` +
          `scan done ${m((x) => x.doneMs)} ms (runs: ${runs.map((r) => r.summary.doneMs).join(', ')} ms; model ${m((x) => x.modelMs)} ms); ` +
          `flagged ${runs.map((r) => r.summary.flagged).join('/')}` +
          (c.evidence
            ? `, evidence ${runs.map((r) => r.summary.evidenceMs ?? 0).join('/')} ms (median +${Math.round(100 * median(share))}% of the scan without it)`
            : ''),
      );
    }
    await setting({ evidence: true, threshold: null });
    const lines = [
      `ptd extension bench — ${session.label}, WASM, model ${built.modelName} (${s.model?.dtype}), ${s.model?.device}`,
      `articles: ${Math.min(...words)}–${Math.max(...words)} words, a new one for every scan (the first: ${s.sentences} sentences, ${s.skipped} not readable, ${s.windows} model windows) — ${source}`,
      `model load (first use):                   ${host.state.loadMs} ms`,
      `first scan incl. load, to all highlights:  ${cold.summary.ms} ms`,
      `warm scans, medians of ${args.runs}:`,
      ...rows,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await session.close();
    server.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:extension failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
