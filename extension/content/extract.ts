// DOM → text, with a map from every character of the text back to the Text node (and offset) it came from.
// Reads the page; never changes it. Pure functions of the DOM they are given (unit-tested under happy-dom).
//
// - Block elements (p, li, blockquote, div, td, …) are separated by a blank line, which the segmenter treats as a
//   paragraph break, so a sentence never runs from one paragraph, list item or cell into the next.
// - Headings are context breaks: their text is not scored, but they end the paragraph before them.
// - Skipped: scripts/styles, navigation and page chrome (nav, header, footer, aside, menus), form controls (inputs,
//   buttons, labels; the text around them in a <form> is read), editable elements (read only when asked for: a
//   selection or a field check), code blocks, hidden elements (`hidden`, `aria-hidden`, display:none,
//   visibility:hidden), cross-origin frames, and ptd's own UI. What was left out for these reasons is counted, so
//   that a page with nothing readable can say why.
// - Open shadow roots are read in place of their host's light children (slots read their assigned nodes); the
//   document of a same-origin iframe in place of the iframe.
// - White space is collapsed as a browser renders it; <br> becomes a line break.

export interface TextRun {
  /** Offset in the extracted text. */
  start: number;
  length: number;
  node: Text;
  /** Offset in `node.data` of the run's first character. */
  offset: number;
}

export interface Extraction {
  text: string;
  /** Sorted by `start`, non-overlapping. Characters not covered (paragraph breaks) map to no node. */
  runs: TextRun[];
  /** What was not read, and why (for "nothing readable on this page"). */
  left: LeftOut;
}

export interface LeftOut {
  /** Characters in editors (contenteditable) and text boxes (textarea, text inputs), read only on request. */
  editable: number;
  /** Frames from another origin, which a page script cannot read. */
  crossOriginFrames: number;
}

export interface ExtractOptions {
  /** Only text inside this range (a selection) is taken. */
  within?: Range;
  /** Read contenteditable elements too (a selection in an editor, "check this field"). */
  editable?: boolean;
  /** Skip hidden elements using computed style (default true; tests of raw structure can turn it off). */
  checkStyle?: boolean;
}

const SKIP_TAGS = new Set([
  'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'OBJECT', 'EMBED', 'SVG', 'CANVAS', 'VIDEO', 'AUDIO', 'IMG', 'PICTURE',
  'MATH', 'NAV', 'HEADER', 'FOOTER', 'ASIDE', 'MENU', 'BUTTON', 'SELECT', 'OPTION', 'TEXTAREA', 'INPUT', 'LABEL', 'PRE',
  'DIALOG', 'HEAD', 'TITLE', 'META', 'LINK',
]);
const FRAMES = new Set(['IFRAME', 'FRAME']);
const TEXT_INPUTS = new Set(['', 'text', 'search']);
const SKIP_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'menu', 'menubar', 'toolbar', 'dialog', 'alert', 'search', 'tablist']);
const HEADINGS = new Set(['H1', 'H2', 'H3', 'H4', 'H5', 'H6']);
const BLOCKS = new Set([
  'ADDRESS', 'ARTICLE', 'BLOCKQUOTE', 'BODY', 'CAPTION', 'CENTER', 'DD', 'DETAILS', 'DIV', 'DL', 'DT', 'FIELDSET',
  'FIGCAPTION', 'FIGURE', 'HGROUP', 'HR', 'HTML', 'LI', 'MAIN', 'OL', 'P', 'SECTION', 'SUMMARY', 'TABLE', 'TBODY',
  'TD', 'TFOOT', 'TH', 'THEAD', 'TR', 'UL',
]);

/** Marks ptd's own elements (hover card host): never read. */
export const UI_ATTRIBUTE = 'data-ptd-ui';

type Pending = 0 | 1 | 2 | 3; // none, space, line break, paragraph break

