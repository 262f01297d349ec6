// Paints scored sentences with the CSS Custom Highlight API: ranges are registered in `CSS.highlights`, styled by
// `::highlight(name)` rules in a constructed style sheet. The page's DOM text and layout are never touched, and
// `clear()` removes everything ptd added. Ranges in a same-origin iframe are registered in that frame's own
// registry and styled by a sheet of its own document (each window has its highlights and sheets).
import { allColourKeys, colourForKey, colourKey, scoreBand, type ColourScheme } from '../../ui/palette.ts';
import type { Evidence } from '../../model/types.ts';

export interface PaintedSentence {
  /** The sentence's index in the scan's result. */
  index: number;
  /** Offsets in the page's extracted text (for summaries and hover lookup). */
  start: number;
  end: number;
  score: number;
  degree?: number;
  truncated?: boolean;
  /** The words that drove the score, once known (flagged sentences). */
  evidence?: Evidence[];
  ranges: Range[];
}

export const HIGHLIGHT_PREFIX = 'ptd-';

interface HighlightRegistryLike {
  set(name: string, h: unknown): void;
  delete(name: string): boolean;
}
interface HighlightCtor {
  new (...ranges: AbstractRange[]): { add(r: AbstractRange): void; size: number; priority: number };
}

/** The page's highlight registry, or null where the API is missing (Firefox < 140, old Chrome). */
export function highlightApi(win: (Window & typeof globalThis) | null = window): { registry: HighlightRegistryLike; Highlight: HighlightCtor } | null {
  if (!win) return null;
  const css = (win as unknown as { CSS?: { highlights?: HighlightRegistryLike } }).CSS;
  const Highlight = (win as unknown as { Highlight?: HighlightCtor }).Highlight;
  if (!css?.highlights || !Highlight) return null;
  return { registry: css.highlights, Highlight };
}

/** CSS rules for every colour key at a threshold and scheme. */
export function highlightCss(threshold: number, scheme: ColourScheme): string {
  const rules: string[] = [];
  for (const key of allColourKeys()) {
    const c = colourForKey(key, threshold, scheme);
    if (!c) continue;
    const flagged = key.startsWith('flagged');
    rules.push(
      `::highlight(${HIGHLIGHT_PREFIX}${key}) { background-color: ${c.background}; color: inherit;` +
        (flagged ? ` text-decoration: underline 2px ${c.underline};` : ` text-decoration: underline dotted ${c.underline};`) +
        ' }',
    );
  }
  return rules.join('\n');
}

export class Painter {
  private sentences: PaintedSentence[] = [];
  /** Per document painted in: its style sheet (or <style> fallback), the roots that adopted it, the highlight names. */
  private docs = new Map<Document, { sheet: CSSStyleSheet | null; styleEl: HTMLStyleElement | null; adopted: Set<Document | ShadowRoot>; names: Set<string> }>();

  constructor(
    private readonly doc: Document,
    private threshold: number,
    private scheme: ColourScheme,
    private showBorderline = true,
  ) {}

  get count(): number {
    return this.sentences.length;
  }

  all(): readonly PaintedSentence[] {
    return this.sentences;
  }

  add(items: PaintedSentence[]): void {
    this.sentences.push(...items);
    this.render();
  }

  /** Replaces everything painted at once (a re-scan: no flicker, no stale sentence left). */
  replace(items: PaintedSentence[]): void {
    this.sentences = [...items];
    this.render();
  }

  /** Attaches evidence to painted sentences by index (it arrives after their scores). */
  setEvidence(byIndex: ReadonlyMap<number, Evidence[]>): void {
    for (const s of this.sentences) {
      const e = byIndex.get(s.index);
      if (e) s.evidence = e;
    }
  }

  setThreshold(threshold: number): void {
    this.threshold = threshold;
    this.render();
  }

  setScheme(scheme: ColourScheme): void {
    this.scheme = scheme;
    this.render();
  }

  setShowBorderline(show: boolean): void {
    this.showBorderline = show;
    this.render();
  }

  /** Number of flagged sentences and the highlight ranges painted for them. */
  counts(): { flagged: number; borderline: number; flaggedRanges: number } {
    let flagged = 0;
    let borderline = 0;
    let flaggedRanges = 0;
    for (const s of this.sentences) {
      const band = scoreBand(s.score, this.threshold);
      if (band === 'flagged') {
        flagged++;
        flaggedRanges += s.ranges.length;
      } else if (band === 'borderline') borderline++;
    }
    return { flagged, borderline, flaggedRanges };
  }

  /** Shadow roots that hold painted ranges (hit-testing must be told about them). */
  shadowRoots(): ShadowRoot[] {
    const out = new Set<ShadowRoot>();
    for (const s of this.sentences) {
      for (const r of s.ranges) {
        const root = r.startContainer.getRootNode();
        if ('host' in root) out.add(root as ShadowRoot);
      }
    }
    return [...out];
  }

