// The content script: thin. It reads the page's main text, asks the background to score it chunk by chunk, and
// paints results as they arrive. It never loads a model and never changes the page's text or layout.
import browser from 'webextension-polyfill';
import { sendToBackground } from '../shared/send.ts';
import { isColourScheme, type ColourScheme } from '../../model/palette.ts';
import type { DetectionResult, ModelInfo, Threshold } from '../../model/types.ts';
import {
  fail,
  isMessageFor,
  ok,
  type BackgroundRequest,
  type ChunkResult,
  type ContentRequest,
  type PageState,
  type PageSummary,
  type Reply,
  type ScanTrigger,
} from '../shared/messages.ts';
import { loadSettings, type Settings } from '../shared/settings.ts';
import { countAt } from '../shared/summary.ts';
import { HoverCard } from './card.ts';
import { chunkText, extractText, findMainRoot, rangesFor, UI_ATTRIBUTE, type Extraction } from './extract.ts';
import { Painter, type PaintedSentence } from './highlight.ts';

/** Characters per scoring request: small enough to paint the first results quickly, big enough for context. */
const CHUNK_CHARS = 3000;
/** Wait this long after the page changes before re-scanning it. */
const RESCAN_DELAY_MS = 2000;

const root = document.documentElement;

async function send<T extends object>(msg: BackgroundRequest): Promise<T> {
  const reply = (await sendToBackground(msg)) as Reply<T> | undefined;
  if (!reply) throw new Error('The extension did not answer (it may have been reloaded; reload the page).');
  if (!reply.ok) throw new Error(reply.error);
  return reply;
}

class PageController {
  private settings: Settings | null = null;
  private painter: Painter | null = null;
  private card = new HoverCard(document);
  private state: PageState = 'idle';
  private scanId = 0;
  private sentences = 0;
  private chunks = 0;
  private chunksDone = 0;
  private ms: number | undefined;
  private firstPaintMs: number | undefined;
  private modelMs = 0;
  private model: ModelInfo | undefined;
  private mode: 'local' | 'api' | undefined;
  private thresholds: Threshold[] = [];
  private defaultThreshold = 0.5;
  private override: number | null | undefined; // set from the popup; undefined = use settings
  private trigger: PageSummary['trigger'];
  private error: string | undefined;
  /** Chunk text → result, so a re-scan of a changed page only scores what is new. */
  private cache = new Map<string, DetectionResult>();
  private observer: MutationObserver | null = null;
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private hoverFrame = 0;

  constructor() {
    document.addEventListener('mousemove', this.onMouseMove, { passive: true, capture: true });
    window.addEventListener('scroll', () => this.card.hide(), { passive: true, capture: true });
    browser.storage.onChanged.addListener((changes, area) => {
      if (area !== 'local') return;
      void loadSettings().then((s) => {
        this.settings = s;
        if (changes.scheme && isColourScheme(s.scheme)) this.painter?.setScheme(s.scheme);
        if (changes.showBorderline) this.painter?.setShowBorderline(s.showBorderline);
        if (changes.threshold && this.override === undefined) this.applyThreshold();
      });
    });
  }

  get threshold(): number {
    const t = this.override !== undefined ? this.override : this.settings?.threshold;
    return t ?? this.defaultThreshold;
  }

  private async ensurePainter(): Promise<Painter> {
    this.settings ??= await loadSettings();
    this.painter ??= new Painter(document, this.threshold, this.settings.scheme, this.settings.showBorderline);
    return this.painter;
  }

  private setState(state: PageState): void {
    this.state = state;
    root.setAttribute('data-ptd-state', state);
  }

  private publishCounts(): void {
    const counts = this.painter?.counts();
    root.setAttribute('data-ptd-flagged', String(counts?.flagged ?? 0));
  }

  summary(): PageSummary {
    const scores = (this.painter?.all() ?? []).map((s) => s.score);
    const counts = countAt(scores, this.threshold);
    return {
      state: this.state,
      scored: scores.length,
      sentences: this.sentences,
      flagged: counts.flagged,
      borderline: counts.borderline,
      paraphrasedFraction: counts.paraphrasedFraction,
      threshold: this.threshold,
      thresholds: this.thresholds,
      defaultThreshold: this.defaultThreshold,
      model: this.model,
      mode: this.mode,
      ms: this.ms,
      firstPaintMs: this.firstPaintMs,
      modelMs: this.modelMs,
      chunks: this.chunks,
      chunksDone: this.chunksDone,
      scores,
      trigger: this.trigger,
      error: this.error,
      flaggedRanges: this.painter?.counts().flaggedRanges ?? 0,
    };
  }

