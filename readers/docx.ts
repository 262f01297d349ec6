// The body text of a Word document (.docx: a zip holding word/document.xml), paragraphs separated by blank lines.
// Browser-safe (fflate, htmlparser2), so the playground reads a dropped .docx the same way `ptd score` does.
// What is read: every paragraph of the body, tables cell by cell, text boxes once; what is not: text deleted in
// tracked changes (w:delText), field codes (w:instrText), the fallback copy of drawings (mc:Fallback), headers,
// footers, footnotes and comments (separate parts of the zip).
// Files come from anyone, so reading is bounded (docxLimits): the archive's parts, the body's bytes (declared and
// actual, checked while inflating: zip.ts) and its paragraphs and characters (checked while parsing, which is
// fed as the body inflates); past a limit, DocxError with kind `too_large` names it before much work is done.
import { Parser } from 'htmlparser2';
import { DEFAULT_MAX_CHARS, exceedsChars } from '../model/limits.ts';
import { readEntry, ZipError } from './zip.ts';

export class DocxError extends Error {
  constructor(
    message: string,
    /** `invalid`: not a readable .docx; `too_large`: a limit of docxLimits passed (`limit` names it). */
    readonly kind: 'invalid' | 'too_large' = 'invalid',
    readonly limit?: 'maxCharsPerDocument' | 'docxBodyBytes' | 'docxParts' | 'docxParagraphs' | 'docxDepth',
  ) {
    super(message);
    this.name = 'DocxError';
  }
}

const BODY = 'word/document.xml';

export interface DocxLimits {
  /** Characters (code points) of text at most: the document limit of the face reading the file. */
  maxChars: number;
  /** Bytes of word/document.xml, declared and inflated. */
  maxBodyBytes: number;
  /** Parts (zip entries) of the archive. */
  maxParts: number;
  /** Paragraphs (w:p elements, empty ones included) of the body. */
  maxParagraphs: number;
  /** Elements open inside each other (the XML parser's work per element grows with it). */
  maxDepth: number;
}

/**
 * The limits for documents of at most `maxChars` characters. Word's XML is verbose (run properties, revision ids:
 * 5–20 bytes of markup per character of text are common), so the body may hold 50 bytes per character, plus
 * 1 MiB (3.5 MB for 50,000 characters); as many paragraphs as characters (a paragraph with text holds one at
 * least, and real documents have far fewer empty ones); real documents have tens
 * of parts (styles, fonts, images) and nest elements a few dozen deep (tables in tables, text boxes), so 1,000
 * parts and 256 levels are far beyond them.
 */
export function docxLimits(maxChars: number = DEFAULT_MAX_CHARS): DocxLimits {
  return { maxChars, maxBodyBytes: 50 * maxChars + 1024 * 1024, maxParts: 1000, maxParagraphs: maxChars, maxDepth: 256 };
}

/** Elements whose content is never document text. */
const SKIPPED = new Set(['w:deltext', 'w:instrtext', 'mc:fallback', 'w:delinstrtext']);

/** A streaming reader of word/document.xml: `write` XML as it comes, `end` for the text. */
function wordXmlReader(limits: Pick<DocxLimits, 'maxChars' | 'maxParagraphs' | 'maxDepth'> = { maxChars: Infinity, maxParagraphs: Infinity, maxDepth: Infinity }) {
  const paragraphs: string[] = [];
  let depth = 0;
  let elements = 0;
  let chars = 0;
  let current = '';
  let inText = false;
  let skipDepth = 0;
  const close = () => {
    const p = current.replace(/[ \u00a0]+/g, ' ').trim();
    current = '';
    if (++elements > limits.maxParagraphs) {
      throw new DocxError(`the document has more than ${limits.maxParagraphs} paragraphs`, 'too_large', 'docxParagraphs');
    }
    if (p.length === 0) return;
    paragraphs.push(p);
    // UTF-16 units: more than twice the limit is more than the limit in code points, whatever the text.
    chars += p.length + 2;
    if (chars > 2 * limits.maxChars + 2) throw tooLong(limits.maxChars);
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (++depth > limits.maxDepth) throw new DocxError(`the document nests elements more than ${limits.maxDepth} deep`, 'too_large', 'docxDepth');
        if (SKIPPED.has(name)) {
          skipDepth++;
          return;
        }
        if (skipDepth) return;
        if (name === 'w:t') inText = true;
        else if (name === 'w:tab' || name === 'w:ptab') current += '\t';
        else if (name === 'w:br' || name === 'w:cr') current += '\n';
        else if (name === 'w:nobreakhyphen') current += '-';
      },
      ontext(text) {
        if (!inText || skipDepth) return;
        current += text;
        // One paragraph of megabytes: refused as it grows (collapsing spaces as close() will, which keeps this linear).
        if (current.length > 2 * limits.maxChars + 2) {
          current = current.replace(/[ \u00a0]+/g, ' ');
          if (exceedsChars(current.trim(), limits.maxChars)) throw tooLong(limits.maxChars);
        }
      },
      onclosetag(name) {
        depth--;
        if (SKIPPED.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth) return;
        if (name === 'w:t') inText = false;
        else if (name === 'w:p') close();
      },
    },
    { xmlMode: true, decodeEntities: true, lowerCaseTags: true },
  );
  return {
    write: (xml: string) => parser.write(xml),
    end(): string {
      parser.end();
      if (current) close();
      const text = paragraphs.join('\n\n');
      if (exceedsChars(text, limits.maxChars)) throw tooLong(limits.maxChars);
      return text;
    },
  };
}

function tooLong(max: number): DocxError {
  return new DocxError(`the document's text is longer than ${max} characters`, 'too_large', 'maxCharsPerDocument');
}

/** Plain text of word/document.xml: paragraphs separated by blank lines, tabs and line breaks kept. */
export function wordXmlToText(xml: string): string {
  const reader = wordXmlReader();
  reader.write(xml);
  return reader.end();
}

/**
 * Text of a .docx file's body, within `limits` (docxLimits() when left out); DocxError names what is wrong with a
 * file that is not a .docx, or which limit it passes.
 */
export function docxToText(bytes: Uint8Array, limits: DocxLimits = docxLimits()): string {
  // A zip starts with "PK"; password-protected Word files are OLE compound files (D0 CF 11 E0) instead.
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf) {
    throw new DocxError('not a .docx zip: an encrypted (password-protected) or old .doc Word file; save it as .docx without a password');
  }
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new DocxError('not a .docx file (not a zip archive)');
  const reader = wordXmlReader(limits);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const decode = (chunk: Uint8Array, stream: boolean): string => {
    try {
      return decoder.decode(chunk, { stream });
    } catch {
      throw new DocxError(`not a readable .docx file: ${BODY} is not valid UTF-8`);
    }
  };
  let found: boolean;
  try {
    found = readEntry(bytes, BODY, { maxEntries: limits.maxParts, maxEntryBytes: limits.maxBodyBytes }, (chunk) => reader.write(decode(chunk, true)));
    if (found) reader.write(decode(new Uint8Array(0), false));
  } catch (err) {
    if (!(err instanceof ZipError)) throw err;
    if (err.kind === 'invalid') throw new DocxError(`not a readable .docx file: ${err.message}`);
    const limit = err.limit === 'maxEntries' ? 'docxParts' : 'docxBodyBytes';
    throw new DocxError(`too large to read: ${err.message} (limit ${limit})`, 'too_large', limit);
  }
  if (!found) throw new DocxError(`not a Word document: the archive has no ${BODY}`);
  return reader.end();
}
