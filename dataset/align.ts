// Monotonic sentence alignment of a rewrite to its original, by lexical similarity (dynamic programming).
// Moves: 1:1, 1:2 (an original split in two), 2:1 (two originals merged), 1:0 (original dropped),
// 0:1 (sentence added). The alignment maximises Σ (similarity − MIN_SIMILARITY) × (sentences consumed / 2)
// over matched groups, less MERGE_PENALTY per 1:2 or 2:1; dropped and added sentences score 0, so a pairing below MIN_SIMILARITY is never taken.
// A stretch of dropped and added sentences between two aligned groups is then merged into one m:n group.

/** One aligned group: originals [origStart, origEnd) correspond to rewrite sentences [rewStart, rewEnd). */
export interface AlignmentGroup {
  origStart: number;
  origEnd: number;
  rewStart: number;
  rewEnd: number;
  /** Lexical similarity of the two sides (0 for 1:0 and 0:1). */
  similarity: number;
}

/** Pairings less similar than this are left unaligned (1:0 + 0:1). */
export const MIN_SIMILARITY = 0.2;
/** Cost of a 1:2 or 2:1 group, so that two good 1:1 pairs win over a merge of them. */
export const MERGE_PENALTY = 0.1;

type Bag = Map<string, number>;

function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) as string[];
}

function bagOf(list: string[]): Bag {
  const bag: Bag = new Map();
  for (const w of list) bag.set(w, (bag.get(w) ?? 0) + 1);
  return bag;
}

function size(bag: Bag): number {
  let n = 0;
  for (const c of bag.values()) n += c;
  return n;
}

function merge(a: Bag, b: Bag): Bag {
  const out = new Map(a);
  for (const [w, c] of b) out.set(w, (out.get(w) ?? 0) + c);
  return out;
}

/** Unigram F1 (Dice over word multisets, lower-cased): 1 for the same words, 0 for none shared. */
function bagSimilarity(a: Bag, b: Bag): number {
  const na = size(a);
  const nb = size(b);
  if (na === 0 || nb === 0) return 0;
  let common = 0;
  for (const [w, c] of a) common += Math.min(c, b.get(w) ?? 0);
  return (2 * common) / (na + nb);
}

export function similarity(a: string, b: string): number {
  return bagSimilarity(bagOf(words(a)), bagOf(words(b)));
}

interface Move {
  di: number;
  dj: number;
}
const MOVES: Move[] = [
  { di: 1, dj: 1 },
  { di: 1, dj: 2 },
  { di: 2, dj: 1 },
  { di: 1, dj: 0 },
  { di: 0, dj: 1 },
];

export function alignSentences(original: string[], rewrite: string[]): AlignmentGroup[] {
  const n = original.length;
  const m = rewrite.length;
  const ob = original.map((s) => bagOf(words(s)));
  const rb = rewrite.map((s) => bagOf(words(s)));
  const simOf = (i: number, j: number, move: Move): number => {
    if (move.di === 0 || move.dj === 0) return 0;
    const o = move.di === 1 ? ob[i]! : merge(ob[i]!, ob[i + 1]!);
    const r = move.dj === 1 ? rb[j]! : merge(rb[j]!, rb[j + 1]!);
    return bagSimilarity(o, r);
  };
  // best[i][j]: best score aligning original[i..] with rewrite[j..]; filled backwards.
  const best: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  const choice: Int8Array[] = Array.from({ length: n + 1 }, () => new Int8Array(m + 1).fill(-1));
  const sims: Float64Array[] = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      if (i === n && j === m) continue;
      let bestScore = -Infinity;
      let bestMove = -1;
      let bestSim = 0;
      for (let k = 0; k < MOVES.length; k++) {
        const mv = MOVES[k]!;
        if (i + mv.di > n || j + mv.dj > m) continue;
        let gain = 0;
        let sim = 0;
        if (mv.di > 0 && mv.dj > 0) {
          sim = simOf(i, j, mv);
          if (sim < MIN_SIMILARITY) continue;
          gain = (sim - MIN_SIMILARITY) * ((mv.di + mv.dj) / 2) - (mv.di + mv.dj > 2 ? MERGE_PENALTY : 0);
        }
        const score = gain + best[i + mv.di]![j + mv.dj]!;
        // Ties go to the earlier move in MOVES (1:1 first).
        if (score > bestScore + 1e-12) {
          bestScore = score;
          bestMove = k;
          bestSim = sim;
        }
      }
      best[i]![j] = bestScore;
      choice[i]![j] = bestMove;
      sims[i]![j] = bestSim;
    }
  }
  const groups: AlignmentGroup[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const mv = MOVES[choice[i]![j]!]!;
    groups.push({ origStart: i, origEnd: i + mv.di, rewStart: j, rewEnd: j + mv.dj, similarity: sims[i]![j]! });
    i += mv.di;
    j += mv.dj;
  }
  return mergeUnaligned(groups, ob, rb);
}

/**
 * Adjacent dropped (1:0) and added (0:1) sentences between two aligned groups are one rewritten stretch
 * (a sentence reworded beyond word overlap): they become a single m:n group, so its rewrite sentences get
 * a lexical change against the originals they replace instead of none.
 */
function mergeUnaligned(groups: AlignmentGroup[], ob: Bag[], rb: Bag[]): AlignmentGroup[] {
  const out: AlignmentGroup[] = [];
  let k = 0;
  while (k < groups.length) {
    const g = groups[k]!;
    const unaligned = (x: AlignmentGroup) => x.origEnd === x.origStart || x.rewEnd === x.rewStart;
    if (!unaligned(g)) {
      out.push(g);
      k++;
      continue;
    }
    let end = k;
    while (end + 1 < groups.length && unaligned(groups[end + 1]!)) end++;
    const merged: AlignmentGroup = {
      origStart: g.origStart,
      origEnd: groups[end]!.origEnd,
      rewStart: g.rewStart,
      rewEnd: groups[end]!.rewEnd,
      similarity: 0,
    };
    if (merged.origEnd > merged.origStart && merged.rewEnd > merged.rewStart) {
      let o: Bag = new Map();
      let r: Bag = new Map();
      for (let i = merged.origStart; i < merged.origEnd; i++) o = merge(o, ob[i]!);
      for (let j = merged.rewStart; j < merged.rewEnd; j++) r = merge(r, rb[j]!);
      merged.similarity = bagSimilarity(o, r);
      out.push(merged);
    } else {
      out.push(...groups.slice(k, end + 1));
    }
    k = end + 1;
  }
  return out;
}

/** `1:1`, `1:2`, `2:1`, `1:0` or `0:1`. */
export function groupKind(g: AlignmentGroup): string {
  return `${g.origEnd - g.origStart}:${g.rewEnd - g.rewStart}`;
}
