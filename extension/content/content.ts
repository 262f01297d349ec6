// The content script: thin. It reads the page's text, has it scored through the runtime's own windows (model/,
// progressively: the part on screen first) and paints sentences as their scores arrive. It never loads a model and
// never changes the page's text or layout.
import browser from 'webextension-polyfill';
import { sendToBackground } from '../shared/send.ts';
import { isColourScheme, type ColourScheme } from '../../ui/palette.ts';
import { skipReasonText } from '../../model/readable.ts';
import type { DetectionResult, Evidence, ModelInfo, SkipReason, Threshold } from '../../model/types.ts';
import {
  fail,
  isMessageFor,
  ok,
  type BackgroundRequest,
  type ContentRequest,
  type PageState,
  type PageSummary,
  type Reply,
  type ScanTrigger,
  type ScanUpdate,
  type ScoreReply,
} from '../shared/messages.ts';
import { loadSettings, type Settings } from '../shared/settings.ts';
import { countAt } from '../shared/summary.ts';
import { HoverCard } from './card.ts';
import { extractText, findMainRoot, isEditable, rangesFor, type Extraction, type LeftOut } from './extract.ts';
import { Painter, type PaintedSentence } from './highlight.ts';
import { mattersForRescan, SettlingTimer } from './rescan.ts';
import { visibleRange } from './viewport.ts';

const root = document.documentElement;

async function send<T extends object>(msg: BackgroundRequest): Promise<T> {
  const reply = (await sendToBackground(msg)) as Reply<T> | undefined;
  if (!reply) throw new Error('The extension did not answer (it may have been reloaded; reload the page).');
  if (!reply.ok) throw new Error(reply.error);
  return reply;
}

/** Why a page gave no text to score, in words for the popup. */
function whyEmpty(left: LeftOut): string {
  if (left.editable > 0) {
    return 'Its text is in text boxes or editors, which ptd reads only when asked: click into one and choose "Check this field with ptd" from the right-click menu, or select text and use "Check selection".';
  }
  if (left.crossOriginFrames > 0) return 'Its text is inside frames from another site, which ptd cannot read.';
  return 'ptd reads the paragraphs of the main content; this page has none (only menus, headings, images, code or nothing).';
}

type ScanKind = ScanTrigger | 'rescan' | 'selection' | 'field';

class PageController {
  private settings: Settings | null = null;
  private painter: Painter | null = null;
  private card = new HoverCard(document);
  private state: PageState = 'idle';
  private scanId = 0;
  /** The job of the scan in progress (asked for more until done), to cancel when superseded. */
  private job: string | null = null;
  private sentences = 0;
  private skipped = new Map<SkipReason, number>();
  private windows = 0;
  private windowsDone = 0;
  private ms: number | undefined;
  private firstPaintMs: number | undefined;
  private doneMs: number | undefined;
  private modelMs = 0;
  private evidenceMs: number | undefined;
  private model: ModelInfo | undefined;
  private mode: 'local' | 'api' | undefined;
  private thresholds: Threshold[] = [];
  private defaultThreshold = 0.5;
  private override: number | null | undefined; // set from the popup; undefined = use settings
  private trigger: PageSummary['trigger'];
  private error: string | undefined;
  private empty: string | undefined;
  private unreliable: string | undefined;
  /** Evidence was asked for in the last scan (a sentence flagged later by a lower threshold has none yet). */
  private evidenceAsked = false;
  /** The text and result of the last scan (re-scans compare the text; tests compare the result with `ptd score`). */
  private lastText = '';
  private lastResult: DetectionResult | undefined;
  private observer: MutationObserver | null = null;
  private timer = new SettlingTimer(() => void this.rescanIfChanged());
  private hoverFrame = 0;
  private hoverDocs = new WeakSet<Document>();

  constructor() {
    this.listenForHover(document);
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
    return this.explicitThreshold() ?? this.defaultThreshold;
  }