  clear(): void {
    this.scanId++;
    this.stopObserving();
    this.painter?.clear();
    this.card.remove();
    this.sentences = 0;
    this.chunks = 0;
    this.chunksDone = 0;
    this.ms = undefined;
    this.modelMs = 0;
    this.error = undefined;
    this.state = 'idle';
    root.removeAttribute('data-ptd-state');
    root.removeAttribute('data-ptd-flagged');
  }

  /** Scans the page's main text: extract → chunks → score each → paint each as it arrives. */
  async scan(trigger: ScanTrigger | 'rescan'): Promise<PageSummary> {
    const id = ++this.scanId;
    this.stopObserving();
    const painter = await this.ensurePainter();
    this.settings = await loadSettings();
    this.trigger = trigger === 'rescan' ? this.trigger : trigger;
    const started = performance.now();
    this.setState('scanning');
    this.error = undefined;
    const mainRoot = findMainRoot(document);
    const ex = extractText(mainRoot);
    const chunks = chunkText(ex.text, CHUNK_CHARS);
    painter.clear();
    this.card.hide();
    this.chunks = chunks.length;
    this.chunksDone = 0;
    this.sentences = 0;
    this.modelMs = 0;
    this.ms = undefined;
    this.firstPaintMs = undefined;
    this.publishCounts();
    try {
      for (const chunk of chunks) {
        const text = ex.text.slice(chunk.start, chunk.end);
        const result = await this.scoreChunk(text);
        if (id !== this.scanId) return this.summary(); // superseded by a newer scan or a clear
        this.paintResult(ex, chunk.start, result);
        if (this.chunksDone === 0) this.firstPaintMs = Math.round(performance.now() - started);
        this.chunksDone++;
        this.publishCounts();
      }
      this.ms = Math.round(performance.now() - started);
      this.setState('done');
      this.observe(mainRoot, ex.text.length);
    } catch (err) {
      if (id !== this.scanId) return this.summary();
      this.fail(err);
    }
    return this.summary();
  }

  /** Scores the selected text and paints its sentences (the context menu and the selection command). */
  async scanSelection(): Promise<PageSummary> {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) throw new Error('Select some text first.');
    const range = selection.getRangeAt(0);
    const id = ++this.scanId;
    this.stopObserving();
    const painter = await this.ensurePainter();
    this.settings = await loadSettings();
    this.trigger = 'selection';
    const started = performance.now();
    this.setState('scanning');
    painter.clear();
    let container: Node = range.commonAncestorContainer;
    if (container.nodeType !== 1) container = container.parentNode ?? document.body;
    const ex = extractText(container, { within: range });
    if (!ex.text.trim()) {
      this.fail(new Error('The selection holds no readable text.'));
      return this.summary();
    }
    this.chunks = 1;
    this.chunksDone = 0;
    this.sentences = 0;
    this.modelMs = 0;
    this.firstPaintMs = undefined;
    try {
      const result = await this.scoreChunk(ex.text);
      if (id !== this.scanId) return this.summary();
      this.paintResult(ex, 0, result);
      this.chunksDone = 1;
      this.ms = Math.round(performance.now() - started);
      this.setState('done');
      this.publishCounts();
      const s = this.summary();
      const rect = range.getBoundingClientRect();
      this.card.message(rect.left, rect.bottom + 8, [
        `ptd: ${s.flagged} of ${s.scored} selected sentences likely paraphrased`,
        result.reliable ? `Highest score ${Math.round(result.score * 100)}%` : 'Too short to judge reliably (under 2 sentences or 30 words).',
        `Model ${result.model.name} ${result.model.version} on ${result.model.device}`,
      ]);
      setTimeout(() => this.card.hide(), 6000);
    } catch (err) {
      if (id !== this.scanId) return this.summary();
      this.fail(err);
    }
    return this.summary();
  }

  setThreshold(threshold: number | null): PageSummary {
    this.override = threshold;
    this.applyThreshold();
    return this.summary();
  }

  setScheme(scheme: ColourScheme): void {
    this.painter?.setScheme(scheme);
  }

  private applyThreshold(): void {
    this.painter?.setThreshold(this.threshold);
    if (this.state !== 'idle') this.publishCounts();
  }

  private fail(err: unknown): void {
    this.error = err instanceof Error ? err.message : String(err);
    this.setState('error');
    this.publishCounts();
    console.warn('[ptd]', this.error);
  }

  private async scoreChunk(text: string): Promise<DetectionResult> {
    const cached = this.cache.get(text);
    if (cached) return cached;
    const reply = await send<ChunkResult>({ target: 'background', type: 'score', text });
    this.modelMs += reply.ms;
    this.mode = reply.mode;
    const r = reply.result;
    this.model = r.model;
    if (this.thresholds.length === 0 || this.defaultThreshold !== r.threshold) {
      // The result's threshold is the model's default (no threshold is sent): labels are re-made here.
      this.defaultThreshold = r.threshold;
      this.thresholds = reply.thresholds;
      this.painter?.setThreshold(this.threshold);
    }
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(text, r);
    return r;
  }

  private paintResult(ex: Extraction, offset: number, result: DetectionResult): void {
    const items: PaintedSentence[] = result.sentences.flatMap((s) => (s.score === null ? [] : [{
      start: offset + s.start,
      end: offset + s.end,
      score: s.score,
      degree: s.degree,
      truncated: s.truncated,
      ranges: rangesFor(ex, offset + s.start, offset + s.end),
    }]));
    this.sentences += items.length;
    this.painter!.add(items);
  }

  private observe(target: Element, length: number): void {
    this.observer = new MutationObserver((records) => {
      const ours = records.every((r) => (r.target as Element).closest?.(`[${UI_ATTRIBUTE}]`) || r.target === root);
      if (ours) return;
      clearTimeout(this.rescanTimer);
      this.rescanTimer = setTimeout(() => {
        // Re-scan only when the readable text actually changed (new comments, infinite scroll, SPA navigation).
        const now = extractText(findMainRoot(document)).text.length;
        if (now !== length && this.state === 'done') void this.scan('rescan');
      }, RESCAN_DELAY_MS);
    });
    this.observer.observe(document.body ?? target, { childList: true, subtree: true, characterData: true });
  }

  private stopObserving(): void {
    this.observer?.disconnect();
    this.observer = null;
    clearTimeout(this.rescanTimer);
  }

  private onMouseMove = (e: MouseEvent): void => {
    if (!this.painter || this.painter.count === 0) return;
    cancelAnimationFrame(this.hoverFrame);
    this.hoverFrame = requestAnimationFrame(() => {
      const pos = caretAt(e.clientX, e.clientY, this.painter?.shadowRoots() ?? []);
      const hit = pos && this.painter?.sentenceAt(pos.node, pos.offset);
      if (hit) this.card.show(e.clientX, e.clientY, hit, this.threshold, this.settings?.scheme ?? 'standard', this.model);
      else this.card.hide();
    });
  };
}

