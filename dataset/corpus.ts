// The three corpus files of ../shared/data/ptd-corpus (see its README): row types, a reader, and the
// clean-up of LLM chatter around rewrites ("Sure, here is the polished text:", trailing notes).
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface DocRewrite {
  id: string;
  doc_id: string;
  source: string;
  paraphraser: string;
  domain: string;
  edit: string;
  original: string;
  rewrite: string;
}

export interface SpanRewrite {
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

export interface HumanPassage {
  id: string;
  doc_id: string;
  source: string;
  domain: string;
  license: string;
  text: string;
}

export interface Corpus {
  docRewrites: DocRewrite[];
  spanRewrites: SpanRewrite[];
  humanPassages: HumanPassage[];
}

export const CORPUS_FILES = {
  docRewrites: 'doc_rewrites.jsonl',
  spanRewrites: 'span_rewrites.jsonl',
  humanPassages: 'human_passages.jsonl',
} as const;

const REQUIRED: Record<keyof Corpus, string[]> = {
  docRewrites: ['id', 'doc_id', 'source', 'paraphraser', 'domain', 'edit', 'original', 'rewrite'],
  spanRewrites: ['id', 'doc_id', 'source', 'domain', 'sentences', 'spans', 'rewrites', 'paraphraser'],
  humanPassages: ['id', 'doc_id', 'source', 'domain', 'text'],
};

async function readRows<T>(file: string, required: string[]): Promise<T[]> {
  const rows: T[] = [];
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
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
    const missing = required.filter((k) => row[k] === undefined || row[k] === null);
    if (missing.length) throw new Error(`${file}:${lineNo}: missing ${missing.map((k) => `"${k}"`).join(', ')}`);
    rows.push(row as T);
  }
  return rows;
}

/** Reads the corpus directory; a missing file is an error naming it. */
export async function readCorpus(dir: string): Promise<Corpus> {
  const out: Partial<Corpus> = {};
  for (const key of Object.keys(CORPUS_FILES) as (keyof Corpus)[]) {
    const file = join(dir, CORPUS_FILES[key]);
    try {
      await access(file);
    } catch {
      throw new Error(`corpus file not found: ${file}`);
    }
    (out as Record<string, unknown>)[key] = await readRows(file, REQUIRED[key]);
  }
  return out as Corpus;
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