  /** The threshold the user chose (popup slider or options), if any; otherwise the model's default applies. */
  private explicitThreshold(): number | undefined {
    const t = this.override !== undefined ? this.override : this.settings?.threshold;
    return t ?? undefined;
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
    const painted = this.painter?.all() ?? [];
    const scores = painted.map((s) => s.score);
    const counts = countAt(scores, this.threshold);
    return {
      state: this.state,
      scored: scores.length,
      sentences: this.sentences,
      skipped: [...this.skipped.values()].reduce((a, b) => a + b, 0),
      skippedReasons: Object.fromEntries(this.skipped) as PageSummary['skippedReasons'],
      unreliable: this.unreliable,
      empty: this.empty,
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
      doneMs: this.doneMs,
      modelMs: this.modelMs,
      evidenceMs: this.evidenceMs,
      windows: this.windows,
      windowsDone: this.windowsDone,
      explained: painted.filter((s) => s.evidence !== undefined && s.score >= this.threshold).length,
      scores,
      trigger: this.trigger,
      error: this.error,
      flaggedRanges: this.painter?.counts().flaggedRanges ?? 0,
    };
  }

  pageText(): { text: string; result?: DetectionResult } {
    return { text: this.lastText, result: this.lastResult };
  }

  clear(): void {
    this.scanId++;
    this.cancelJob();
    this.stopObserving();
    this.painter?.clear();
    this.card.remove();
    this.reset();
    this.error = undefined;
    this.state = 'idle';
    root.removeAttribute('data-ptd-state');
    root.removeAttribute('data-ptd-flagged');
  }

  private reset(): void {
    this.sentences = 0;
    this.skipped.clear();
    this.windows = 0;
    this.windowsDone = 0;
    this.ms = undefined;
    this.firstPaintMs = undefined;
    this.doneMs = undefined;
    this.modelMs = 0;
    this.evidenceMs = undefined;
    this.empty = undefined;
    this.unreliable = undefined;
    this.lastResult = undefined;
  }

  /** Scans the page's main text (same-origin frames and form text included) and paints it as scores arrive. */
  async scan(trigger: ScanTrigger | 'rescan'): Promise<PageSummary> {
    const ex = extractText(findMainRoot(document));
    // A re-scan paints all at once when done (no flicker, the old marks stay until then); a scan paints as it goes.
    return this.run(trigger, ex, {
      progressive: trigger !== 'rescan',
      priority: trigger === 'rescan' ? null : visibleRange(ex, window),
      observe: true,
    });
  }