function caretAt(x: number, y: number, shadowRoots: ShadowRoot[]): { node: Node; offset: number } | null {
  const d = document as Document & {
    caretPositionFromPoint?: (x: number, y: number, o?: unknown) => { offsetNode: Node; offset: number } | null;
    caretRangeFromPoint?: (x: number, y: number) => Range | null;
  };
  if (d.caretPositionFromPoint) {
    const p = d.caretPositionFromPoint(x, y, { shadowRoots });
    return p ? { node: p.offsetNode, offset: p.offset } : null;
  }
  const r = d.caretRangeFromPoint?.(x, y);
  return r ? { node: r.startContainer, offset: r.startOffset } : null;
}

async function handle(msg: ContentRequest, controller: PageController): Promise<Reply<object>> {
  switch (msg.type) {
    case 'ping':
      return ok({ state: controller.summary().state });
    case 'scan':
      return ok({ summary: await controller.scan(msg.trigger) });
    case 'scan-selection':
      return ok({ summary: await controller.scanSelection() });
    case 'clear':
      controller.clear();
      return ok({ summary: controller.summary() });
    case 'set-threshold':
      return ok({ summary: controller.setThreshold(msg.threshold) });
    case 'set-scheme':
      if (isColourScheme(msg.scheme)) controller.setScheme(msg.scheme);
      return ok({ summary: controller.summary() });
    case 'summary':
      return ok({ summary: controller.summary() });
    default:
      console.warn('[ptd] content: unknown message', msg);
      return fail(`unknown message type ${(msg as { type: string }).type}`);
  }
}

// Injected on demand (toolbar click, command, context menu) and possibly several times: set up once per page.
const w = window as Window & { __ptdContent?: PageController };
if (!w.__ptdContent) {
  const controller = new PageController();
  w.__ptdContent = controller;
  browser.runtime.onMessage.addListener((msg: unknown) => {
    if (!isMessageFor(msg, 'content')) return undefined;
    return handle(msg, controller).catch((err: unknown) => fail(err));
  });
  // Registered for auto-scan sites (Options): scan once the page is idle.
  void loadSettings().then((s) => {
    if (s.autoScanSites.includes(location.origin) && controller.summary().state === 'idle') void controller.scan('auto');
  });
}
