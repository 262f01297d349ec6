// Plain text out of the formats `ptd score` reads. HTML: the visible text only (no script/style/head, no hidden
// elements), block elements becoming paragraph breaks so that segmentation never joins two blocks.
// Markdown: the prose without markup (code blocks, link targets, emphasis markers, front matter).
import { Parser } from 'htmlparser2';

/** Bytes that are not UTF-8: refused the same way on every path (API JSON, uploads, `ptd score`), never decoded to U+FFFD. */
export class InvalidUtf8Error extends Error {
  constructor(message = 'not valid UTF-8 text (save the file as UTF-8)') {
    super(message);
    this.name = 'InvalidUtf8Error';
  }
}

/** Decodes UTF-8 strictly (a byte-order mark is dropped); InvalidUtf8Error otherwise. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidUtf8Error();
  }
}

/** Elements whose content is never shown as text. */
const INVISIBLE = new Set([
  'head', 'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'audio',
  'video', 'select', 'option', 'datalist', 'textarea', 'button', 'input', 'map',
]);

/** Elements that start and end a block of text (a paragraph break for segmentation). */
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'body', 'caption', 'dd', 'details', 'dialog', 'div', 'dl', 'dt',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr',
  'html', 'legend', 'li', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td',
  'tfoot', 'th', 'thead', 'title', 'tr', 'ul',
]);

function hidden(attrs: Record<string, string>): boolean {
  if ('hidden' in attrs) return true;
  if (attrs['aria-hidden'] === 'true') return true;
  const style = (attrs.style ?? '').toLowerCase().replace(/\s+/g, '');
  return style.includes('display:none') || style.includes('visibility:hidden');
}

/** Elements open inside each other at most: the parser's work per element grows with the depth (quadratic beyond). */
export const MAX_HTML_DEPTH = 512;

/** HTML that nests elements deeper than MAX_HTML_DEPTH (real pages stay far below; a hostile one does not). */
export class NestingError extends Error {
  constructor() {
    super(`elements nest more than ${MAX_HTML_DEPTH} deep`);
    this.name = 'NestingError';
  }
}

/** The visible text of an HTML document, with blocks separated by blank lines. NestingError past MAX_HTML_DEPTH. */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  // Open elements: whether each one hides its content, and whether it is <pre>.
  const stack: Array<{ name: string; hides: boolean }> = [];
  let hiddenDepth = 0;
  let preDepth = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const hides = INVISIBLE.has(name) || hidden(attrs);
        stack.push({ name, hides });
        if (stack.length > MAX_HTML_DEPTH) throw new NestingError();
        if (hides) hiddenDepth++;
        if (name === 'pre') preDepth++;
        if (hiddenDepth) return;
        if (name === 'br') parts.push('\n');
        else if (BLOCK.has(name)) parts.push('\n\n');
      },
      onclosetag(name) {
        // Pop to the matching element (htmlparser2 closes implied elements for us, in order).
        let i = stack.length - 1;
        while (i >= 0 && stack[i]!.name !== name) i--;
        if (i < 0) return;
        while (stack.length > i) {
          const el = stack.pop()!;
          if (el.hides) hiddenDepth--;
          if (el.name === 'pre') preDepth--;
        }
        if (!hiddenDepth && BLOCK.has(name)) parts.push('\n\n');
      },
      ontext(text) {
        if (hiddenDepth) return;
        parts.push(preDepth ? text : text.replace(/\s+/g, ' '));
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return tidy(parts.join(''));
}

/** Trims spaces around line breaks and collapses runs of blank lines into one paragraph break. */
function tidy(text: string): string {
  return text
    .replace(/[ \t\u00a0]*\n[ \t\u00a0]*/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}

/**
 * The prose of a Markdown document: front matter, code blocks, images, HTML comments and markup removed. Every
 * pattern stops at the next opening of its own kind (or the line's end), so none rescans the rest of the text
 * for each unclosed opening: the time stays linear on hostile input (`**` or `[a](` repeated without a close).
 */
export function markdownToText(md: string): string {
  let t = md.replace(/\r\n?/g, '\n');
  t = t.replace(/^---\n[\s\S]*?\n---\n/, ''); // YAML front matter
  t = withoutComments(t);
  t = t.replace(/^(```|~~~)[^\n]*\n[\s\S]*?(?:\n\1[^\n]*|$)/gm, ''); // fenced code blocks
  t = t.replace(/!\[[^\][]*\]\((?:[^()\n]|\([^()\n]*\))*\)/g, ''); // images
  t = t.replace(/\[([^\][]+)\]\((?:[^()\n]|\([^()\n]*\))*\)/g, '$1'); // links → their text (targets may hold one level of parentheses)
  t = t.replace(/\[([^\][]+)\]\[[^\][]*\]/g, '$1'); // reference links
  t = t.replace(/^[ \t]*\[[^\]\n]+\]:[ \t]+\S+.*$/gm, ''); // link definitions
  t = t.replace(/`([^`\n]+)`/g, '$1'); // inline code
  t = t.replace(/\*\*(?=\S)((?:(?!\*\*)[^\n])*?\S)\*\*/g, '$1'); // bold
  t = t.replace(/__(?=\S)((?:(?!__)[^\n])*?\S)__/g, '$1');
  t = t.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, '$1$2'); // *italic*
  t = t.replace(/(^|[^\w])_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2'); // _italic_
  t = t.replace(/^[ \t]{0,3}(?:[-*_][ \t]*){3,}$/gm, ''); // horizontal rules
  t = t.replace(/<\/?[a-zA-Z][^<>]*>/g, ''); // inline HTML tags
  return t.replace(/\n{3,}/g, '\n\n').trim();
}

/** HTML comments removed (the first `-->` closes one), by scanning once: a regex rescans the rest for each unclosed `<!--`. */
function withoutComments(t: string): string {
  let out = '';
  let from = 0;
  for (let open = t.indexOf('<!--'); open !== -1; open = t.indexOf('<!--', from)) {
    const close = t.indexOf('-->', open + 4);
    if (close === -1) break;
    out += t.slice(from, open);
    from = close + 3;
  }
  return out + t.slice(from);
}
