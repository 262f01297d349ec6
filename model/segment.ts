// Sentence segmentation with exact character offsets: for every segment, `text.slice(start, end) === segment.text`.
// Pure and dependency-free (the extension bundles it; the dataset builder and the runtime share it so that
// training and inference see the same sentences).
//
// How it works:
//  1. The text is cut into paragraphs at blank lines (or U+2029). A paragraph break always ends a sentence.
//  2. Each paragraph is cut into blocks at "hard" line breaks: before a list item / heading / quote line, and
//     after a short line with no final punctuation (a heading, an address line, a signature). Other line breaks
//     are "soft" (hard-wrapped prose, a line that continues in lower case) and the scanner reads across them.
//     A leading list marker (`- `, `* `, `1. `, `a) `, `# `, `> `) is not part of the sentence.
//  3. Inside a block, a sentence ends after a run of terminal punctuation (. ! ? … and CJK 。！？), optionally
//     followed by closing quotes/brackets, then white space — unless the next word starts in lower case, the
//     full stop belongs to an abbreviation (Mr., e.g., Fig., …), an initial (J. K. Rowling) or a dotted acronym
//     (U.S. Army) that is not followed by a typical sentence opener, or it sits inside a URL or e-mail address.
//     Decimals (3.14), versions and URLs never have white space after their dots, so they never split.
import type { Segment } from './types.ts';

/** Capitalised abbreviations after which a full stop never ends a sentence: titles before a name, "Cf.", "E.g.". */
const TITLES = new Set([
  'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'rev', 'hon', 'st', 'sgt', 'capt', 'cpt', 'col', 'gen', 'lt', 'maj', 'cmdr',
  'adm', 'gov', 'sen', 'rep', 'pres', 'supt', 'mt', 'ft', 'messrs', 'mme', 'mlle', 'cf', 'vs', 'approx', 'ca', 'e.g',
  'i.e', 'viz', 'esp', 'incl', 'dept', 'univ', 'assn', 'dist', 'atty', 'msgr', 'fr', 'det', 'insp', 'brig', 'cpl', 'pvt',
  'comdr', 'asst', 'assoc', 'drs', 'profs', 'gens', 'sens', 'reps', 'govs', 'supts', 'lieut', 'mssrs',
]);

/** Lower-case abbreviations after which a full stop never ends a sentence. */
const LOWER_ABBREVIATIONS = new Set(['e.g', 'i.e', 'cf', 'vs', 'v', 'viz', 'approx', 'ca', 'cca', 'appx', 'esp', 'incl', 'resp']);

/**
 * Abbreviations that introduce a number ("No. 5", "Fig. 3", "p. 12", "Jan. 5"): no boundary before a digit, an
 * ordinary one otherwise ("The answer is No. We left.", "I sat. Then").
 */
const BEFORE_NUMBERS = new Set([
  'no', 'nos', 'nr', 'fig', 'figs', 'eq', 'eqs', 'vol', 'vols', 'p', 'pp', 'ch', 'chap', 'sec', 'art', 'para', 'ref',
  'refs', 'tab', 'c', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'mon', 'tue',
  'tues', 'wed', 'thu', 'thur', 'thurs', 'fri', 'sat', 'sun', 'op', 'ed', 'eds', 'approx',
]);

/** Abbreviations that may also close a sentence: a boundary when the next word starts in upper case. */
const MAY_END = new Set(['etc', 'inc', 'ltd', 'co', 'corp', 'llc', 'plc', 'jr', 'sr', 'bros', 'al', 'a.m', 'p.m', 'ph.d']);

/**
 * Words that typically open a sentence. After an initial ("vitamin C.") or a dotted acronym ("the U.S."), a full
 * stop ends the sentence only when one of these follows ("... in the U.S. The ..." but "the U.S. Army").
 */
const OPENERS = new Set([
  'the', 'a', 'an', 'it', 'its', 'he', 'she', 'they', 'we', 'i', 'you', 'this', 'that', 'these', 'those', 'there',
  'his', 'her', 'their', 'our', 'my', 'your', 'but', 'and', 'or', 'so', 'yet', 'however', 'in', 'on', 'at', 'for',
  'as', 'if', 'when', 'while', 'after', 'before', 'since', 'because', 'although', 'though', 'then', 'thus', 'also',
  'what', 'why', 'how', 'who', 'where', 'many', 'most', 'some', 'all', 'no', 'one', 'both', 'each', 'such', 'today',
  'yesterday', 'meanwhile', 'moreover', 'furthermore', 'nevertheless', 'still', 'by', 'with', 'from', 'to', 'of',
]);

