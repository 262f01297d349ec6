// Paints scored sentences with the CSS Custom Highlight API: ranges are registered in `CSS.highlights`, styled by
// `::highlight(name)` rules in a constructed style sheet. The page's DOM text and layout are never touched, and
// `clear()` removes everything ptd added.
import { allColourKeys, colourForKey, colourKey, scoreBand, type ColourScheme } from '../../model/palette.ts';

export interface PaintedSentence {
  /** Offsets in the page's extracted text (for summaries and hover lookup). */
  start: number;
  end: number;
  score: number;
  degree?: number;
  truncated?: boolean;
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
export function highlightApi(win: Window & typeof globalThis = window): { registry: HighlightRegistryLike; Highlight: HighlightCtor } | null {
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
  private sheet: CSSStyleSheet | null = null;
  private styleEl: HTMLStyleElement | null = null;
  private adopted = new Set<Document | ShadowRoot>();
  private names = new Set<string>();

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
        if (root !== this.doc && 'host' in root) out.add(root as ShadowRoot);
      }
    }
    return [...out];
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
    const api = highlightApi(this.doc.defaultView as Window & typeof globalThis);
    for (const name of this.names) api?.registry.delete(name);
    this.names.clear();
    for (const root of this.adopted) {
      root.adoptedStyleSheets = root.adoptedStyleSheets.filter((s) => s !== this.sheet);
    }
    this.adopted.clear();
    this.styleEl?.remove();
    this.styleEl = null;
  }

  private render(): void {
    const api = highlightApi(this.doc.defaultView as Window & typeof globalThis);
    if (!api) throw new Error('This browser lacks the CSS Custom Highlight API (Chrome 105+, Firefox 140+).');
    const byKey = new Map<string, Range[]>();
    const roots = new Set<Document | ShadowRoot>();
    for (const s of this.sentences) {
      const key = colourKey(s.score, this.threshold, s.degree);
      if (key === 'clear' || (!this.showBorderline && key.startsWith('borderline'))) continue;
      const list = byKey.get(key) ?? [];
      list.push(...s.ranges);
      byKey.set(key, list);
      for (const r of s.ranges) roots.add(r.startContainer.getRootNode() as Document | ShadowRoot);
    }
    for (const name of this.names) if (!byKey.has(name.slice(HIGHLIGHT_PREFIX.length))) api.registry.delete(name);
    this.names.clear();
    for (const [key, ranges] of byKey) {
      const name = `${HIGHLIGHT_PREFIX}${key}`;
      const h = new api.Highlight(...ranges);
      // stronger colours above fainter ones where ranges meet
      h.priority = key.startsWith('flagged') ? 2 : 1;
      api.registry.set(name, h);
      this.names.add(name);
    }
    this.installStyles(roots);
  }

  private installStyles(roots: Set<Document | ShadowRoot>): void {
    const css = highlightCss(this.threshold, this.scheme);
    roots.add(this.doc);
    const Sheet = (this.doc.defaultView as unknown as { CSSStyleSheet?: typeof CSSStyleSheet })?.CSSStyleSheet;
    if (!this.sheet && Sheet && 'replaceSync' in Sheet.prototype) {
      try {
        this.sheet = new Sheet();
      } catch {
        this.sheet = null;
      }
    }
    if (this.sheet) {
      this.sheet.replaceSync(css);
      for (const root of roots) {
        if (this.adopted.has(root)) continue;
        try {
          root.adoptedStyleSheets = [...root.adoptedStyleSheets, this.sheet];
          this.adopted.add(root);
        } catch {
          // a root that refuses the sheet keeps the default highlight colour
        }
      }
      return;
    }
    // No constructable style sheets: one <style> in <head> (adds no text to the page body).
    if (!this.styleEl) {
      this.styleEl = this.doc.createElement('style');
      this.styleEl.setAttribute('data-ptd-ui', '');
      (this.doc.head ?? this.doc.documentElement).append(this.styleEl);
    }
    this.styleEl.textContent = css;
  }
}
