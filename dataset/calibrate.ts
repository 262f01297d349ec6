// Calibration of a model from its runtime scores: the temperature of the paraphrase channel and the thresholds
// for target false-positive rates. Thresholds are fitted so that the promised FPR holds for every source with
// enough human sentences (within `maxRatio` × target), not only on the pooled mix: a threshold that averages a
// strict source with a lenient one flags the lenient source's human text far more often than promised.
import { classificationAt, nextUp, thresholdForFpr, type Truth } from './metrics.ts';

const EPS = 1e-7;

function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

function meanNll(logits: ArrayLike<number>, truth: Truth, temperature: number): number {
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]! / temperature;
    // -log sigmoid(z) for positives, -log(1 - sigmoid(z)) for negatives, stable for large |z|
    const m = truth[i]! > 0 ? -z : z;
    sum += m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
  }
  return sum / Math.max(1, logits.length);
}

/**
 * The temperature T that minimises the log loss of sigmoid(logit / T), from probabilities the runtime produced
 * at temperature `current` (logit = current × logit(p); exact for sentences read in one window, and close for
 * the others, whose probability is a weighted mean of readings). Golden-section search over log T in [0.05, 20].
 */
export function fitTemperature(probabilities: ArrayLike<number>, truth: Truth, current = 1): number {
  const logits = Float64Array.from({ length: probabilities.length }, (_, i) => current * logit(probabilities[i]!));
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let a = hi - phi * (hi - lo);
  let b = lo + phi * (hi - lo);
  let fa = meanNll(logits, truth, Math.exp(a));
  let fb = meanNll(logits, truth, Math.exp(b));
  for (let k = 0; k < 80; k++) {
    if (fa < fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - phi * (hi - lo);
      fa = meanNll(logits, truth, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + phi * (hi - lo);
      fb = meanNll(logits, truth, Math.exp(b));
    }
  }
  return Math.exp((lo + hi) / 2);
}

export interface GroupRate {
  /** Human sentences of the group (the FPR's denominator). */
  negatives: number;
  /** FPR at the threshold. */
  fpr: number;
  /** Recall at the threshold (null when the group has no paraphrased sentence). */
  recall: number | null;
}

export interface RobustThreshold {
  targetFpr: number;
  threshold: number;
  /** Pooled FPR and TPR at the threshold. */
  achievedFpr: number;
  tpr: number;
  /** What decided it: the pooled target, or the group whose FPR would otherwise pass maxRatio × target. */
  boundBy: string;
  /** Per group with enough human sentences: FPR and recall at the threshold. */
  groups: Record<string, GroupRate>;
}

export interface RobustOptions {
  /** A group's FPR may reach this multiple of the target (1.5 by default). */
  maxRatio?: number;
  /** Groups with fewer human sentences are reported but do not bind (their FPR is too noisy): 300 by default. */
  minNegatives?: number;
}

/** Scores and truth of the sentences whose group is `g`. */
function pick(scores: ArrayLike<number>, truth: Truth, groups: readonly string[], g: string): { s: number[]; t: number[] } {
  const s: number[] = [];
  const t: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (groups[i] === g) {
      s.push(scores[i]!);
      t.push(truth[i]!);
    }
  }
  return { s, t };
}

/** The lowest threshold at which at most `fpr` of the human scores are flagged. */
function thresholdForHumanFpr(humanScores: number[], fpr: number): number {
  const sorted = [...humanScores].sort((a, b) => b - a);
  const allowed = Math.floor(fpr * sorted.length);
  // flagging is score >= threshold: the threshold must sit above the (allowed + 1)-th highest human score
  if (allowed >= sorted.length) return 0;
  return nextUp(sorted[allowed]!);
}

/**
 * For each target FPR: the lowest threshold whose pooled FPR is at most the target and whose FPR in every
 * group with at least `minNegatives` human sentences is at most `maxRatio` × target.
 */
export function robustThresholds(
  scores: ArrayLike<number>,
  truth: Truth,
  groups: readonly string[],
  targets: readonly number[],
  options: RobustOptions = {},
): RobustThreshold[] {
  const maxRatio = options.maxRatio ?? 1.5;
  const minNegatives = options.minNegatives ?? 300;
  const names = [...new Set(groups)].sort();
  const byGroup = new Map(names.map((g) => [g, pick(scores, truth, groups, g)]));
  return targets.map((target) => {
    const pooled = thresholdForFpr(scores, truth, target);
    if (!pooled) throw new Error('calibration needs both human and paraphrased sentences');
    let threshold = pooled.threshold;
    let boundBy = 'pooled';
    for (const g of names) {
      const { s, t } = byGroup.get(g)!;
      const human = s.filter((_, i) => !(t[i]! > 0));
      if (human.length < minNegatives) continue;
      const own = thresholdForHumanFpr(human, maxRatio * target);
      if (own > threshold) {
        threshold = own;
        boundBy = g;
      }
    }
    const all = classificationAt(scores, truth, threshold);
    const rates: Record<string, GroupRate> = {};
    for (const g of names) {
      const { s, t } = byGroup.get(g)!;
      const c = classificationAt(s, t, threshold);
      if (c.fp + c.tn === 0) continue;
      rates[g] = { negatives: c.fp + c.tn, fpr: c.fpr!, recall: c.recall };
    }
    return { targetFpr: target, threshold, achievedFpr: all.fpr ?? 0, tpr: all.recall ?? 0, boundBy, groups: rates };
  });
}
