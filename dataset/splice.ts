// The PASTED constructions over aligned sentences: splicing a run of rewritten sentences into the original,
// light edits labelled per changed sentence, and span rewrites. Pure functions over sentence lists.
import type { AlignmentGroup } from './align.ts';
import { alignSentences } from './align.ts';
import { lexicalChange } from './bleu.ts';
import { randomInt, type Random } from './random.ts';

/** One sentence of a built record. */
export interface LabelledSentence {
  text: string;
  label: 0 | 1;
  /** 1 − BLEU-4 against the aligned original (0 for human sentences). */
  lexical: number;
  /** A paraphrased sentence's aligned original sentences ([] when it has none); absent for human sentences. */
  reference?: string[];
}

/** Longest run of original sentences a splice replaces (PASTED: 1–10). */
export const MAX_SPLICE = 10;

/** Sentences are stored on one line: runs of white space become one space. */
export function normalizeSentence(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

function same(a: string, b: string): boolean {
  return normalizeSentence(a) === normalizeSentence(b);
}

/** Whether a group's rewrite side differs from its original side (a dropped or added sentence is a change). */
export function groupChanged(original: string[], rewrite: string[], g: AlignmentGroup): boolean {
  const o = original.slice(g.origStart, g.origEnd).join(' ');
  const r = rewrite.slice(g.rewStart, g.rewEnd).join(' ');
  return !same(o, r);
}

/** The rewrite sentences of one group, each labelled 1 with its lexical change against the group's originals. */
function paraphrased(original: string[], rewrite: string[], g: AlignmentGroup): LabelledSentence[] {
  const originals = original.slice(g.origStart, g.origEnd).map(normalizeSentence).filter((o) => o !== '');
  const reference = originals.join(' ');
  const out: LabelledSentence[] = [];
  for (let j = g.rewStart; j < g.rewEnd; j++) {
    const text = normalizeSentence(rewrite[j]!);
    out.push({ text, label: 1, lexical: reference ? lexicalChange(text, reference) : 1, reference: originals });
  }
  return out;
}

function human(sentences: string[]): LabelledSentence[] {
  return sentences.map((s) => ({ text: normalizeSentence(s), label: 0, lexical: 0 }));
}

/** A run of consecutive alignment groups [first, last] that a splice may replace. */
export interface SpliceRun {
  first: number;
  last: number;
  /** Original sentences replaced. */
  length: number;
}

/**
 * Runs of whole groups covering 1–MAX_SPLICE original sentences, with at least one rewrite sentence, that start
 * and end on a changed group (so the paraphrased span is bounded by real changes) and leave at least one
 * original sentence untouched when the document has more than one.
 */
export function spliceRuns(original: string[], rewrite: string[], groups: AlignmentGroup[]): SpliceRun[] {
  const changed = groups.map((g) => groupChanged(original, rewrite, g));
  const limit = original.length > 1 ? Math.min(MAX_SPLICE, original.length - 1) : 1;
  const runs: SpliceRun[] = [];
  for (let first = 0; first < groups.length; first++) {
    if (!changed[first] || groups[first]!.rewEnd === groups[first]!.rewStart) continue;
    for (let last = first; last < groups.length; last++) {
      const length = groups[last]!.origEnd - groups[first]!.origStart;
      if (length > limit) break;
      if (length < 1 || !changed[last] || groups[last]!.rewEnd === groups[last]!.rewStart) continue;
      runs.push({ first, last, length });
    }
  }
  return runs;
}

/**
 * Picks up to `count` distinct runs: a length uniformly among the lengths available, then a run of that length
 * uniformly (PASTED samples the span length first).
 */
export function pickRuns(runs: SpliceRun[], count: number, random: Random): SpliceRun[] {
  const pool = [...runs];
  const picked: SpliceRun[] = [];
  while (picked.length < count && pool.length > 0) {
    const lengths = [...new Set(pool.map((r) => r.length))].sort((a, b) => a - b);
    const length = lengths[randomInt(random, lengths.length)]!;
    const ofLength = pool.filter((r) => r.length === length);
    const run = ofLength[randomInt(random, ofLength.length)]!;
    picked.push(run);
    pool.splice(pool.indexOf(run), 1);
  }
  return picked.sort((a, b) => a.first - b.first || a.last - b.last);
}

/** The original with the run's original sentences replaced by their aligned rewrite sentences (labelled 1). */
export function splice(
  original: string[],
  rewrite: string[],
  groups: AlignmentGroup[],
  run: SpliceRun,
): LabelledSentence[] {
  const start = groups[run.first]!.origStart;
  const end = groups[run.last]!.origEnd;
  const middle: LabelledSentence[] = [];
  for (let k = run.first; k <= run.last; k++) middle.push(...paraphrased(original, rewrite, groups[k]!));
  return [...human(original.slice(0, start)), ...middle, ...human(original.slice(end))];
}

/** The whole rewrite, each sentence labelled by whether its group changed (light polishing). */
export function lightEdit(original: string[], rewrite: string[], groups: AlignmentGroup[]): LabelledSentence[] {
  const out: LabelledSentence[] = [];
  for (const g of groups) {
    if (g.rewEnd === g.rewStart) continue;
    if (!groupChanged(original, rewrite, g)) {
      out.push(...human(rewrite.slice(g.rewStart, g.rewEnd)));
      continue;
    }
    // In a changed group (a split or merge), a sentence kept word for word is still human.
    const kept = new Set(original.slice(g.origStart, g.origEnd).map(normalizeSentence));
    for (const s of paraphrased(original, rewrite, g)) out.push(kept.has(s.text) ? { text: s.text, label: 0, lexical: 0 } : s);
  }
  return out;
}

/**
 * A passage with each span [start, end) replaced by its rewrite's sentences, every one labelled 1; lexical
 * change from an alignment of the rewrite to the span it replaces (1 for a sentence with no counterpart).
 */
export function spanRewrite(
  sentences: string[],
  spans: [number, number][],
  rewrites: string[][],
): LabelledSentence[] {
  const order = spans.map((s, k) => ({ start: s[0], end: s[1], rewrite: rewrites[k]! })).sort((a, b) => a.start - b.start);
  const out: LabelledSentence[] = [];
  let at = 0;
  for (const span of order) {
    out.push(...human(sentences.slice(at, span.start)));
    const originals = sentences.slice(span.start, span.end);
    for (const g of alignSentences(originals, span.rewrite)) {
      if (g.rewEnd === g.rewStart) continue;
      const labelled = paraphrased(originals, span.rewrite, g);
      out.push(...labelled);
    }
    at = span.end;
  }
  out.push(...human(sentences.slice(at)));
  return out.filter((s) => s.text !== '');
}
