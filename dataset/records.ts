// PASTED-format records: types, reader (JSON array or JSON lines) and writer (JSON lines, atomic).
// A record's `text` holds its sentences joined by " </s> "; `label` has one number per sentence
// (or three per sentence — [lexical, syntactic, semantic] — in PASTED's multi-dimension config).
import { createReadStream } from 'node:fs';
import { open, rename, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export const SENTENCE_SEPARATOR = ' </s> ';

/** A record as found in a file: `text` + `label`, other fields kept as they are. */
export interface PastedRecord {
  id?: string | number;
  text: string;
  label: number[] | number[][];
  lexical?: (number | null)[];
  syntactic?: (number | null)[];
  [field: string]: unknown;
}

/** A record read and checked: sentences split, labels one per sentence. */
export interface ParsedRecord {
  /** Position in the file (0-based, over all records, valid or not). */
  index: number;
  /** 1-based line of the record (JSON lines), or the record's position in a JSON array (1-based). */
  line: number;
  unit?: Unit;
  id?: string;
  sentences: string[];
  /** One value per sentence: the label as given, or its first (lexical) dimension for multi-dimension labels. */
  label: number[];
  /** Binary truth per sentence: label > 0 (any dimension for multi-dimension labels). */
  truth: (0 | 1)[];
  /** Change signals per sentence; null where one was not measured (e.g. a sentence the parser could not read). */
  lexical?: (number | null)[];
  syntactic?: (number | null)[];
  /** Every field of the input record (for grouping). */
  fields: Record<string, unknown>;
}

/** The builder's output record: PASTED's fields plus ptd's provenance. */
export interface DatasetRecord {
  id: string;
  text: string;
  label: (0 | 1)[];
  lexical: number[];
  /** Syntactic change per sentence (syntax/annotate.ts; null where a side has no parse), when built with it. */
  syntactic?: (number | null)[];
  source: string;
  paraphraser: string | null;
  domain: string;
  edit: string | null;
  doc_id: string;
  construction: Construction;
  /** The corpus file the record was built from. */
  file?: string;
  /** Per sentence, a paraphrased sentence's aligned original text (its mirror); null elsewhere. */
  original?: (string | null)[];
  [extra: string]: unknown;
}

export type Construction = 'splice' | 'light_edit' | 'span_rewrite' | 'original' | 'human' | 'generated' | 'continuation';

/** Where a value sits: a line of a JSON lines file, or an element (1-based) of a JSON array. */
export type Unit = 'line' | 'record';

export class RecordError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    readonly unit: Unit = 'line',
  ) {
    super(line === 0 ? `${file}: ${reason}` : unit === 'line' ? `${file}:${line}: ${reason}` : `${file}: record ${line}: ${reason}`);
    this.name = 'RecordError';
  }
}

export function splitSentences(text: string): string[] {
  const parts = text.split(/\s*<\/s>\s*/);
  // A trailing separator (text ending in "</s>") closes the last sentence rather than opening a new one.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length > 0) parts[0] = parts[0]!.trimStart();
  return parts;
}

export function joinSentences(sentences: string[]): string {
  return sentences.join(SENTENCE_SEPARATOR);
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** A per-sentence signal: numbers, null for "not measured". */
function signalList(value: unknown, name: string, count: number): (number | null)[] | string {
  if (!Array.isArray(value)) return `"${name}" is not a list`;
  if (value.length !== count) return `"${name}" has ${value.length} values for ${count} sentences`;
  const bad = value.findIndex((v) => v !== null && !isNumber(v));
  if (bad >= 0) return `"${name}"[${bad}] is neither a number nor null (${JSON.stringify(value[bad])})`;
  return value as (number | null)[];
}

/** Checks one decoded record; returns the parsed record or the reason it is invalid. */
export function parseRecord(raw: unknown, index: number, line: number): ParsedRecord | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'record is not a JSON object';
  const rec = raw as Record<string, unknown>;
  if (typeof rec.text !== 'string') return 'missing or non-string "text"';
  if (rec.label === undefined) return 'missing "label"';
  if (!Array.isArray(rec.label)) return '"label" is not a list';
  const sentences = splitSentences(rec.text);
  const n = sentences.length;
  const labels = rec.label as unknown[];
  let label: number[];
  let truth: (0 | 1)[];
  let dims: number[][] | undefined;
  if (labels.length > 0 && labels.every((v) => Array.isArray(v))) {
    // Multi-dimension, nested: [[lexical, syntactic, semantic], ...].
    if (labels.length !== n) return `"label" has ${labels.length} entries for ${n} sentences`;
    for (let i = 0; i < n; i++) {
      const row = labels[i] as unknown[];
      const bad = row.findIndex((v) => !isNumber(v));
      if (row.length === 0 || bad >= 0) return `"label"[${i}] holds a non-numeric value (${JSON.stringify(row[bad])})`;
    }
    dims = labels as number[][];
  } else {
    const bad = labels.findIndex((v) => !isNumber(v));
    if (bad >= 0) return `"label"[${bad}] is not a number (${JSON.stringify(labels[bad])})`;
    const flat = labels as number[];
    if (flat.length === n) {
      dims = undefined;
      label = flat;
    } else if (flat.length === 3 * n && n > 0) {
      // Multi-dimension, flat: three values per sentence.
      dims = Array.from({ length: n }, (_, i) => flat.slice(3 * i, 3 * i + 3));
    } else {
      return `"label" has ${flat.length} values for ${n} sentences (text split on "</s>")`;
    }
  }
  if (dims) {
    label = dims.map((d) => d[0]!);
    truth = dims.map((d) => (d.some((v) => v > 0) ? 1 : 0));
  } else {
    label = labels as number[];
    truth = label.map((v) => (v > 0 ? 1 : 0));
  }
  const out: ParsedRecord = { index, line, sentences, label, truth, fields: rec };
  if (rec.id !== undefined && rec.id !== null) {
    if (typeof rec.id !== 'string' && typeof rec.id !== 'number') return '"id" is neither a string nor a number';
    out.id = String(rec.id);
  }
  for (const name of ['lexical', 'syntactic'] as const) {
    if (rec[name] === undefined || rec[name] === null) continue;
    const list = signalList(rec[name], name, n);
    if (typeof list === 'string') return list;
    out[name] = list;
  }
  if (dims && dims.every((d) => d.length >= 2)) {
    out.lexical ??= dims.map((d) => d[0]!);
    out.syntactic ??= dims.map((d) => d[1]!);
  }
  return out;
}

