// Logits → scores. The paraphrase channel is calibrated with the model's temperature
// (probability = sigmoid(logit / T)); the degree channel (1 − BLEU-4 regression) is a plain sigmoid.
// A sentence read in several windows gets the weighted mean of its readings (weights from window.ts).
import type { SentenceLabel } from './types.ts';

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** One reading of a sentence: its logits at the [SEP] after it, in one window. */
export interface Reading {
  sentence: number;
  paraphraseLogit: number;
  degreeLogit?: number;
  weight: number;
}

export interface MergedScores {
  /** Calibrated probability per sentence (NaN for a sentence never read, which planWindows rules out). */
  scores: Float64Array;
  /** Degree of change per sentence, when the model has that output. */
  degrees?: Float64Array;
}

export function mergeReadings(sentences: number, readings: readonly Reading[], temperature: number): MergedScores {
  const sum = new Float64Array(sentences);
  const weight = new Float64Array(sentences);
  const hasDegree = readings.length > 0 && readings.every((r) => r.degreeLogit !== undefined);
  const degreeSum = hasDegree ? new Float64Array(sentences) : undefined;
  for (const r of readings) {
    sum[r.sentence]! += r.weight * sigmoid(r.paraphraseLogit / temperature);
    if (degreeSum) degreeSum[r.sentence]! += r.weight * sigmoid(r.degreeLogit!);
    weight[r.sentence]! += r.weight;
  }
  const scores = new Float64Array(sentences);
  const degrees = degreeSum ? new Float64Array(sentences) : undefined;
  for (let i = 0; i < sentences; i++) {
    scores[i] = weight[i]! > 0 ? sum[i]! / weight[i]! : Number.NaN;
    if (degrees) degrees[i] = weight[i]! > 0 ? degreeSum![i]! / weight[i]! : Number.NaN;
  }
  return degrees ? { scores, degrees } : { scores };
}

export function labelFor(score: number, threshold: number): SentenceLabel {
  return score >= threshold ? 'paraphrased' : 'human';
}

/** Rounds a probability for output (6 decimals: stable JSON, no false precision). */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