/** An element whose content the user edits (contenteditable, or an editor root such as role=textbox). */
export function isEditable(el: Element): boolean {
  const ce = el.getAttribute('contenteditable');
  return ce !== null && ce !== 'false';
}

function isHidden(el: Element, checkStyle: boolean): boolean {
  if (el.hasAttribute('hidden') || el.getAttribute('aria-hidden') === 'true' || el.hasAttribute(UI_ATTRIBUTE)) return true;
  if (el.hasAttribute('inert')) return true;
  const role = el.getAttribute('role');
  if (role && SKIP_ROLES.has(role)) return true;
  if (!checkStyle) return false;
  const view = el.ownerDocument?.defaultView;
  if (!view) return false;
  const style = view.getComputedStyle(el);
  return style.display === 'none' || style.visibility === 'hidden' || style.visibility === 'collapse';
}

/** Extracts readable text under `root` (an element, a document or a shadow root). */
export function extractText(root: Node, options: ExtractOptions = {}): Extraction {
  const checkStyle = options.checkStyle ?? true;
  const within = options.within;
  let text = '';
  const runs: TextRun[] = [];
  const left: LeftOut = { editable: 0, crossOriginFrames: 0 };
  let pending: Pending = 0;
  let spaceAt: { node: Text; offset: number } | null = null;

  const emitChar = (ch: string, node: Text | null, offset: number): void => {
    const last = runs[runs.length - 1];
    if (node && last && last.node === node && last.offset + last.length === offset && last.start + last.length === text.length) {
      last.length += 1;
    } else if (node) {
      runs.push({ start: text.length, length: 1, node, offset });
    }
    text += ch;
  };

  const flush = (): void => {
    if (text.length > 0) {
      if (pending === 3) text += '\n\n';
      else if (pending === 2) text += '\n';
      else if (pending === 1) {
        if (spaceAt) emitChar(' ', spaceAt.node, spaceAt.offset);
        else text += ' ';
      }
    }
    pending = 0;
    spaceAt = null;
  };

  const brk = (p: Pending): void => {
    if (p > pending) {
      pending = p;
      if (p > 1) spaceAt = null;
    }
  };

  const readText = (node: Text): void => {
    const data = node.data;
    let from = 0;
    let to = data.length;
    if (within) {
      if (!within.intersectsNode(node)) return;
      if (within.startContainer === node) from = within.startOffset;
      if (within.endContainer === node) to = within.endOffset;
    }
    for (let i = from; i < to; i++) {
      const ch = data[i]!;
      if (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f') {
        if (pending === 0) {
          pending = 1;
          spaceAt = { node, offset: i };
        }
        continue;
      }
      // U+00A0 (no-break space) renders as a space but is not collapsed; keep it as a plain space.
      flush();
      emitChar(ch === '\u00a0' ? ' ' : ch, node, i);
    }
  };

  const visitChildren = (parent: Node): void => {
    for (let child = parent.firstChild; child; child = child.nextSibling) visit(child);
  };

  const visit = (node: Node): void => {
    if (node.nodeType === 3) {
      readText(node as Text);
      return;
    }
    if (node.nodeType !== 1 && node.nodeType !== 11 && node.nodeType !== 9) return;
    if (node.nodeType !== 1) {
      visitChildren(node);
      return;
    }
    const el = node as Element;
    const tag = el.tagName.toUpperCase();
    if (tag === 'TEXTAREA' || (tag === 'INPUT' && TEXT_INPUTS.has((el as HTMLInputElement).type ?? ''))) {
      left.editable += (el as HTMLTextAreaElement).value?.length ?? 0;
      return;
    }
    if (SKIP_TAGS.has(tag) || isHidden(el, checkStyle)) return;
    if (within && !within.intersectsNode(el)) return;
    if (!options.editable && isEditable(el)) {
      left.editable += el.textContent?.length ?? 0;
      return;
    }
    if (FRAMES.has(tag)) {
      // A same-origin frame's document is read in its place (a script of another origin cannot read it).
      let inner: Document | null = null;
      try {
        inner = (el as HTMLIFrameElement).contentDocument;
      } catch {
        inner = null;
      }
      if (!inner?.body) left.crossOriginFrames++;
      else if (!within) {
        brk(3);
        visit(findMainRoot(inner));
        brk(3);
      }
      return;
    }
    if (tag === 'BR') {
      brk(2);
      return;
    }
    if (HEADINGS.has(tag)) {
      brk(3); // a context break: the heading's own text is not scored
      return;
    }
    const block = BLOCKS.has(tag);
    if (block) brk(3);
    if (tag === 'SLOT') {
      const assigned = (el as HTMLSlotElement).assignedNodes?.({ flatten: true }) ?? [];
      if (assigned.length > 0) assigned.forEach(visit);
      else visitChildren(el);
    } else if (el.shadowRoot) {
      visitChildren(el.shadowRoot);
    } else {
      visitChildren(el);
    }
    if (block) brk(3);
  };

  visit(root);
  return { text, runs, left };
}