export interface ReadOptions {
  /** Skip invalid records (counted in `skipped`) instead of throwing on the first. */
  skipInvalid?: boolean;
}

export interface ReadResult<T> {
  records: T[];
  skipped: { line: number; unit: Unit; reason: string }[];
}

/** Decodes a JSON array or JSON lines file into raw values with their line numbers. */
export async function* readJsonValues(
  file: string,
  options: ReadOptions = {},
): AsyncGenerator<{ value: unknown; line: number; unit: Unit } | { error: string; line: number; unit: Unit }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  let first: string | undefined;
  const iterator = lines[Symbol.asyncIterator]();
  // Find the first non-blank line to tell a JSON array from JSON lines.
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    lineNo++;
    const text = next.value.replace(/^\uFEFF/, '');
    if (text.trim() !== '') {
      first = text;
      break;
    }
  }
  if (first!.trimStart().startsWith('[')) {
    // JSON array: read the whole file and report errors by element.
    let rest = first!;
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      rest += `\n${next.value}`;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(rest);
    } catch (err) {
      throw new RecordError(file, lineNo, `invalid JSON array (${(err as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw new RecordError(file, lineNo, 'not a JSON array');
    for (let i = 0; i < parsed.length; i++) yield { value: parsed[i], line: i + 1, unit: 'record' };
    return;
  }
  let text: string | undefined = first;
  for (;;) {
    if (text !== undefined && text.trim() !== '') {
      try {
        yield { value: JSON.parse(text), line: lineNo, unit: 'line' };
      } catch (err) {
        const error = `invalid JSON (${(err as Error).message})`;
        if (!options.skipInvalid) throw new RecordError(file, lineNo, error);
        yield { error, line: lineNo, unit: 'line' };
      }
    }
    const next = await iterator.next();
    if (next.done) return;
    lineNo++;
    text = next.value;
  }
}

/** Reads a PASTED-format file (JSON array or JSON lines). Errors name file, line (or record) and reason. */
export async function readPasted(file: string, options: ReadOptions = {}): Promise<ReadResult<ParsedRecord>> {
  const records: ParsedRecord[] = [];
  const skipped: { line: number; unit: Unit; reason: string }[] = [];
  let index = 0;
  try {
    for await (const item of readJsonValues(file, options)) {
      if ('error' in item) {
        skipped.push({ line: item.line, unit: item.unit, reason: item.error });
        index++;
        continue;
      }
      const parsed = parseRecord(item.value, index, item.line);
      index++;
      if (typeof parsed === 'string') {
        if (!options.skipInvalid) throw new RecordError(file, item.line, parsed, item.unit);
        skipped.push({ line: item.line, unit: item.unit, reason: parsed });
      } else {
        records.push(parsed);
      }
    }
  } catch (err) {
    if (err instanceof RecordError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new RecordError(file, 0, e.code === 'ENOENT' ? 'no such file' : e.message);
  }
  return { records, skipped };
}

type FileHandle = Awaited<ReturnType<typeof open>>;

/** Writes `file` atomically: `write` fills a temporary file beside it, which is synced and renamed over it. */
async function writeAtomic<T>(file: string, write: (handle: FileHandle) => Promise<T>): Promise<T> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const handle = await open(tmp, 'w');
  let result: T;
  try {
    result = await write(handle);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, file);
  return result;
}

/** Writes JSON lines atomically; returns the number of rows. */
export function writeJsonLines(file: string, rows: Iterable<unknown>): Promise<number> {
  return writeAtomic(file, async (handle) => {
    let count = 0;
    let buffer = '';
    for (const row of rows) {
      buffer += `${JSON.stringify(row)}\n`;
      count++;
      if (buffer.length > 1 << 20) {
        await handle.write(buffer);
        buffer = '';
      }
    }
    if (buffer) await handle.write(buffer);
    return count;
  });
}

/** Writes a text file atomically (temporary file beside it, then rename). */
export async function writeTextAtomic(file: string, text: string): Promise<void> {
  await writeAtomic(file, (handle) => handle.write(text));
}

/** Writes a JSON document atomically. */
export async function writeJson(file: string, value: unknown): Promise<void> {
  await writeTextAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
