// What the model can read. ptd models are trained on English with a cased English WordPiece vocabulary: other
// scripts become [UNK] and text without words gives the model nothing to go on, yet it still returns a score
// (often a high one). Such sentences are left unscored, with a reason, instead (analyse/detector.ts).
// Pure and dependency-free: every face shows the same reasons in the same words (skipReasonText).
import type { SkipReason, UnreliableReason } from './types.ts';

/** A sentence whose token ids are more than this share of [UNK] is not read. */
export const MAX_UNKNOWN_SHARE = 1 / 3;
/** A sentence whose letters are less than this share Latin script is not English. */
export const MIN_LATIN_SHARE = 0.5;
/**
 * A paragraph of at least this many distinct words of which less than `MIN_ENGLISH_SHARE` are common English words
 * is not English (French, German, Spanish, ... are written in Latin script and tokenize without many [UNK]); its
 * sentences without any common English word are skipped.
 */
export const MIN_WORDS_FOR_ENGLISH_CHECK = 20;
export const MIN_ENGLISH_SHARE = 0.05;

// Frequent English function words; about a third of the words of English prose are among them. Words shared with
// other languages ("a", "in", "on", "no", "so", "die") are left out: they would let other languages pass.
const ENGLISH_WORDS = new Set([
  'the', 'of', 'and', 'to', 'is', 'was', 'that', 'it', 'for', 'with', 'as', 'be', 'by', 'at', 'this', 'are', 'from',
  'or', 'an', 'he', 'she', 'they', 'we', 'you', 'i', 'his', 'her', 'their', 'our', 'my', 'not', 'but', 'have', 'has',
  'had', 'were', 'been', 'will', 'would', 'can', 'could', 'which', 'who', 'what', 'when', 'there', 'if', 'do', 'does',
  'did', 'all', 'more', 'about', 'than', 'into', 'its', 'also', 'one', 'these', 'those', 'them', 'him', 'me', 'us',
  'your', 'how', 'some', 'any', 'should', 'may', 'after', 'before', 'over', 'under', 'between', 'because', 'while',
  'where', 'why', 'each', 'other', 'such', 'only', 'very', 'just', 'then', 'out', 'up', 'new', 'many', 'most', 'first',
]);

const LETTER = /\p{L}/gu;
const LATIN = /\p{Script=Latin}/gu;
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

function count(re: RegExp, text: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(text)) n++;
  return n;
}

/**
 * Why the model cannot read a sentence, or null when it can. `ids` are the sentence's token ids and `unknownId` the
 * tokenizer's [UNK] (undefined when it has none). Order matters: a sentence without letters is "no letters", one in
 * another script is "language" even though its tokens are [UNK] too.
 */
export function skipReason(text: string, ids: readonly number[], unknownId: number | undefined): SkipReason | null {
  const letters = count(LETTER, text);
  if (letters === 0) return 'no-letters';
  if (count(LATIN, text) / letters < MIN_LATIN_SHARE) return 'language';
  if (unknownId !== undefined && ids.length > 0) {
    let unknown = 0;
    for (const id of ids) if (id === unknownId) unknown++;
    if (unknown / ids.length > MAX_UNKNOWN_SHARE) return 'unknown-words';
  }
  return null;
}

/**
 * Skip reasons for every sentence of a document: `skipReason` per sentence, then per paragraph (sentences from one
 * with `paragraphStart` to the next) the English-words check, which a single sentence is too short for.
 */
export function skipReasons(
  sentences: ReadonlyArray<{ text: string; paragraphStart?: boolean }>,
  ids: readonly (readonly number[])[],
  unknownId: number | undefined,
): Array<SkipReason | null> {
  const out = sentences.map((s, i) => skipReason(s.text, ids[i]!, unknownId));
  const english = sentences.map((s) => (s.text.match(WORD) ?? []).map((w) => w.toLowerCase()));
  let first = 0;
  for (let i = 1; i <= sentences.length; i++) {
    if (i < sentences.length && !sentences[i]!.paragraphStart) continue;
    const distinct = new Set<string>();
    for (let k = first; k < i; k++) if (!out[k]) for (const w of english[k]!) distinct.add(w);
    let known = 0;
    for (const w of distinct) if (ENGLISH_WORDS.has(w)) known++;
    if (distinct.size >= MIN_WORDS_FOR_ENGLISH_CHECK && known / distinct.size < MIN_ENGLISH_SHARE) {
      for (let k = first; k < i; k++) if (!english[k]!.some((w) => ENGLISH_WORDS.has(w))) out[k] ??= 'language';
    }
    first = i;
  }
  return out;
}

/** The same reasons in words, for every face ("not English — not checked"). */
export function skipReasonText(reason: SkipReason | UnreliableReason): string {
  switch (reason) {
    case 'language':
      return 'not English — not checked';
    case 'unknown-words':
      return 'mostly words the model does not know — not checked';
    case 'no-letters':
      return 'no words to read — not checked';
    case 'too-short':
      return 'too short to judge reliably (under 2 sentences or 30 words)';
  }
}
