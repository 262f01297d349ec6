// Evidence for a flagged sentence, by occlusion: the sentence is read again with one chunk of its words removed at a
// time, in a window cropped around it, and the chunks whose removal lowers its score most are its evidence. It needs
// nothing from the model but its scores, so it holds for any model with the same inputs and outputs (the shipped one
// joins a transformer, a linear n-gram half and a context head inside one graph). The detector runs the readings
// (analyse/detector.ts); the pure parts are here.
import type { Evidence } from './types.ts';

/** Most chunks (model readings) per sentence: chunks grow from 2 words for long sentences to stay under this. */
export const MAX_CHUNKS = 8;
/** Evidence items per flagged sentence. */
export const MAX_EVIDENCE = 3;
/** A chunk counts as evidence when removing it lowers the score by at least this much. */
export const MIN_DROP = 0.001;

const WORD = /[\p{L}\p{N}]+(?:['’.\-][\p{L}\p{N}]+)*/gu;

export interface Chunk {
  /** Offsets in the sentence's text. */
  start: number;
  end: number;
}

/**
 * The sentence's words in consecutive chunks: one word each for sentences of up to 6 words, else 2 or more words
 * each so that there are at most MAX_CHUNKS. Punctuation between words stays inside a chunk; the final one stays out.
 */
export function wordChunks(sentence: string, maxChunks = MAX_CHUNKS): Chunk[] {
  const words = [...sentence.matchAll(WORD)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  if (words.length === 0) return [];
  const size = words.length <= Math.min(6, maxChunks) ? 1 : Math.max(2, Math.ceil(words.length / maxChunks));
  const chunks: Chunk[] = [];
  for (let k = 0; k < words.length; k += size) {
    const last = words[Math.min(words.length, k + size) - 1]!;
    chunks.push({ start: words[k]!.start, end: last.end });
  }
  return chunks;
}

/** The sentence with a chunk removed (and the white space it leaves collapsed), as if the words had never been there. */
export function withoutChunk(sentence: string, chunk: Chunk): string {
  const before = sentence.slice(0, chunk.start).replace(/\s+$/u, '');
  const after = sentence.slice(chunk.end).replace(/^\s+/u, '');
  if (!before) return after;
  if (!after) return before;
  return /^[\p{P}]/u.test(after) && !/^[(\["'“‘]/u.test(after) ? `${before}${after}` : `${before} ${after}`;
}

/**
 * Sentences `[first, end)` to read sentence `i` in, for evidence: `i` with its nearest neighbours inside the window
 * `[lo, hi)`, alternating sides, while the sequence stays within `budget` tokens ([CLS] and [SEP]s included).
 * `lengths` are token counts per sentence.
 */
export function cropAround(lengths: readonly number[], i: number, lo: number, hi: number, budget: number): { first: number; end: number } {
  let used = 1 + lengths[i]! + 1;
  let first = i;
  let end = i + 1;
  for (let side = 0, stuck = 0; stuck < 2; side ^= 1) {
    const k = side === 0 ? first - 1 : end;
    if (k < lo || k >= hi || used + lengths[k]! + 1 > budget) {
      stuck++;
      continue;
    }
    stuck = 0;
    used += lengths[k]! + 1;
    if (side === 0) first = k;
    else end = k + 1;
  }
  return { first, end };
}

/** The chunks whose removal lowers the score most (at least MIN_DROP), strongest first, in document offsets. */
export function topEvidence(sentence: { text: string; start: number }, chunks: readonly Chunk[], drops: readonly number[]): Evidence[] {
  return chunks
    .map((c, k) => ({ c, drop: drops[k]! }))
    .filter((x) => x.drop >= MIN_DROP)
    .sort((a, b) => b.drop - a.drop || a.c.start - b.c.start)
    .slice(0, MAX_EVIDENCE)
    .map(({ c, drop }) => ({
      start: sentence.start + c.start,
      end: sentence.start + c.end,
      text: sentence.text.slice(c.start, c.end),
      drop: Math.round(drop * 1e6) / 1e6,
    }));
}
