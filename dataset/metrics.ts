// Sentence-level detection metrics as PASTED and RAID report them. Pure functions over parallel arrays of
// scores (higher = more likely paraphrased) and binary truth (1 = paraphrased). A metric that cannot be
// computed (one class missing, no variance) is null.

export type Truth = ArrayLike<number>;

export interface RocCurve {
  /** Non-decreasing; the first point is (0, 0) at threshold +Infinity, the last (1, 1). */
  fpr: number[];
  tpr: number[];
  /** Score >= threshold counts as positive. */
  thresholds: number[];
}

function counts(truth: Truth): { pos: number; neg: number } {
  let pos = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i]! > 0) pos++;
  return { pos, neg: truth.length - pos };
}

function checkLengths(scores: ArrayLike<number>, other: ArrayLike<number>): void {
  if (scores.length !== other.length) throw new Error(`length mismatch: ${scores.length} scores, ${other.length} labels`);
}

/** The ROC curve with one point per distinct score (as scikit-learn's roc_curve with drop_intermediate=false). */
export function rocCurve(scores: ArrayLike<number>, truth: Truth): RocCurve | null {
  checkLengths(scores, truth);
  const { pos, neg } = counts(truth);
  if (pos === 0 || neg === 0) return null;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (truth[i]! > 0) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next]! !== scores[i]!) {
      fpr.push(fp / neg);
      tpr.push(tp / pos);
      thresholds.push(scores[i]!);
    }
  }
  return { fpr, tpr, thresholds };
}

/** Area under the ROC curve; tied scores count one half (Mann–Whitney U with average ranks). */
export function auroc(scores: ArrayLike<number>, truth: Truth): number | null {
  checkLengths(scores, truth);
  const { pos, neg } = counts(truth);
  if (pos === 0 || neg === 0) return null;
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0;
  for (let k = 0; k < order.length; ) {
    let end = k;
    while (end + 1 < order.length && scores[order[end + 1]!]! === scores[order[k]!]!) end++;
    const averageRank = (k + end) / 2 + 1;
    for (let t = k; t <= end; t++) if (truth[order[t]!]! > 0) rankSumPos += averageRank;
    k = end + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * PASTED's detection accuracy: `tpr[fpr < maxFpr][-1]` over the ROC curve — the highest TPR reached while
 * the FPR stays strictly below `maxFpr` (0 when no threshold flags a positive without reaching it).
 */
export function tprAtFpr(scores: ArrayLike<number>, truth: Truth, maxFpr: number): number | null {
  const curve = rocCurve(scores, truth);
  if (!curve) return null;
  let best = 0;
  for (let k = 0; k < curve.fpr.length; k++) if (curve.fpr[k]! < maxFpr) best = Math.max(best, curve.tpr[k]!);
  return best;
}

/** The smallest double greater than x. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new Float64Array([x]);
  const bits = new BigInt64Array(buf.buffer);
  bits[0] = bits[0]! + (x > 0 ? 1n : -1n);
  return buf[0]!;
}

export interface FittedThreshold {
  targetFpr: number;
  /** Flag a sentence when score >= threshold. */
  threshold: number;
  achievedFpr: number;
  tpr: number;
}

/**
 * The lowest threshold whose FPR is at most `targetFpr` (so the highest TPR within the budget), with the
 * FPR and TPR it reaches. When no score qualifies, the threshold sits just above the highest score.
 */
export function thresholdForFpr(scores: ArrayLike<number>, truth: Truth, targetFpr: number): FittedThreshold | null {
  const curve = rocCurve(scores, truth);
  if (!curve) return null;
  let k = 0;
  while (k + 1 < curve.fpr.length && curve.fpr[k + 1]! <= targetFpr) k++;
  let threshold = curve.thresholds[k]!;
  if (threshold === Infinity) {
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) max = Math.max(max, scores[i]!);
    threshold = nextUp(max);
  }
  return { targetFpr, threshold, achievedFpr: curve.fpr[k]!, tpr: curve.tpr[k]! };
}

/** Pearson correlation coefficient; null with fewer than 2 values or when either side is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  checkLengths(x, y);
  const n = x.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

export interface Classification {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** 0 when nothing is flagged. */
  precision: number;
  /** null without positives. */
  recall: number | null;
  /** null when there is nothing to find and nothing flagged. */
  f1: number | null;
  fpr: number | null;
}

/** Precision, recall and F1 of flagging score >= threshold. */
export function classificationAt(scores: ArrayLike<number>, truth: Truth, threshold: number): Classification {
  checkLengths(scores, truth);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! >= threshold;
    if (truth[i]! > 0) flagged ? tp++ : fn++;
    else flagged ? fp++ : tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : null;
  const f1 = tp + fp + fn ? (2 * tp) / (2 * tp + fp + fn) : null;
  const fpr = fp + tn ? fp / (fp + tn) : null;
  return { threshold, tp, fp, tn, fn, precision, recall, f1, fpr };
}
