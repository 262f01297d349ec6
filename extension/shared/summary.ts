// Counting flagged sentences at a threshold: shared by the content script (data-ptd-flagged) and the popup
// (the threshold slider re-labels from the stored scores, without running the model again).
import { scoreBand } from '../../ui/palette.ts';
import type { Threshold } from '../../model/types.ts';

export interface Counts {
  flagged: number;
  borderline: number;
  paraphrasedFraction: number;
}

export function countAt(scores: readonly number[], threshold: number): Counts {
  let flagged = 0;
  let borderline = 0;
  for (const s of scores) {
    const band = scoreBand(s, threshold);
    if (band === 'flagged') flagged++;
    else if (band === 'borderline') borderline++;
  }
  return { flagged, borderline, paraphrasedFraction: scores.length ? flagged / scores.length : 0 };
}

/** Words for a threshold: which fitted operating point it is, if any ("fitted for 1% false positives"). */
export function describeThreshold(threshold: number, fitted: readonly Threshold[]): string {
  const match = fitted.find((t) => Math.abs(t.threshold - threshold) < 0.005);
  if (match) {
    const pct = (x: number) => `${+(x * 100).toPrecision(2)}%`;
    return `fitted for ${pct(match.targetFpr)} false positives (reached ${pct(match.achievedFpr)}, catches ${pct(match.tpr)})`;
  }
  const stricter = fitted.filter((t) => t.threshold <= threshold).length;
  if (fitted.length && stricter === fitted.length) return 'stricter than every fitted operating point';
  if (fitted.length && stricter === 0) return 'more sensitive than every fitted operating point: expect more false positives';
  return 'custom';
}
