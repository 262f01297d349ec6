// Reading the documents `ptd score` scores: files by extension (or --input-format), stdin when no file is given.
// Every input is bounded (InputLimits: the API's document limit by default): a file, pipe or stdin is read up to
// what a document of that many characters can take and no further; JSON lines are streamed, one record at a time.
import { open as fsOpen, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CliError, UsageError } from './errors.ts';
import { DEFAULT_MAX_CHARS, exceedsChars, maxFileBytes } from '../model/limits.ts';
import { LineTooLongError, readAtMost, readLines, TooManyBytesError } from '../readers/bounded.ts';
import { DocxError } from '../readers/docx.ts';
import { documentText, extensionOf, EXTENSIONS, type InputFormat } from '../readers/formats.ts';
import { decodeUtf8, InvalidUtf8Error, NestingError } from '../readers/text.ts';

export interface InputDocument {
  /** File name (or `-` for stdin), with `:LINE` for a JSON-lines record. */
  source: string;
  /** The record's `id` for JSON lines, when it has one. */
  id?: string | number;
  text: string;
}

export function formatOf(file: string, override?: InputFormat): InputFormat {
  if (override) return override;
  if (file === '-') return 'txt';
  const ext = extensionOf(file);
  const format = EXTENSIONS[ext];
  if (!format) {
    throw new UsageError(
      `unsupported format ${ext ? `"${ext}"` : '(no extension)'} for ${file}: use .txt, .md, .html, .jsonl or .docx, or --input-format`,
    );
  }
  return format;
}

/** How much `ptd score` reads: the API's document limit by default (PTD_MAX_CHARS, --max-chars). */
export interface InputLimits {
  /** Characters (code points, model/limits.ts) of one document. */
  maxChars: number;
}

/** Bytes of one JSON line: its text written with \uXXXX escapes (12 bytes for a character beyond the BMP), plus 64 KiB of other fields. */
export function maxLineBytes(maxChars: number): number {
  return 12 * maxChars + 64 * 1024;
}

const name = (file: string) => (file === '-' ? 'stdin' : file);

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

function tooLong(source: string, maxChars: number): CliError {
  return new CliError(
    `${source}: the text is longer than ${maxChars} characters, the limit for one document (the API's maxCharsPerDocument); ` +
      'split it, or raise the limit with --max-chars',
  );
}

/** An opened input: a stream to read, and the file's size when it is a regular file. */
interface Opened {
  stream: Readable;
  size?: number;
}

async function open(file: string, stdin: () => Readable): Promise<Opened> {
  if (file === '-') return { stream: stdin() };
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new CliError(`cannot read ${file}: it is a directory`);
    const handle = await fsOpen(file, 'r');
    return { stream: handle.createReadStream({ highWaterMark: 256 * 1024 }), ...(info.isFile() ? { size: info.size } : {}) };
  } catch (err) {
    if (err instanceof CliError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new CliError(`cannot read ${file}: ${why}`);
  }
}

/** One document from a file of one document (not JSON lines): bounded, decoded, extracted, its length checked. */
async function readDocument(file: string, format: Exclude<InputFormat, 'jsonl'>, limits: InputLimits, stdin: () => Readable): Promise<InputDocument> {
  const max = maxFileBytes(format, limits.maxChars);
  const { stream, size } = await open(file, stdin);
  const refuse = () =>
    new CliError(
      `${name(file)}: ${size !== undefined ? `${mb(size)}, ` : ''}more than ${mb(max)}, which is more than a ${format} document of ` +
        `${limits.maxChars} characters can take (the limit for one document); split it, or raise the limit with --max-chars`,
    );
  if (size !== undefined && size > max) {
    stream.destroy();
    throw refuse();
  }
  let bytes: Buffer;
  try {
    bytes = await readAtMost(stream, max);
  } catch (err) {
    if (err instanceof TooManyBytesError) throw refuse();
    throw new CliError(`cannot read ${name(file)}: ${(err as Error).message}`);
  }
  let text: string;
  try {
    text = documentText(bytes, format, limits.maxChars);
  } catch (err) {
    if (err instanceof DocxError && err.limit === 'maxCharsPerDocument') throw tooLong(name(file), limits.maxChars);
    if (err instanceof DocxError || err instanceof InvalidUtf8Error || err instanceof NestingError) {
      throw new CliError(`cannot read ${name(file)}: ${err.message}`);
    }
    throw err;
  }
  if (!text.trim()) throw new CliError(`empty input: ${name(file)} has no text to score`);
  if (exceedsChars(text, limits.maxChars)) throw tooLong(name(file), limits.maxChars);
  return { source: file, text };
}