const TERMINAL_RUN = /[.!?…。！？‼⁇⁈⁉]+/gu;
const CLOSERS = /["'”’»)\]}›」』]*/uy;
const OPENERS_PUNCT = /["'“‘(\[«‹¿¡「『*_]*/uy;
const CJK_TERMINAL = /[。！？]$/u;
// Bullets, headings, quotes, `1.` `1)` `(1)` `a.` `a)` `(a)` `A)` `iv.` `IV)`. No `A.`/`IV.`: those read as initials.
const LIST_MARKER =
  /^[ \t]*(?:[-*+•‣◦▪▫●○■□–—>]|#{1,6}|\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,6})[.)]|\(?(?:[A-Z]|[IVXLC]{1,6})\))[ \t]+(?=\S)/u;
const URL_OR_EMAIL = /\b(?:https?:\/\/|ftp:\/\/|www\.)[^\s<>"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/giu;
const CONTINUATION_END = /[,;\-–—(&/+=]$/u;
const TERMINAL_END = /[.!?…。！？:]["'”’»)\]}]*$/u;
const WRAPPED_LINE = 50;
const WS = /\s/u;
const LOWER = /^\p{Ll}/u;
const UPPER = /^\p{Lu}/u;
const WORD = /[\p{L}\p{N}'’]+/uy;

interface Range {
  start: number;
  end: number;
}

/** Splits `text` into sentences; offsets are UTF-16 indices into `text`. */
export function segment(text: string): Segment[] {
  const out: Segment[] = [];
  if (!text) return out;
  const protectedRanges = findProtected(text);
  for (const para of paragraphs(text)) {
    let first = true;
    for (const block of blocks(text, para)) {
      for (const s of sentencesInBlock(text, block, protectedRanges)) {
        out.push({ index: out.length, text: text.slice(s.start, s.end), start: s.start, end: s.end, paragraphStart: first });
        first = false;
      }
    }
  }
  return out;
}

/**
 * Segments for sentences given already split (evaluation must not re-split): offsets are into
 * `sentences.join(' ')`, the text that `Detector.scoreSentences` documents.
 */
export function segmentsFromSentences(sentences: readonly string[]): { text: string; segments: Segment[] } {
  const segments: Segment[] = [];
  let pos = 0;
  sentences.forEach((s, index) => {
    segments.push({ index, text: s, start: pos, end: pos + s.length, paragraphStart: index === 0 });
    pos += s.length + 1;
  });
  return { text: sentences.join(' '), segments };
}

/** Words in a text (white-space separated), for the reliability rule. */
export function countWords(text: string): number {
  const m = text.match(/\S+/gu);
  return m ? m.length : 0;
}

function findProtected(text: string): Range[] {
  const ranges: Range[] = [];
  for (const m of text.matchAll(URL_OR_EMAIL)) {
    // A URL or address never ends with the sentence's own punctuation.
    const trimmed = m[0].replace(/[.,;:!?'")\]}>»”’]+$/u, '');
    if (trimmed) ranges.push({ start: m.index, end: m.index + trimmed.length });
  }
  return ranges;
}

/** Whether `pos` lies inside one of the (sorted, disjoint) protected ranges: binary search. */
function isProtected(ranges: Range[], pos: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (pos < r.start) hi = mid - 1;
    else if (pos >= r.end) lo = mid + 1;
    else return true;
  }
  return false;
}

function paragraphs(text: string): Range[] {
  const out: Range[] = [];
  const breaks = /(?:\r?\n|\r|\u2028)[ \t\f\v\u00a0]*(?:(?:\r?\n|\r|\u2028)[ \t\f\v\u00a0]*)+|\u2029/gu;
  let start = 0;
  for (const m of text.matchAll(breaks)) {
    out.push({ start, end: m.index });
    start = m.index + m[0].length;
  }
  out.push({ start, end: text.length });
  return out;
}

/** Cuts a paragraph into blocks at hard line breaks; a block's leading list marker is skipped. */
function blocks(text: string, para: Range): Range[] {
  const lines: Range[] = [];
  const lineBreak = /\r?\n|\r|\u2028/gu;
  lineBreak.lastIndex = para.start;
  let start = para.start;
  for (;;) {
    const m = lineBreak.exec(text);
    if (!m || m.index >= para.end) break;
    lines.push({ start, end: m.index });
    start = m.index + m[0].length;
  }
  lines.push({ start, end: para.end });

  const out: Range[] = [];
  let cur: Range | null = null;
  let prevLine = '';
  for (const line of lines) {
    const content = text.slice(line.start, line.end);
    const trimmed = content.trim();
    if (!trimmed) continue;
    const marker = LIST_MARKER.exec(content);
    const hard = cur === null || marker !== null || isHardBreak(prevLine, trimmed);
    if (hard) {
      if (cur) out.push(cur);
      cur = { start: line.start + (marker ? marker[0].length : 0), end: line.end };
    } else if (cur) {
      cur.end = line.end;
    }
    prevLine = trimmed;
  }
  if (cur) out.push(cur);
  return out;
}

function isHardBreak(prev: string, next: string): boolean {
  if (LOWER.test(next)) return false;
  if (CONTINUATION_END.test(prev)) return false;
  // Ends with punctuation: the scanner decides (it also handles "Dr.\nSmith").
  if (TERMINAL_END.test(prev)) return false;
  // A long line without final punctuation is hard-wrapped prose; a short one is a heading, address, signature.
  return prev.length < WRAPPED_LINE;
}

function sentencesInBlock(text: string, block: Range, protectedRanges: Range[]): Range[] {
  const out: Range[] = [];
  const slice = text.slice(block.start, block.end);
  let sentStart = 0;
  TERMINAL_RUN.lastIndex = 0;
  for (let m = TERMINAL_RUN.exec(slice); m; m = TERMINAL_RUN.exec(slice)) {
    const runStart = m.index;
    const runEnd = runStart + m[0].length;
    CLOSERS.lastIndex = runEnd;
    const closed = CLOSERS.exec(slice);
    const end = runEnd + (closed ? closed[0].length : 0);
    if (end < slice.length && !WS.test(slice[end]!) && !CJK_TERMINAL.test(m[0])) continue;
    if (isProtected(protectedRanges, block.start + runStart)) continue;
    if (!endsSentence(slice, sentStart, runStart, m[0], end)) continue;
    pushTrimmed(out, text, block.start + sentStart, block.start + end);
    sentStart = end;
    TERMINAL_RUN.lastIndex = end;
  }
  pushTrimmed(out, text, block.start + sentStart, block.end);
  return out;
}

function pushTrimmed(out: Range[], text: string, start: number, end: number): void {
  while (start < end && WS.test(text[start]!)) start++;
  while (end > start && WS.test(text[end - 1]!)) end--;
  if (end > start) out.push({ start, end });
}

function endsSentence(slice: string, sentStart: number, runStart: number, run: string, end: number): boolean {
  // The next word, past white space and opening quotes/brackets.
  let i = end;
  while (i < slice.length && WS.test(slice[i]!)) i++;
  if (i >= slice.length) return true;
  OPENERS_PUNCT.lastIndex = i;
  const op = OPENERS_PUNCT.exec(slice);
  const j = i + (op ? op[0].length : 0);
  WORD.lastIndex = j;
  const wm = WORD.exec(slice);
  const nextWord = wm ? wm[0] : '';
  if (LOWER.test(nextWord)) return false;
  if (run !== '.') return true; // ! ? … ... and CJK terminators.

  // The token the full stop closes: back to white space, without leading quotes/brackets.
  let k = runStart;
  while (k > sentStart && !WS.test(slice[k - 1]!)) k--;
  const token = slice.slice(k, runStart).replace(/^["'“‘(\[«]+/u, '');
  if (!token) return true;
  // An inline enumeration marker opening the sentence or following a colon ("Ask: 1. Does it ... ?? 2. Does").
  let first = sentStart;
  while (first < k && WS.test(slice[first]!)) first++;
  let prev = k;
  while (prev > sentStart && WS.test(slice[prev - 1]!)) prev--;
  const opensList = first === k || slice[prev - 1] === ':';
  if (opensList && /^(?:\d{1,3}|[a-z]|[ivxIVX]{1,4})$/u.test(token)) return false;
  const lower = token.toLowerCase();
  if (LOWER_ABBREVIATIONS.has(token)) return false;
  if (/^\p{Lu}[\p{Ll}.]*$/u.test(token) && TITLES.has(lower)) return false;
  if (BEFORE_NUMBERS.has(lower) && /^\p{N}/u.test(nextWord)) return false;
  if (MAY_END.has(lower)) return UPPER.test(nextWord) || /^\p{N}/u.test(nextWord) || nextWord === '';
  const initialOrAcronym = /^\p{Lu}$/u.test(token) || /^(?:\p{L}\.)+\p{L}$/u.test(token);
  if (initialOrAcronym) {
    // "J. A. Smith": an initial followed by another initial is a name, even though "A" opens sentences too.
    if (/^\p{Lu}$/u.test(nextWord) && slice[j + 1] === '.') return false;
    return OPENERS.has(nextWord.toLowerCase().replace(/['’].*$/u, ''));
  }
  return true;
}
