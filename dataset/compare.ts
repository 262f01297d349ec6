// Several detectors on the same records: how each differs from the first one (the reference). With a bootstrap,
// the intervals are paired: each replicate resamples the same documents for both detectors and takes the
// difference there, so the interval measures the difference itself, not the two detectors' noise added up (two
// models 0.01 apart in AUROC can be clearly different on paired resamples while each one's own interval is ±0.016).
import {
  bootstrapIntervals,
  descendingOrder,
  weightedAuroc,
  weightedTprAtFpr,
  type BootstrapOptions,
  type Interval,
} from './bootstrap.ts';
import { documentSample, groupRecords, round, roundInterval } from './evaluate.ts';
import type { ParsedRecord } from './records.ts';

export interface Deltas {
  auroc: number | null;
  tpr_at_1fpr: number | null;
  tpr_at_5fpr: number | null;
}

export interface PairedDifference {
  /** scorer minus reference. */
  delta: Deltas;
  /** Paired bootstrap intervals of the differences. */
  ci?: { [K in keyof Deltas]: Interval | null };
  /** Share of replicates in which the scorer's AUROC is higher than the reference's. */
  auroc_wins?: number | null;
}

export interface Comparison extends PairedDifference {
  scorer: string;
  versus: string;
  /** The same per `<field>=<value>` group (each group's documents resampled on their own). */
  groups?: Record<string, PairedDifference>;
}

const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

interface Scores {
  name: string;
  scores: number[][];
}

/** `other` against `reference` overall and, with `by` fields, per `<field>=<value>` group. */
export function compareScorers(records: ParsedRecord[], reference: Scores, other: Scores, by: string[] = [], bootstrap?: BootstrapOptions): Comparison {
  const out: Comparison = { scorer: other.name, versus: reference.name, ...pairedDifference(records, reference.scores, other.scores, bootstrap) };
  if (by.length === 0) return out;
  out.groups = {};
  for (const [key, indices] of groupRecords(records, by)) {
    const pick = (s: number[][]) => indices.map((k) => s[k]!);
    out.groups[key] = pairedDifference(
      indices.map((k) => records[k]!),
      pick(reference.scores),
      pick(other.scores),
      bootstrap,
    );
  }
  return out;
}

/** `other` minus `reference` on the records, with paired bootstrap intervals when asked. */
function pairedDifference(records: ParsedRecord[], reference: number[][], other: number[][], bootstrap?: BootstrapOptions): PairedDifference {
  const a = documentSample(records, reference);
  const b = documentSample(records, other);
  const orderA = descendingOrder(a.scores);
  const orderB = descendingOrder(b.scores);
  const auroc = (w: Float64Array) => minus(weightedAuroc(b, orderB, w), weightedAuroc(a, orderA, w));
  const tpr = (fpr: number) => (w: Float64Array) => minus(weightedTprAtFpr(b, orderB, w, fpr), weightedTprAtFpr(a, orderA, w, fpr));
  const ones = new Float64Array(a.documents).fill(1);
  const out: PairedDifference = {
    delta: { auroc: round(auroc(ones)), tpr_at_1fpr: round(tpr(0.01)(ones)), tpr_at_5fpr: round(tpr(0.05)(ones)) },
  };
  if (!bootstrap) return out;
  let wins = 0;
  let counted = 0;
  const ci = bootstrapIntervals(
    a.documents,
    {
      auroc: (w) => {
        const d = auroc(w);
        if (d !== null) {
          counted++;
          if (d > 0) wins++;
        }
        return d;
      },
      tpr_at_1fpr: tpr(0.01),
      tpr_at_5fpr: tpr(0.05),
    },
    bootstrap,
  );
  out.ci = { auroc: roundInterval(ci.auroc), tpr_at_1fpr: roundInterval(ci.tpr_at_1fpr), tpr_at_5fpr: roundInterval(ci.tpr_at_5fpr) };
  out.auroc_wins = counted ? round(wins / counted) : null;
  return out;
}
