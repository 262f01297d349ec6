// Constituency trees from link-grammar's `link-parser` (Debian package link-grammar; CMU's parser, LGPL). One
// process reads a batch of sentences, one per line, and echoes each back before its one-line tree, so an answer
// is matched to its sentence even when the parser prints no tree for it. (A process per batch: link-parser's
// output to a pipe is block-buffered, so it cannot be read sentence by sentence; the dictionary loads in 0.25 s.)
import { spawn } from 'node:child_process';

export const LINK_PARSER = 'link-parser';

/** Sentences longer than this many words are not parsed (link-parser's time grows fast with length). */
export const MAX_PARSE_WORDS = 80;

export interface LinkParserOptions {
  /** The executable (default `link-parser` on the PATH). */
  command?: string;
  /** Seconds link-parser may spend on one sentence before it falls back to a partial parse (default 2). */
  timeoutSeconds?: number;
}

/** The line link-parser is sent for a sentence, or null for one it cannot be given (empty or too long). */
export function parserInput(sentence: string): string | null {
  // A line starting with "!" is a parser command and one starting with "%" a comment: strip those marks.
  const line = sentence.replace(/\s+/gu, ' ').trim().replace(/^[!%\s]+/u, '');
  if (line === '') return null;
  return line.split(' ').length > MAX_PARSE_WORDS ? null : line;
}

export class LinkParserMissing extends Error {
  constructor(command: string) {
    super(`the syntactic signal needs link-grammar's parser, and "${command}" was not found (apt-get install link-grammar)`);
    this.name = 'LinkParserMissing';
  }
}

/** Matches link-parser's output to its input lines: after each echoed line, the first tree line is its tree. */
export function readAnswers(output: string, lines: string[]): (string | null)[] {
  const trees: (string | null)[] = lines.map(() => null);
  let answered = 0;
  let current = -1;
  let boundary = true;
  for (const line of output.split('\n')) {
    if (line.trim() === '') {
      boundary = true;
      continue;
    }
    // An echo opens the next sentence's answer: the first one follows the parser's notices, the others a blank
    // line or an echo that got no tree.
    if (answered < lines.length && line === lines[answered] && (boundary || current < 0 || trees[current] === null)) {
      current = answered++;
      boundary = false;
      continue;
    }
    if (current >= 0 && trees[current] === null && line.startsWith('(')) trees[current] = line;
    boundary = false;
  }
  return trees;
}

/**
 * One bracketed tree per sentence, in order; null for a sentence not parsed (empty, over MAX_PARSE_WORDS words,
 * or no tree printed). Rejects with LinkParserMissing when the parser is not installed.
 */
export async function parseSentences(sentences: string[], options: LinkParserOptions = {}): Promise<(string | null)[]> {
  const inputs = sentences.map(parserInput);
  const lines = inputs.filter((l): l is string => l !== null);
  if (lines.length === 0) return inputs.map(() => null);
  const command = options.command ?? LINK_PARSER;
  const timeout = options.timeoutSeconds ?? 2;
  const args = ['en', '-constituents=3', '-graphics=0', '-verbosity=0', '-echo=1', `-timeout=${timeout}`];
  // link-parser bounds each sentence by its own timeout; this bounds the batch, so a stuck parser cannot hang a build.
  const limitMs = (30 + 2 * timeout * lines.length) * 1000;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} took over ${limitMs / 1000} s on a batch of ${lines.length} sentences and was stopped`));
    }, limitMs);
    child.once('close', () => clearTimeout(timer));
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-2000); // dictionary and locale notices; kept for errors
    });
    child.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new LinkParserMissing(command) : err));
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(chunks).toString('utf8'));
      else reject(new Error(`${command} exited with status ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
    child.stdin.on('error', () => {}); // a parser that died early is reported by 'close'
    child.stdin.end(`${lines.join('\n')}\n`);
  });
  const trees = readAnswers(output, lines);
  let k = 0;
  return inputs.map((line) => (line === null ? null : trees[k++]!));
}
