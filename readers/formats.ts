// Documents to text, whatever face reads them (ptd score, the API's uploads, the playground's drop zone): the
// formats by file extension or media type, and the text of a file's bytes in each. Browser-safe.
import { DEFAULT_MAX_CHARS } from '../model/limits.ts';
import { docxLimits, docxToText } from './docx.ts';
import { decodeUtf8, htmlToText, markdownToText } from './text.ts';

export type InputFormat = 'txt' | 'md' | 'html' | 'jsonl' | 'docx';
export const INPUT_FORMATS: InputFormat[] = ['txt', 'md', 'html', 'jsonl', 'docx'];

/** A file name's extension, lower-cased with its dot ("" when it has none), as node:path's extname finds it. */
export function extensionOf(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export const EXTENSIONS: Record<string, InputFormat> = {
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'md',
  '.markdown': 'md',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.docx': 'docx',
};

const MEDIA_TYPES: Record<string, InputFormat> = {
  'text/plain': 'txt',
  'text/markdown': 'md',
  'text/x-markdown': 'md',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

/** The format of an uploaded file: by its name's extension, else by its media type; null when neither is known. */
export function formatOfUpload(filename: string, mimeType: string): InputFormat | null {
  return EXTENSIONS[extensionOf(filename)] ?? MEDIA_TYPES[mimeType.split(';')[0]!.trim().toLowerCase()] ?? null;
}

/**
 * The text to score in a file's bytes (one document; JSON lines are read by parseJsonl). Throws DocxError when a
 * .docx is not one or passes docxLimits(maxChars), InvalidUtf8Error for text that is not UTF-8. The text's own
 * length is the caller's to check (each face answers it its own way).
 */
export function documentText(bytes: Uint8Array, format: Exclude<InputFormat, 'jsonl'>, maxChars: number = DEFAULT_MAX_CHARS): string {
  switch (format) {
    case 'docx':
      return docxToText(bytes, docxLimits(maxChars));
    case 'md':
      return markdownToText(decodeUtf8(bytes));
    case 'html':
      return htmlToText(decodeUtf8(bytes));
    case 'txt':
      return decodeUtf8(bytes);
  }
}

