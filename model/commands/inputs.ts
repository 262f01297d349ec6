// Reading the documents `ptd score` scores: files by extension (or --input-format), stdin when no file is given.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError, UsageError } from '../../cli/errors.ts';
import { DEFAULT_MAX_CHARS } from '../limits.ts';
import { DocxError, docxLimits, docxToText } from './docx.ts';
import { htmlToText, markdownToText } from './text.ts';

export type InputFormat = 'txt' | 'md' | 'html' | 'jsonl' | 'docx';
export const INPUT_FORMATS: InputFormat[] = ['txt', 'md', 'html', 'jsonl', 'docx'];

const EXTENSIONS: Record<string, InputFormat> = {
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

export interface InputDocument {
  /** File name (or `-` for stdin), with `:LINE` for a JSON-lines record. */
  source: string;
  /** The record's `id` for JSON lines, when it has one. */
  id?: string | number;
  text: string;
}

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
  return EXTENSIONS[path.extname(filename).toLowerCase()] ?? MEDIA_TYPES[mimeType.split(';')[0]!.trim().toLowerCase()] ?? null;
}

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

export function formatOf(file: string, override?: InputFormat): InputFormat {
  if (override) return override;
  if (file === '-') return 'txt';
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) {
    throw new UsageError(
      `unsupported format ${ext ? `"${ext}"` : '(no extension)'} for ${file}: use .txt, .md, .html, .jsonl or .docx, or --input-format`,
    );
  }
  return format;
}

async function readSource(file: string, stdin: () => Promise<Buffer>): Promise<Buffer> {
  if (file === '-') return stdin();
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`cannot read ${file}: it is a directory`);
    return await readFile(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new CliError(`cannot read ${file}: ${why}`);
  }
}

export function parseJsonl(content: string, source: string): InputDocument[] {
  const docs: InputDocument[] = [];
  content.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new CliError(`${source} line ${i + 1}: not valid JSON`);
    }
    const r = record as { text?: unknown; id?: unknown };
    if (!record || typeof record !== 'object' || typeof r.text !== 'string') {
      throw new CliError(`${source} line ${i + 1}: no "text" string field`);
    }
    const doc: InputDocument = { source: `${source}:${i + 1}`, text: r.text };
    if (typeof r.id === 'string' || typeof r.id === 'number') doc.id = r.id;
    docs.push(doc);
  });
  return docs;
}

/** Reads every input as documents; `stdin` reads standard input once (for `-` or no file at all). */
export async function readInputs(files: string[], stdin: () => Promise<Buffer>, override?: InputFormat): Promise<InputDocument[]> {
  const sources = files.length ? files : ['-'];
  // Check every format before reading anything, so a typo fails fast.
  const formats = sources.map((f) => formatOf(f, override));
  const docs: InputDocument[] = [];
  for (let k = 0; k < sources.length; k++) {
    const file = sources[k]!;
    const bytes = await readSource(file, stdin);
    const format = formats[k]!;
    if (format === 'jsonl') {
      const records = parseJsonl(bytes.toString('utf8'), file);
      if (records.length === 0) throw new CliError(`empty input: ${file === '-' ? 'stdin' : file} has no records`);
      docs.push(...records);
      continue;
    }
    try {
      docs.push({ source: file, text: documentText(bytes, format) });
    } catch (err) {
      if (err instanceof DocxError) throw new CliError(`cannot read ${file === '-' ? 'stdin' : file}: ${err.message}`);
      throw err;
    }
  }
  for (const d of docs) {
    if (!d.text.trim()) throw new CliError(`empty input: ${d.source === '-' ? 'stdin' : d.source} has no text to score`);
  }
  return docs;
}

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