  /** Scores the selected text and paints its sentences (the context menu and the selection command). */
  async scanSelection(): Promise<PageSummary> {
    const field = textBox(deepActiveElement(document));
    if (field && field.selectionEnd !== null && field.selectionStart !== null && field.selectionEnd > field.selectionStart) {
      return this.scanTextBox(field, field.value.slice(field.selectionStart, field.selectionEnd), 'selection');
    }
    const selection = selectionIn(document);
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) throw new Error('Select some text first.');
    const range = selection.getRangeAt(0);
    let container: Node = range.commonAncestorContainer;
    if (container.nodeType !== 1) container = container.parentNode ?? document.body;
    const ex = extractText(container, { within: range, editable: true });
    if (!ex.text.trim()) throw new Error('The selection holds no readable text.');
    const summary = await this.run('selection', ex, { progressive: false, priority: null, observe: false });
    const rect = range.getBoundingClientRect();
    this.report(rect.left, rect.bottom + 8, 'selected');
    return summary;
  }

  /** Scores the focused text box or editor ("Check this field with ptd"). */
  async scanField(): Promise<PageSummary> {
    const active = deepActiveElement(document);
    const box = textBox(active);
    if (box) return this.scanTextBox(box, box.value, 'field');
    let editor: Element | null = active;
    while (editor?.parentElement && isEditable(editor.parentElement)) editor = editor.parentElement;
    if (!editor || !isEditable(editor)) throw new Error('Click into a text box or an editor first, then choose "Check this field with ptd".');
    const ex = extractText(editor, { editable: true });
    if (!ex.text.trim()) throw new Error('This field is empty.');
    const summary = await this.run('field', ex, { progressive: false, priority: null, observe: false });
    const rect = editor.getBoundingClientRect();
    this.report(rect.left, rect.bottom + 8, 'in this field');
    return summary;
  }

  /** A textarea or text input has no text nodes to paint: its results are shown in a card next to it. */
  private async scanTextBox(box: HTMLTextAreaElement | HTMLInputElement, text: string, kind: 'selection' | 'field'): Promise<PageSummary> {
    if (!text.trim()) throw new Error(kind === 'field' ? 'This field is empty.' : 'Select some text first.');
    const ex: Extraction = { text, runs: [], left: { editable: 0, crossOriginFrames: 0 } };
    const summary = await this.run(kind, ex, { progressive: false, priority: null, observe: false });
    const rect = box.getBoundingClientRect();
    const frame = box.ownerDocument.defaultView?.frameElement?.getBoundingClientRect();
    this.report((frame?.left ?? 0) + rect.left, (frame?.top ?? 0) + rect.bottom + 8, kind === 'field' ? 'in this field' : 'selected', true);
    return summary;
  }

  /** The result of a selection or field check, in a card: counts, and for a text box its flagged sentences. */
  private report(x: number, y: number, where: string, listFlagged = false): void {
    const s = this.summary();
    if (s.state !== 'done' || !this.lastResult) return;
    const r = this.lastResult;
    const lines = [`ptd: ${s.flagged} of ${s.scored} sentences ${where} likely paraphrased`];
    if (s.skipped) lines.push(...skippedLines(this.skipped));
    lines.push(r.reliable ? `Highest score ${Math.round(r.score * 100)}%` : `Not reliable: ${skipReasonText(r.reason ?? 'too-short')}.`);
    if (listFlagged) {
      for (const p of (this.painter?.all() ?? []).filter((p) => p.score >= this.threshold).slice(0, 4)) {
        const text = this.lastText.slice(p.start, p.end);
        const words = p.evidence?.length ? ` — ${p.evidence.map((e) => `“${e.text}”`).join(', ')}` : '';
        lines.push(`${Math.round(p.score * 100)}%: ${text.length > 70 ? `${text.slice(0, 69)}…` : text}${words}`);
      }
    }
    lines.push(`Model ${r.model.name} ${r.model.version} on ${r.model.device}`);
    this.card.message(x, y, lines);
    setTimeout(() => this.card.hide(), listFlagged ? 12_000 : 6000);
  }

  /** A short message on the page (a failed context-menu or shortcut action). */
  notice(text: string): void {
    this.card.message(Math.max(8, window.innerWidth - 340), 12, ['ptd', text]);
    setTimeout(() => this.card.hide(), 6000);
  }

  /** Extract → score through the runtime's windows (progressively) → paint; the one path of every scan. */
  private async run(
    trigger: ScanKind,
    ex: Extraction,
    how: { progressive: boolean; priority: { start: number; end: number } | null; observe: boolean },
  ): Promise<PageSummary> {
    const id = ++this.scanId;
    this.cancelJob();
    this.stopObserving();
    // Watched from the start: text that arrives during the scan is re-scanned after it.
    if (how.observe) this.observe();
    const painter = await this.ensurePainter();
    this.settings = await loadSettings();
    if (trigger !== 'rescan') this.trigger = trigger;
    const started = performance.now();
    this.setState('scanning');
    this.error = undefined;
    this.card.hide();
    if (how.progressive) painter.clear();
    this.reset();
    this.lastText = ex.text;
    this.publishCounts();
    if (!ex.text.trim()) {
      painter.clear();
      this.empty = whyEmpty(ex.left);
      this.setState('done');
      return this.summary();
    }
    const collected: PaintedSentence[] = [];
    this.evidenceAsked = this.settings.evidence;
    const explicit = this.explicitThreshold();
    try {
      let reply = await send<ScoreReply>({
        target: 'background',
        type: 'score-start',
        text: ex.text,
        ...(how.priority ? { priority: how.priority } : {}),
        ...(explicit === undefined ? {} : { threshold: explicit }),
        evidence: this.settings.evidence,
      });
      this.job = reply.job;
      this.mode = reply.mode;
      if (reply.thresholds.length) this.thresholds = reply.thresholds;
      if (reply.defaultThreshold !== undefined) this.defaultThreshold = reply.defaultThreshold;
      for (;;) {
        if (id !== this.scanId) return this.summary(); // superseded by a newer scan or a clear (the job is cancelled)
        const items = this.take(ex, reply.update);
        if (how.progressive && items.length) {
          painter.add(items);
          this.firstPaintMs ??= Math.round(performance.now() - started);
          this.publishCounts();
        } else collected.push(...items);
        // every sentence painted (evidence, when asked for, comes after)
        if (how.progressive && reply.update.windowsDone === reply.update.windows) this.ms ??= Math.round(performance.now() - started);
        const result = reply.update.result;
        if (result) {
          if (!how.progressive) {
            painter.replace(collected);
            this.firstPaintMs = Math.round(performance.now() - started);
          }
          this.ms ??= Math.round(performance.now() - started);
          this.finish(result, explicit === undefined);
          break;
        }
        if (!reply.job) throw new Error('the model host ended the scan without a result');
        reply = await send<ScoreReply>({ target: 'background', type: 'score-next', job: reply.job });
        this.job = reply.job;
      }
      this.job = null;
      this.doneMs = Math.round(performance.now() - started);
      this.setState('done');
      this.publishCounts();
    } catch (err) {
      if (id !== this.scanId) return this.summary();
      this.job = null;
      this.fail(err);
    }
    return this.summary();
  }

  /** Sentences of an update: the scored ones as painted records, the skipped ones counted by reason. */
  private take(ex: Extraction, update: ScanUpdate): PaintedSentence[] {
    this.modelMs = update.ms;
    if (update.evidenceMs !== undefined) this.evidenceMs = update.evidenceMs;
    this.windows = update.windows;
    this.windowsDone = update.windowsDone;
    const items: PaintedSentence[] = [];
    for (const s of update.sentences) {
      this.sentences++;
      if (s.score === null) {
        this.skipped.set(s.skipped, (this.skipped.get(s.skipped) ?? 0) + 1);
        continue;
      }
      items.push({
        index: s.index,
        start: s.start,
        end: s.end,
        score: s.score,
        degree: s.degree,
        truncated: s.truncated,
        ranges: rangesFor(ex, s.start, s.end),
      });
    }
    return items;
  }

  private finish(result: DetectionResult, modelDefault: boolean): void {
    this.lastResult = result;
    this.model = result.model;
    // No threshold sent: the result's threshold is the model's default (API mode learns it this way).
    if (modelDefault && this.defaultThreshold !== result.threshold) this.defaultThreshold = result.threshold;
    this.painter?.setThreshold(this.threshold);
    const evidence = new Map<number, Evidence[]>();
    for (const s of result.sentences) if (s.evidence) evidence.set(s.index, s.evidence);
    this.painter?.setEvidence(evidence);
    this.unreliable = result.reliable ? undefined : skipReasonText(result.reason ?? 'too-short');
  }

  private cancelJob(): void {
    if (!this.job) return;
    void send({ target: 'background', type: 'score-cancel', job: this.job }).catch(() => undefined);
    this.job = null;
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

  private observe(): void {
    this.observer = new MutationObserver((records) => {
      if (mattersForRescan(records, root)) this.timer.poke();
    });
    this.observer.observe(document.body ?? root, {
      childList: true,
      subtree: true,
      characterData: true,
      characterDataOldValue: true,
      attributes: true,
      attributeFilter: ['hidden', 'class', 'style', 'aria-hidden'],
    });
  }

  private stopObserving(): void {
    this.observer?.disconnect();
    this.observer = null;
    this.timer.cancel();
  }

  /** Re-scans when the readable text changed (new comments, infinite scroll, an SPA swapping its content). */
  private async rescanIfChanged(): Promise<void> {
    if (this.state === 'scanning') {
      this.timer.poke(); // a scan is still running: look again once it is done
      return;
    }
    if (this.state !== 'done' || this.trigger === 'selection' || this.trigger === 'field') return;
    if (extractText(findMainRoot(document)).text !== this.lastText) await this.scan('rescan');
  }

  private listenForHover(doc: Document): void {
    if (this.hoverDocs.has(doc)) return;
    this.hoverDocs.add(doc);
    doc.addEventListener('mousemove', (e) => this.onMouseMove(e, doc), { passive: true, capture: true });
  }

  private onMouseMove(e: MouseEvent, doc: Document): void {
    if (!this.painter || this.painter.count === 0) return;
    for (const d of this.painter.frameDocuments()) this.listenForHover(d);
    cancelAnimationFrame(this.hoverFrame);
    this.hoverFrame = requestAnimationFrame(() => {
      const pos = caretAt(doc, e.clientX, e.clientY, this.painter?.shadowRoots() ?? []);
      const hit = pos && this.painter?.sentenceAt(pos.node, pos.offset);
      if (!hit) {
        this.card.hide();
        return;
      }
      // a frame's coordinates are its own: move them into the top document's
      const frame = doc === document ? undefined : doc.defaultView?.frameElement?.getBoundingClientRect();
      const extra = hit.score >= this.threshold && hit.evidence === undefined && this.evidenceAsked ? ['Re-scan to see which words drove this score.'] : [];
      this.card.show(e.clientX + (frame?.left ?? 0), e.clientY + (frame?.top ?? 0), hit, this.threshold, this.settings?.scheme ?? 'standard', this.model, extra);
    });
  }
}

