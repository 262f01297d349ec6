// The corpus files of ../shared/data/ptd-corpus (see its README): row types, a reader that finds them by
// name and hashes them, and the clean-up of LLM chatter around rewrites ("Sure, here is the polished text:", trailing notes).
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';

/** Every row remembers the corpus file it came from (for per-file stats). */
interface FromFile {
  file?: string;
}

export interface DocRewrite extends FromFile {
  id: string;
  doc_id: string;
  source: string;
  paraphraser: string;
  domain: string;
  edit: string;
  original: string;
  rewrite: string;
}

export interface SpanRewrite extends FromFile {
  id: string;
  doc_id: string;
  source: string;
  domain: string;
  sentences: string[];
  spans: [number, number][];
  rewrites: string[];
  instruction: string;
  paraphraser: string;
}

export interface HumanPassage extends FromFile {
  id: string;
  doc_id: string;
  source: string;
  domain: string;
  license: string;
  text: string;
}

/** A text an LLM wrote (not rewrote); `task` says whether it continues a human prefix. */
export interface LlmText extends FromFile {
  id: string;
  source: string;
  generator: string;
  domain: string;
  task: string;
  text: string;
}

/** A PASTED-format document that switches from human to LLM text mid-way. */
export interface MixedContinuation extends FromFile {
  id: string;
  sentences: string[];
  label: number[];
  lexical?: number[];
  source: string;
  paraphraser: string | null;
  domain: string;
  edit?: string | null;
}

export interface Corpus {
  docRewrites: DocRewrite[];
  spanRewrites: SpanRewrite[];
  humanPassages: HumanPassage[];
  llmTexts: LlmText[];
  mixedContinuations: MixedContinuation[];
  /** The files read, in reading order, with their sha256 and row counts. */
  files: CorpusFile[];
}

export type CorpusKind = Exclude<keyof Corpus, 'files'>;

export interface CorpusFile {
  name: string;
  kind: CorpusKind;
  rows: number;
  sha256: string;
}

/**
 * A corpus file's kind from its name: `doc_rewrites*.jsonl` (doc_rewrites.jsonl, doc_rewrites_extra.jsonl, …),
 * `span_rewrites*`, `human_passages*`, `llm_texts*`, `mixed_continuations*`.
 */
const KIND_PREFIXES: [string, CorpusKind][] = [
  ['doc_rewrites', 'docRewrites'],
  ['span_rewrites', 'spanRewrites'],
  ['human_passages', 'humanPassages'],
  ['llm_texts', 'llmTexts'],
  ['mixed_continuations', 'mixedContinuations'],
];

/** The kinds a corpus must have; the others are read when present. */
const REQUIRED_KINDS: CorpusKind[] = ['docRewrites', 'spanRewrites', 'humanPassages'];

export function kindOf(name: string): CorpusKind | undefined {
  if (!name.endsWith('.jsonl')) return undefined;
  return KIND_PREFIXES.find(([prefix]) => name.startsWith(prefix))?.[1];
}

const REQUIRED: Record<CorpusKind, string[]> = {
  docRewrites: ['id', 'doc_id', 'source', 'paraphraser', 'domain', 'edit', 'original', 'rewrite'],
  spanRewrites: ['id', 'doc_id', 'source', 'domain', 'sentences', 'spans', 'rewrites', 'paraphraser'],
  humanPassages: ['id', 'doc_id', 'source', 'domain', 'text'],
  llmTexts: ['id', 'source', 'generator', 'domain', 'task', 'text'],
  mixedContinuations: ['id', 'sentences', 'label', 'source', 'domain'],
};

async function readRows<T>(file: string, name: string, required: string[], hash: Hash): Promise<T[]> {
  const rows: T[] = [];
  const input = createReadStream(file);
  input.on('data', (chunk) => hash.update(chunk));
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${file}:${lineNo}: invalid JSON (${(err as Error).message})`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${file}:${lineNo}: not a JSON object`);
    const missing = required.filter((k) => row[k] === undefined || row[k] === null);
    if (missing.length) throw new Error(`${file}:${lineNo}: missing ${missing.map((k) => `"${k}"`).join(', ')}`);
    row.file = name;
    rows.push(row as T);
  }
  return rows;
}

