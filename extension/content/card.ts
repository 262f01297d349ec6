// The hover card: score, label, degree, evidence and model of the sentence under the pointer. Lives in a shadow root
// on a fixed-position host appended to <html> (not <body>), with pointer-events off: it adds no text to the page's
// content and never shifts layout. Text is set with textContent only (no page-derived HTML).
import { colourFor, describeSentence, type ColourScheme, type DescribedSentence } from '../../ui/palette.ts';
import { UI_ATTRIBUTE } from './extract.ts';

const CARD_CSS = `
  :host { all: initial; }
  .card { position: fixed; z-index: 2147483647; max-width: 320px; padding: 8px 10px; border-radius: 6px;
    background: #1f2328; color: #f6f8fa; font: 12px/1.45 system-ui, sans-serif; box-shadow: 0 4px 16px rgba(0,0,0,.3);
    pointer-events: none; border-left: 4px solid var(--accent, #888); }
  .card[hidden] { display: none; }
  .title { font-weight: 600; font-size: 13px; margin-bottom: 2px; }
  .line { opacity: .9; }
`;

export class HoverCard {
  private host: HTMLElement | null = null;
  private box: HTMLElement | null = null;

  constructor(private readonly doc: Document) {}

  show(
    x: number,
    y: number,
    sentence: DescribedSentence & { score: number },
    threshold: number,
    scheme: ColourScheme,
    model?: { name: string; version?: string },
    extra: string[] = [],
  ): void {
    const box = this.ensure();
    const words = describeSentence(sentence, threshold, model);
    box.replaceChildren();
    [...words.lines, ...extra].forEach((line, i) => {
      const div = this.doc.createElement('div');
      div.className = i === 0 ? 'title' : 'line';
      div.textContent = line;
      box.append(div);
    });
    const c = colourFor(sentence.score, threshold, sentence.degree, scheme);
    box.style.setProperty('--accent', c.underline === 'transparent' ? '#888' : c.underline);
    box.hidden = false;
    const view = this.doc.defaultView!;
    const w = box.offsetWidth || 280;
    const h = box.offsetHeight || 80;
    box.style.left = `${Math.max(4, Math.min(x + 12, view.innerWidth - w - 8))}px`;
    box.style.top = `${y + 16 + h > view.innerHeight ? Math.max(4, y - h - 12) : y + 16}px`;
  }

  /** A message card (selection results, errors) near a point. */
  message(x: number, y: number, lines: string[]): void {
    const box = this.ensure();
    box.replaceChildren();
    lines.forEach((line, i) => {
      const div = this.doc.createElement('div');
      div.className = i === 0 ? 'title' : 'line';
      div.textContent = line;
      box.append(div);
    });
    box.style.setProperty('--accent', '#0072b2');
    box.hidden = false;
    box.style.left = `${Math.max(4, x)}px`;
    box.style.top = `${Math.max(4, y)}px`;
  }

  hide(): void {
    if (this.box) this.box.hidden = true;
  }

  remove(): void {
    this.host?.remove();
    this.host = null;
    this.box = null;
  }

  private ensure(): HTMLElement {
    if (this.box && this.host?.isConnected) return this.box;
    const host = this.doc.createElement('ptd-card');
    host.setAttribute(UI_ATTRIBUTE, '');
    host.style.cssText = 'position: fixed; top: 0; left: 0; width: 0; height: 0; pointer-events: none; z-index: 2147483647;';
    const shadow = host.attachShadow({ mode: 'open' });
    const style = this.doc.createElement('style');
    style.textContent = CARD_CSS;
    const box = this.doc.createElement('div');
    box.className = 'card';
    box.hidden = true;
    box.setAttribute('role', 'tooltip');
    shadow.append(style, box);
    this.doc.documentElement.append(host);
    this.host = host;
    this.box = box;
    return box;
  }
}