function skippedLines(skipped: ReadonlyMap<SkipReason, number>): string[] {
  return [...skipped].map(([why, n]) => `${n} sentence${n === 1 ? '' : 's'} ${skipReasonText(why)}`);
}

/** The focused element, through open shadow roots and same-origin frames. */
function deepActiveElement(doc: Document): Element | null {
  let el: Element | null = doc.activeElement;
  for (;;) {
    if (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    else if (el && (el.tagName === 'IFRAME' || el.tagName === 'FRAME')) {
      let inner: Document | null = null;
      try {
        inner = (el as HTMLIFrameElement).contentDocument;
      } catch {
        inner = null;
      }
      if (!inner?.activeElement) return el;
      el = inner.activeElement;
    } else return el;
  }
}

/** The selection of the document, or of the same-origin frame that holds the focus. */
function selectionIn(doc: Document): Selection | null {
  const active = deepActiveElement(doc);
  const own = active?.ownerDocument ?? doc;
  return own.getSelection?.() ?? doc.getSelection();
}

function textBox(el: Element | null): HTMLTextAreaElement | HTMLInputElement | null {
  if (!el) return null;
  if (el.tagName === 'TEXTAREA') return el as HTMLTextAreaElement;
  if (el.tagName === 'INPUT' && ['text', 'search', ''].includes((el as HTMLInputElement).type)) return el as HTMLInputElement;
  return null;
}

function caretAt(doc: Document, x: number, y: number, shadowRoots: ShadowRoot[]): { node: Node; offset: number } | null {
  const d = doc as Document & {
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
    case 'scan-field':
      return ok({ summary: await controller.scanField() });
    case 'notice':
      controller.notice(msg.text);
      return ok();
    case 'page-text':
      return ok(controller.pageText());
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
