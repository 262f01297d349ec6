// The `syntactic` column of built records: each paraphrased sentence's syntactic change against the original
// sentences it was aligned to (tree.ts), trees from link-parser processes working side by side. Trees are kept
// in a JSON-lines cache as they come, so an interrupted run resumes where it stopped.
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { DatasetRecord } from '../records.ts';
import { splitSentences } from '../records.ts';
import { parseSentences, type LinkParserOptions } from './link-parser.ts';
import { cutAtDepth, formatTree, parseBracketed, SYNTAX_DEPTH, syntacticChange, type PhraseTree } from './tree.ts';

/** Per record id, per sentence: the original sentences a paraphrased sentence replaced ([] for none), null for a human one. */
export type References = Map<string, (string[] | null)[]>;

export interface AnnotateOptions extends LinkParserOptions {
  /** JSON-lines cache of trees (read first, appended to as sentences are parsed). */
  cache: string;
  /** Parser processes side by side (default: the machine's cores). */
  workers?: number;
  /** Sentences sent to a parser at a time. */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SyntaxCoverage {
  /** Paraphrased sentences in the annotated records. */
  paraphrased: number;
  /** Of those, with a syntactic change (the rest are null: a side without a tree). */
  measured: number;
  /** Sentences parsed by this run (not found in the cache). */
  parsed: number;
}

/** Cached trees: sentence → its phrase tree cut at SYNTAX_DEPTH in bracketed form, or null (no tree). */
async function readCache(file: string): Promise<Map<string, string | null>> {
  const trees = new Map<string, string | null>();
  let stream;
  try {
    stream = createReadStream(file, { encoding: 'utf8' });
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      try {
        const entry = JSON.parse(line) as { s?: unknown; t?: unknown };
        if (typeof entry.s === 'string' && (typeof entry.t === 'string' || entry.t === null)) trees.set(entry.s, entry.t);
      } catch {
        // the last line of an interrupted run may be cut short: it is parsed again
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return trees;
}

/** The sentences whose trees the records need: each paraphrased sentence and every original it replaced. */
function sentencesToParse(records: DatasetRecord[], references: References): Set<string> {
  const needed = new Set<string>();
  for (const r of records) {
    const refs = references.get(r.id);
    if (!refs) continue;
    splitSentences(r.text).forEach((s, i) => {
      const ref = refs[i];
      if (!ref || ref.length === 0) return;
      needed.add(s);
      for (const o of ref) needed.add(o);
    });
  }
  return needed;
}

/** Ends the cache with a newline if an interrupted run left a line cut short, so new lines start clean. */
async function closeCutLine(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    if (last[0] !== 0x0a) await appendFile(file, '\n');
  } finally {
    await handle.close();
  }
}

async function parseAll(sentences: string[], trees: Map<string, string | null>, options: AnnotateOptions): Promise<void> {
  const batch = options.batch ?? 200;
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), Math.ceil(sentences.length / batch)));
  await mkdir(dirname(options.cache), { recursive: true });
  await closeCutLine(options.cache);
  let next = 0;
  let done = 0;
  // Appends are serialised so that lines of two batches never interleave.
  let writing = Promise.resolve();
  const work = async () => {
    while (next < sentences.length) {
      const chunk = sentences.slice(next, next + batch);
      next += chunk.length;
      const raw = await parseSentences(chunk, options);
      const lines = chunk.map((s, k) => {
        const tree = raw[k] ? parseBracketed(raw[k]!) : null;
        const t = tree ? formatTree(cutAtDepth(tree, SYNTAX_DEPTH)) : null;
        trees.set(s, t);
        return `${JSON.stringify({ s, t })}\n`;
      });
      writing = writing.then(() => appendFile(options.cache, lines.join('')));
      await writing;
      done += chunk.length;
      options.onProgress?.(done, sentences.length);
    }
  };
  await Promise.all(Array.from({ length: workers }, work));
}

/**
 * Adds `syntactic` to each record that has references: 0 for a human sentence, 1 for a paraphrased sentence
 * without an original (as its lexical change is 1), the syntactic change against its originals otherwise,
 * null where a side has no tree. Records are changed in place.
 */
export async function annotateSyntactic(
  records: DatasetRecord[],
  references: References,
  options: AnnotateOptions,
): Promise<SyntaxCoverage> {
  const trees = await readCache(options.cache);
  const missing = [...sentencesToParse(records, references)].filter((s) => !trees.has(s));
  options.onProgress?.(0, missing.length);
  if (missing.length > 0) await parseAll(missing, trees, options);
  const treeOf = (s: string): PhraseTree | null => {
    const t = trees.get(s);
    return t ? parseBracketed(t) : null;
  };
  const coverage: SyntaxCoverage = { paraphrased: 0, measured: 0, parsed: missing.length };
  for (const r of records) {
    const refs = references.get(r.id);
    if (!refs) continue;
    r.syntactic = splitSentences(r.text).map((s, i) => {
      const ref = refs[i];
      if (!ref) return 0;
      coverage.paraphrased++;
      if (ref.length === 0) {
        coverage.measured++;
        return 1;
      }
      const mine = treeOf(s);
      const theirs = ref.map(treeOf);
      if (!mine || theirs.some((t) => t === null)) return null;
      coverage.measured++;
      return Math.round(syntacticChange([mine], theirs as PhraseTree[]) * 1e4) / 1e4;
    });
  }
  return coverage;
}