/**
 * The corpus files of a directory (every file whose name has a known kind, sorted by name), or the given
 * file paths (their kind from their names). A file of no known kind, or a directory missing a required kind,
 * is an error naming it.
 */
export async function corpusFiles(dir: string, only?: string[]): Promise<{ path: string; name: string; kind: CorpusKind }[]> {
  let paths: string[];
  if (only?.length) {
    paths = only.map((f) => (f.includes('/') ? f : join(dir, f)));
  } else {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      throw new Error(`corpus directory not found: ${dir}`);
    }
    paths = names.filter((n) => kindOf(n) !== undefined).sort().map((n) => join(dir, n));
  }
  const files = paths.map((path) => {
    const name = basename(path);
    const kind = kindOf(name);
    if (!kind) throw new Error(`${path}: not a corpus file (expected ${KIND_PREFIXES.map(([p]) => `${p}*.jsonl`).join(', ')})`);
    return { path, name, kind };
  });
  if (!only?.length) {
    const missing = REQUIRED_KINDS.filter((k) => !files.some((f) => f.kind === k));
    if (missing.length)
      throw new Error(`corpus file not found: ${missing.map((k) => join(dir, `${KIND_PREFIXES.find(([, v]) => v === k)![0]}.jsonl`)).join(', ')}`);
  }
  const names = new Set<string>();
  for (const f of files) {
    if (names.has(f.name)) throw new Error(`corpus file named twice: ${f.name}`);
    names.add(f.name);
  }
  return files;
}

/** Reads a corpus directory (or the listed files of it), hashing each file as it is read. */
export async function readCorpus(dir: string, only?: string[]): Promise<Corpus> {
  const corpus: Corpus = { docRewrites: [], spanRewrites: [], humanPassages: [], llmTexts: [], mixedContinuations: [], files: [] };
  for (const f of await corpusFiles(dir, only)) {
    try {
      await access(f.path);
    } catch {
      throw new Error(`corpus file not found: ${f.path}`);
    }
    const hash = createHash('sha256');
    const rows = await readRows<never>(f.path, f.name, REQUIRED[f.kind], hash);
    (corpus[f.kind] as unknown[]).push(...rows);
    corpus.files.push({ name: f.name, kind: f.kind, rows: rows.length, sha256: hash.digest('hex') });
  }
  return corpus;
}

/** One hash for the whole corpus: sha256 over the files' names and hashes, in code-point order of names. */
export function corpusSha256(files: CorpusFile[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) hash.update(`${f.name}\t${f.sha256}\n`);
  return hash.digest('hex');
}

const PREAMBLE_START = /^(?:sure|certainly|ok(?:ay)?|of course|here(?:'s| is| are)|below is|the (?:polished|rewritten|revised|edited))\b/i;
const PREAMBLE_TOPIC = /polish|rewrit|revis|paraphras|edit|version|text/i;
const TRAILER =
  /\n\s*\n\s*\(?(?:note\b|i (?:have )?(?:made|changed|edited|polished|removed|corrected)\b|(?:the|this) (?:polished|rewritten|revised) (?:text|version)\b|changes made\b)[\s\S]*$/i;

function dropPreamble(text: string): string {
  const newline = text.indexOf('\n');
  if (newline < 0 || newline > 200) return text;
  const first = text.slice(0, newline).trim();
  if (first.endsWith(':') && PREAMBLE_START.test(first) && PREAMBLE_TOPIC.test(first)) return text.slice(newline + 1);
  return text;
}

/** Removes an LLM's preamble and closing note, and quotes wrapped around the whole rewrite. */
export function cleanRewrite(rewrite: string, original: string): string {
  let text = rewrite.trim();
  text = dropPreamble(text);
  text = text.replace(TRAILER, '');
  text = text.trim();
  const orig = original.trim();
  if (text.length > 2 && text.startsWith('"') && text.endsWith('"') && !orig.startsWith('"')) {
    const inner = text.slice(1, -1);
    if (!inner.includes('"')) text = inner.trim();
  }
  return text;
}
