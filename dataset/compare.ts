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
import { documentSample, groupRecords } from './evaluate.ts';
import type { ParsedRecord } from './records.ts';

export interface Deltas {
  auroc: number | null;
  tpr_at_1fpr: number | null;
  tpr_at_5fpr: number | null;
}

export interface Comparison {
  scorer: string;
  versus: string;
  /** scorer minus reference. */
  delta: Deltas;
  /** Paired bootstrap intervals of the differences. */
  ci?: { [K in keyof Deltas]: Interval | null };
  /** Share of replicates in which the scorer's AUROC is higher than the reference's. */
  auroc_wins?: number | null;
  /** The same per `<field>=<value>` group (each group's documents resampled on their own). */
  groups?: Record<string, Omit<Comparison, 'scorer' | 'versus' | 'groups'>>;
}

const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6);
const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

/** `compareScorers` overall and per group of `by` fields. */
export function compareScorersBy(
  records: ParsedRecord[],
  reference: { name: string; scores: number[][] },
  other: { name: string; scores: number[][] },
  by: string[],
  bootstrap?: BootstrapOptions,
): Comparison {
  const out = compareScorers(records, reference, other, bootstrap);
  if (by.length === 0) return out;
  out.groups = {};
  for (const [key, indices] of groupRecords(records, by)) {
    const pick = (s: number[][]) => indices.map((k) => s[k]!);
    const { scorer: _s, versus: _v, ...rest } = compareScorers(
      indices.map((k) => records[k]!),
      { name: reference.name, scores: pick(reference.scores) },
      { name: other.name, scores: pick(other.scores) },
      bootstrap,
    );
    out.groups[key] = rest;
  }
  return out;
}

export function compareScorers(
  records: ParsedRecord[],
  reference: { name: string; scores: number[][] },
  other: { name: string; scores: number[][] },
  bootstrap?: BootstrapOptions,
): Comparison {
  const a = documentSample(records, reference.scores);
  const b = documentSample(records, other.scores);
  const orderA = descendingOrder(a.scores);
  const orderB = descendingOrder(b.scores);
  const auroc = (w: Float64Array) => minus(weightedAuroc(b, orderB, w), weightedAuroc(a, orderA, w));
  const tpr = (fpr: number) => (w: Float64Array) => minus(weightedTprAtFpr(b, orderB, w, fpr), weightedTprAtFpr(a, orderA, w, fpr));
  const ones = new Float64Array(a.documents).fill(1);
  const point = { auroc: auroc(ones), tpr_at_1fpr: tpr(0.01)(ones), tpr_at_5fpr: tpr(0.05)(ones) };
  const out: Comparison = {
    scorer: other.name,
    versus: reference.name,
    delta: { auroc: round(point.auroc), tpr_at_1fpr: round(point.tpr_at_1fpr), tpr_at_5fpr: round(point.tpr_at_5fpr) },
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
  const r = (i: Interval | null): Interval | null => (i === null ? null : [round(i[0])!, round(i[1])!]);
  out.ci = { auroc: r(ci.auroc), tpr_at_1fpr: r(ci.tpr_at_1fpr), tpr_at_5fpr: r(ci.tpr_at_5fpr) };
  out.auroc_wins = counted ? round(wins / counted) : null;
  return out;
}
