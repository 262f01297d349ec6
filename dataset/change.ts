// How a detector's score grows with the amount of change: paraphrased sentences binned by their lexical and
// syntactic change, the mean score in each bin (the picture behind PASTED's Pearson correlations).
import type { ParsedRecord } from './records.ts';

export type ChangeSignal = 'lexical' | 'syntactic';

export interface ChangeBin {
  from: number;
  to: number;
  /** Paraphrased sentences whose change falls in [from, to) ([from, to] for the last bin). */
  sentences: number;
  /** Their mean score (null for an empty bin). */
  mean: number | null;
}

export interface ChangeProfile {
  signal: ChangeSignal;
  bins: ChangeBin[];
}

/** One profile per signal the records carry (values in [0, 1]; sentences without a value are left out). */
export function changeProfiles(records: ParsedRecord[], scores: number[][], bins = 5): ChangeProfile[] {
  const profiles: ChangeProfile[] = [];
  for (const signal of ['lexical', 'syntactic'] as const) {
    const sums = new Array<number>(bins).fill(0);
    const counts = new Array<number>(bins).fill(0);
    let any = false;
    records.forEach((r, k) => {
      const values = r[signal];
      if (!values) return;
      r.truth.forEach((t, i) => {
        const v = values[i];
        if (t !== 1 || v === null || v === undefined || !(v >= 0 && v <= 1)) return;
        const b = Math.min(bins - 1, Math.floor(v * bins));
        sums[b]! += scores[k]![i]!;
        counts[b]!++;
        any = true;
      });
    });
    if (!any) continue;
    profiles.push({
      signal,
      bins: counts.map((n, b) => ({ from: b / bins, to: (b + 1) / bins, sentences: n, mean: n ? sums[b]! / n : null })),
    });
  }
  return profiles;
}
