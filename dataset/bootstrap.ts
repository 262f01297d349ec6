// Confidence intervals for the evaluation metrics by the bootstrap over documents. The sentences of one document
// are not independent (one author, one paraphrased span, one paraphraser), so resampling sentences would make the
// intervals too narrow. Each replicate draws the documents with replacement; a document drawn k times weighs k.
// The metrics are then computed with those weights over one score order fixed in advance: O(sentences) per
// replicate, no re-sorting. With every weight 1 they equal metrics.ts's auroc, tprAtFpr and pearson exactly.
import { mulberry32, randomInt, type Random } from './random.ts';

/** Sentences with their scores, truth and the (0-based, dense) index of the document each belongs to. */
export interface WeightedSample {
  scores: ArrayLike<number>;
  truth: ArrayLike<number>;
  doc: ArrayLike<number>;
}

/** Indices sorted by score, highest first (ties adjacent). */
export function descendingOrder(scores: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]!);
  return order;
}

/** Walks the sorted sentences group by group of tied scores, with each sentence weighted by its document's weight. */
function walk(
  s: WeightedSample,
  order: Int32Array,
  docWeight: ArrayLike<number>,
  visit: (groupPos: number, groupNeg: number) => boolean | void,
): void {
  for (let k = 0; k < order.length; ) {
    const score = s.scores[order[k]!]!;
    let gp = 0;
    let gn = 0;
    while (k < order.length && s.scores[order[k]!]! === score) {
      const i = order[k]!;
      const w = docWeight[s.doc[i]!]!;
      if (s.truth[i]! > 0) gp += w;
      else gn += w;
      k++;
    }
    if (visit(gp, gn) === false) return;
  }
}

function classWeights(s: WeightedSample, docWeight: ArrayLike<number>): { pos: number; neg: number } {
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < s.truth.length; i++) {
    const w = docWeight[s.doc[i]!]!;
    if (s.truth[i]! > 0) pos += w;
    else neg += w;
  }
  return { pos, neg };
}

/** AUROC with sentence weights (ties count one half); null when a class has no weight. */
export function weightedAuroc(s: WeightedSample, order: Int32Array, docWeight: ArrayLike<number>): number | null {
  const { pos, neg } = classWeights(s, docWeight);
  if (pos === 0 || neg === 0) return null;
  let above = 0; // positive weight strictly above the current group
  let area = 0;
  walk(s, order, docWeight, (gp, gn) => {
    area += gn * (above + gp / 2);
    above += gp;
  });
  return area / (pos * neg);
}

/** PASTED's `tpr[fpr < maxFpr][-1]` with sentence weights; null when a class has no weight. */
export function weightedTprAtFpr(s: WeightedSample, order: Int32Array, docWeight: ArrayLike<number>, maxFpr: number): number | null {
  const { pos, neg } = classWeights(s, docWeight);
  if (pos === 0 || neg === 0) return null;
  let tp = 0;
  let fp = 0;
  let best = 0;
  walk(s, order, docWeight, (gp, gn) => {
    tp += gp;
    fp += gn;
    if (fp / neg >= maxFpr) return false; // the FPR only grows from here
    best = tp / pos;
  });
  return best;
}

/** Pearson r with weights on pairs; null when either side has no variance. */
export function weightedPearson(x: ArrayLike<number>, y: ArrayLike<number>, doc: ArrayLike<number>, docWeight: ArrayLike<number>): number | null {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    const w = docWeight[doc[i]!]!;
    sw += w;
    sx += w * x[i]!;
    sy += w * y[i]!;
  }
  if (sw === 0) return null;
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < x.length; i++) {
    const w = docWeight[doc[i]!]!;
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += w * dx * dx;
    syy += w * dy * dy;
    sxy += w * dx * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Document weights of one bootstrap replicate: `documents` draws with replacement. */
export function resampleDocuments(documents: number, random: Random, out = new Float64Array(documents)): Float64Array {
  out.fill(0);
  for (let k = 0; k < documents; k++) out[randomInt(random, documents)]!++;
  return out;
}

export type Interval = [low: number, high: number];

/** The central `level` percentile interval of the values (nulls dropped); null when none are left. */
export function percentileInterval(values: (number | null)[], level: number): Interval | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const at = (q: number) => {
    const pos = q * (v.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(v.length - 1, lo + 1);
    return v[lo]! + (pos - lo) * (v[hi]! - v[lo]!);
  };
  const tail = (1 - level) / 2;
  return [at(tail), at(1 - tail)];
}

export interface BootstrapOptions {
  /** Number of replicates (1,000 is the usual choice for 95% intervals). */
  replicates: number;
  seed: number;
  /** Coverage of the intervals (default 0.95). */
  level?: number;
}

/** A sample and the statistics to bootstrap on it, each a function of the replicate's document weights. */
export type Statistic = (docWeight: Float64Array) => number | null;

/**
 * Percentile intervals of several statistics over the same replicates (the same resampled documents for all,
 * so differences between statistics computed on one replicate are paired).
 */
export function bootstrapIntervals<K extends string>(
  documents: number,
  statistics: Record<K, Statistic>,
  options: BootstrapOptions,
): Record<K, Interval | null> {
  const random = mulberry32(options.seed);
  const keys = Object.keys(statistics) as K[];
  const values = Object.fromEntries(keys.map((k) => [k, [] as (number | null)[]])) as Record<K, (number | null)[]>;
  const weights = new Float64Array(documents);
  for (let r = 0; r < options.replicates; r++) {
    resampleDocuments(documents, random, weights);
    for (const k of keys) values[k].push(statistics[k](weights));
  }
  const level = options.level ?? 0.95;
  return Object.fromEntries(keys.map((k) => [k, percentileInterval(values[k], level)])) as Record<K, Interval | null>;
}