  /** Documents of same-origin frames that hold painted ranges (hover is listened for there too). */
  frameDocuments(): Document[] {
    return [...this.docs.keys()].filter((d) => d !== this.doc);
  }

  /** The painted (flagged or borderline) sentence at a DOM point, for the hover card. */
  sentenceAt(node: Node, offset: number): PaintedSentence | null {
    for (const s of this.sentences) {
      const band = scoreBand(s.score, this.threshold);
      if (band === 'clear' || (band === 'borderline' && !this.showBorderline)) continue;
      for (const r of s.ranges) {
        try {
          if (r.startContainer.getRootNode() === node.getRootNode() && r.comparePoint(node, offset) === 0) return s;
        } catch {
          // the node moved or left the document: not this sentence
        }
      }
    }
    return null;
  }

  clear(): void {
    this.sentences = [];
    for (const [doc, d] of this.docs) {
      const api = highlightApi(doc.defaultView as (Window & typeof globalThis) | null);
      for (const name of d.names) api?.registry.delete(name);
      for (const root of d.adopted) {
        try {
          root.adoptedStyleSheets = root.adoptedStyleSheets.filter((sheet) => sheet !== d.sheet);
        } catch {
          // a frame that went away
        }
      }
      d.styleEl?.remove();
    }
    this.docs.clear();
  }

  private state(doc: Document) {
    let d = this.docs.get(doc);
    if (!d) this.docs.set(doc, (d = { sheet: null, styleEl: null, adopted: new Set(), names: new Set() }));
    return d;
  }

  private render(): void {
    const byDoc = new Map<Document, { keys: Map<string, Range[]>; roots: Set<Document | ShadowRoot> }>();
    byDoc.set(this.doc, { keys: new Map(), roots: new Set() });
    for (const s of this.sentences) {
      const key = colourKey(s.score, this.threshold, s.degree);
      if (key === 'clear' || (!this.showBorderline && key.startsWith('borderline'))) continue;
      for (const r of s.ranges) {
        const doc = r.startContainer.ownerDocument ?? this.doc;
        let entry = byDoc.get(doc);
        if (!entry) byDoc.set(doc, (entry = { keys: new Map(), roots: new Set() }));
        const list = entry.keys.get(key) ?? [];
        list.push(r);
        entry.keys.set(key, list);
        entry.roots.add(r.startContainer.getRootNode() as Document | ShadowRoot);
      }
    }
    for (const doc of this.docs.keys()) if (!byDoc.has(doc)) byDoc.set(doc, { keys: new Map(), roots: new Set() });
    for (const [doc, { keys, roots }] of byDoc) {
      const api = highlightApi(doc.defaultView as (Window & typeof globalThis) | null);
      if (!api) {
        if (doc === this.doc) throw new Error('This browser lacks the CSS Custom Highlight API (Chrome 105+, Firefox 140+).');
        continue;
      }
      const d = this.state(doc);
      for (const name of d.names) if (!keys.has(name.slice(HIGHLIGHT_PREFIX.length))) api.registry.delete(name);
      d.names.clear();
      for (const [key, ranges] of keys) {
        const name = `${HIGHLIGHT_PREFIX}${key}`;
        const h = new api.Highlight(...ranges);
        // stronger colours above fainter ones where ranges meet
        h.priority = key.startsWith('flagged') ? 2 : 1;
        api.registry.set(name, h);
        d.names.add(name);
      }
      this.installStyles(doc, roots);
    }
  }

  private installStyles(doc: Document, roots: Set<Document | ShadowRoot>): void {
    const d = this.state(doc);
    const css = highlightCss(this.threshold, this.scheme);
    roots.add(doc);
    // A constructed sheet can only be adopted by roots of the document whose window made it.
    const Sheet = (doc.defaultView as unknown as { CSSStyleSheet?: typeof CSSStyleSheet } | null)?.CSSStyleSheet;
    if (!d.sheet && Sheet && 'replaceSync' in Sheet.prototype) {
      try {
        d.sheet = new Sheet();
      } catch {
        d.sheet = null;
      }
    }
    if (d.sheet) {
      d.sheet.replaceSync(css);
      for (const root of roots) {
        if (d.adopted.has(root)) continue;
        try {
          root.adoptedStyleSheets = [...root.adoptedStyleSheets, d.sheet];
          d.adopted.add(root);
        } catch {
          // a root that refuses the sheet keeps the default highlight colour
        }
      }
      return;
    }
    // No constructable style sheets: one <style> in <head> (adds no text to the page body).
    if (!d.styleEl) {
      d.styleEl = doc.createElement('style');
      d.styleEl.setAttribute('data-ptd-ui', '');
      (doc.head ?? doc.documentElement).append(d.styleEl);
    }
    d.styleEl.textContent = css;
  }
}