/** One JSON line as a document (null for a blank line); CliError with the file and line number otherwise. */
export function parseJsonlLine(raw: string, source: string, line: number, maxChars = Infinity): InputDocument | null {
  const trimmed = raw.trim();
  if (!trimmed) return null;
  let record: unknown;
  try {
    record = JSON.parse(trimmed);
  } catch {
    throw new CliError(`${source} line ${line}: not valid JSON`);
  }
  const r = record as { text?: unknown; id?: unknown };
  if (!record || typeof record !== 'object' || typeof r.text !== 'string') {
    throw new CliError(`${source} line ${line}: no "text" string field`);
  }
  if (exceedsChars(r.text, maxChars)) throw tooLong(`${source} line ${line}`, maxChars);
  const doc: InputDocument = { source: `${source}:${line}`, text: r.text };
  if (typeof r.id === 'string' || typeof r.id === 'number') doc.id = r.id;
  return doc;
}

export function parseJsonl(content: string, source: string): InputDocument[] {
  return content.split('\n').flatMap((raw, i) => parseJsonlLine(raw, source, i + 1) ?? []);
}

/** The records of a JSON-lines input, one at a time (memory stays flat); `onBytes` hears of every chunk read. */
async function* jsonlDocuments(file: string, limits: InputLimits, stdin: () => Readable, onBytes?: (n: number) => void): AsyncGenerator<InputDocument> {
  const { stream } = await open(file, stdin);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const maxBytes = maxLineBytes(limits.maxChars);
  let records = 0;
  try {
    for await (const { line, bytes } of readLines(stream, maxBytes, onBytes)) {
      let raw: string;
      try {
        raw = decoder.decode(bytes);
      } catch {
        throw new CliError(`${name(file)} line ${line}: not valid UTF-8`);
      }
      const doc = parseJsonlLine(line === 1 ? raw.replace(/^\uFEFF/, '') : raw, name(file), line, limits.maxChars);
      if (!doc) continue;
      doc.source = `${file}:${line}`; // `-:LINE` for stdin, as the output has always said (messages say "stdin")
      if (!doc.text.trim()) throw new CliError(`empty input: ${name(file)} line ${line} has no text to score`);
      records++;
      yield doc;
    }
  } catch (err) {
    if (err instanceof LineTooLongError) {
      throw new CliError(
        `${name(file)} line ${err.line}: longer than ${mb(err.limit)}, more than a record with a text of ${limits.maxChars} characters ` +
          'can take (the limit for one document); raise it with --max-chars',
      );
    }
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read ${name(file)}: ${(err as Error).message}`);
  }
  if (records === 0) throw new CliError(`empty input: ${name(file)} has no records`);
}

export interface InputPlan {
  /** `doc`: a one-document input that cannot be read twice (stdin, a pipe, a device), read while planning. */
  sources: Array<{ file: string; format: InputFormat; doc?: InputDocument }>;
  /** Documents in all, when every input could be read ahead (regular files); undefined with stdin or a pipe. */
  documents?: number;
  /** Bytes of the JSON-lines inputs (for progress), when known. */
  jsonlBytes: number;
}

/**
 * Checks every input before anything is scored (formats, sizes, every JSON line, every document's text), so a
 * bad line or an oversized file fails in seconds rather than after hours of scoring. Regular files are read here
 * and again when scored; stdin and pipes (which cannot be read twice) are checked as they are scored.
 */
export async function planInputs(files: string[], limits: InputLimits, stdin: () => Readable, override?: InputFormat): Promise<InputPlan> {
  const sources: InputPlan['sources'] = (files.length ? files : ['-']).map((file) => ({ file, format: formatOf(file, override) }));
  if (sources.filter((s) => s.file === '-').length > 1) throw new UsageError('stdin ("-") can be read once only');
  let documents: number | undefined = 0;
  let jsonlBytes = 0;
  for (const source of sources) {
    const { file, format } = source;
    const regular = file !== '-' && (await stat(file).then((i) => i.isFile() || i.isDirectory(), () => true));
    if (format !== 'jsonl') {
      // Read now, bounded: an oversized or endless input fails before the model loads.
      const doc = await readDocument(file, format, limits, stdin);
      if (!regular) source.doc = doc;
      if (documents !== undefined) documents++;
      continue;
    }
    if (!regular) {
      documents = undefined; // JSON lines from a pipe: checked as they are scored
      continue;
    }
    jsonlBytes += (await stat(file)).size;
    for await (const _ of jsonlDocuments(file, limits, stdin)) if (documents !== undefined) documents++;
  }
  return { sources, documents, jsonlBytes };
}

/** The documents of every input, in order, read as they are needed. */
export async function* readDocuments(plan: InputPlan, limits: InputLimits, stdin: () => Readable, onBytes?: (n: number) => void): AsyncGenerator<InputDocument> {
  for (const { file, format, doc } of plan.sources) {
    if (doc) yield doc;
    else if (format === 'jsonl') yield* jsonlDocuments(file, limits, stdin, onBytes);
    else yield await readDocument(file, format, limits, stdin);
  }
}
