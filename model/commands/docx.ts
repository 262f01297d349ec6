// The body text of a Word document (.docx: a zip holding word/document.xml), paragraphs separated by blank lines.
// Browser-safe (fflate, htmlparser2), so the playground reads a dropped .docx the same way `ptd score` does.
// What is read: every paragraph of the body, tables cell by cell, text boxes once; what is not: text deleted in
// tracked changes (w:delText), field codes (w:instrText), the fallback copy of drawings (mc:Fallback), headers,
// footers, footnotes and comments (separate parts of the zip).
import { unzipSync } from 'fflate';
import { Parser } from 'htmlparser2';

export class DocxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocxError';
  }
}

const BODY = 'word/document.xml';

/** Elements whose content is never document text. */
const SKIPPED = new Set(['w:deltext', 'w:instrtext', 'mc:fallback', 'w:delinstrtext']);

/** Plain text of word/document.xml: paragraphs separated by blank lines, tabs and line breaks kept. */
export function wordXmlToText(xml: string): string {
  const paragraphs: string[] = [];
  let current = '';
  let inText = false;
  let skipDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
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
        if (inText && !skipDepth) current += text;
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth) return;
        if (name === 'w:t') inText = false;
        else if (name === 'w:p') {
          paragraphs.push(current);
          current = '';
        }
      },
    },
    { xmlMode: true, decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(xml);
  parser.end();
  if (current) paragraphs.push(current);
  return paragraphs
    .map((p) => p.replace(/[ \u00a0]+/g, ' ').trim())
    .filter((p) => p.length > 0)
    .join('\n\n');
}

/** Text of a .docx file's body; DocxError names what is wrong with a file that is not one. */
export function docxToText(bytes: Uint8Array): string {
  // A zip starts with "PK"; password-protected Word files are OLE compound files (D0 CF 11 E0) instead.
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf) {
    throw new DocxError('not a .docx zip: an encrypted (password-protected) or old .doc Word file; save it as .docx without a password');
  }
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new DocxError('not a .docx file (not a zip archive)');
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, { filter: (f) => f.name === BODY });
  } catch (err) {
    throw new DocxError(`not a readable .docx file: ${(err as Error).message}`);
  }
  const body = files[BODY];
  if (!body) throw new DocxError(`not a Word document: the archive has no ${BODY}`);
  return wordXmlToText(new TextDecoder('utf-8').decode(body));
}