/** The element holding the page's main content: `main`/`[role=main]`, a single `article`, else `body`. */
export function findMainRoot(doc: Document): Element {
  const body = doc.body ?? doc.documentElement;
  const bodyLength = body.textContent?.length ?? 0;
  const substantial = (el: Element | null): el is Element => !!el && (el.textContent?.trim().length ?? 0) >= Math.min(200, bodyLength * 0.2);
  const main = doc.querySelector('main, [role="main"]');
  if (substantial(main)) return main;
  const articles = doc.querySelectorAll('article');
  if (articles.length === 1 && substantial(articles[0]!)) return articles[0]!;
  return body;
}

/** Index of the last run whose start is <= offset (or -1). */
function runIndexAt(runs: TextRun[], offset: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (runs[mid]!.start <= offset) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/**
 * DOM ranges covering text[start, end). One Range per tree (document or shadow root) the text crosses, so a
 * sentence that runs into a shadow root still paints; usually a single range. Empty when nothing maps.
 */
export function rangesFor(ex: Extraction, start: number, end: number): Range[] {
  const { runs } = ex;
  if (end <= start || runs.length === 0) return [];
  let first = runIndexAt(runs, start);
  if (first < 0 || runs[first]!.start + runs[first]!.length <= start) first += 1;
  let last = runIndexAt(runs, end - 1);
  if (first >= runs.length || last < first) return [];
  const groups: Array<{ from: number; to: number }> = [];
  let groupRoot: Node | null = null;
  for (let i = first; i <= last; i++) {
    const root = runs[i]!.node.getRootNode();
    if (root !== groupRoot) {
      groups.push({ from: i, to: i });
      groupRoot = root;
    } else groups[groups.length - 1]!.to = i;
  }
  return groups.map(({ from, to }) => {
    const a = runs[from]!;
    const b = runs[to]!;
    const doc = a.node.ownerDocument!;
    const range = doc.createRange();
    range.setStart(a.node, a.offset + Math.max(0, start - a.start));
    range.setEnd(b.node, b.offset + Math.min(b.length, end - b.start));
    return range;
  });
}

/** The text offset of a DOM position (a Text node and an offset in it), or null when it is not extracted text. */
export function offsetOf(ex: Extraction, node: Node, offset: number): number | null {
  let index = nodeIndex.get(ex);
  if (!index) {
    index = new Map();
    for (const run of ex.runs) {
      const list = index.get(run.node) ?? [];
      list.push(run);
      index.set(run.node, list);
    }
    nodeIndex.set(ex, index);
  }
  const list = index.get(node as Text);
  if (!list) return null;
  for (const run of list) {
    if (offset >= run.offset && offset < run.offset + run.length) return run.start + (offset - run.offset);
  }
  return null;
}
const nodeIndex = new WeakMap<Extraction, Map<Node, TextRun[]>>();
