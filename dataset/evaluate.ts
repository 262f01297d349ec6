// The evaluation chain: records + per-sentence scores → one threshold → overall and per-group metrics.
// Sentence level throughout (PASTED); groups are `<field>=<value>` over the records' own fields.
import {
  auroc,
  classificationAt,
  pearson,
  rocCurve,
  thresholdForFpr,
  tprAtFpr,
  type RocCurve,
} from './metrics.ts';
import type { ParsedRecord } from './records.ts';
import { changeProfiles, type ChangeProfile } from './change.ts';
import {
  bootstrapIntervals,
  descendingOrder,
  weightedAuroc,
  weightedPearson,
  weightedTprAtFpr,
  type BootstrapOptions,
  type Interval,
} from './bootstrap.ts';

/** Confidence intervals of the threshold-free metrics (bootstrap over documents, bootstrap.ts). */
export interface MetricIntervals {
  auroc: Interval | null;
  tpr_at_1fpr: Interval | null;
  tpr_at_5fpr: Interval | null;
  pearson_lexical: Interval | null;
  pearson_syntactic: Interval | null;
}

export type IntervalMetric = keyof MetricIntervals;

export interface Metrics {
  documents: number;
  sentences: number;
  positives: number;
  auroc: number | null;
  tpr_at_1fpr: number | null;
  tpr_at_5fpr: number | null;
  pearson_lexical: number | null;
  pearson_syntactic: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** FPR at the threshold (share of human sentences flagged). */
  fpr: number | null;
  threshold: number | null;
  /** With `bootstrap`: percentile intervals over documents resampled with replacement. */
  ci?: MetricIntervals;
}

/** Sentences a model left unscored because it cannot read them (not English, unknown words, no letters). */
export interface NotScored {
  sentences: number;
  documents: number;
  /** Sentences per reason (`language`, `unknown-words`, `no-letters`). */
  reasons: Record<string, number>;
  /** The score they count with in every metric: the model never flags them. */
  counted_as: number;
}

export interface EvalResult extends Metrics {
  /** Where the threshold came from: given, the model's default, or fitted on the evaluated data. */
  threshold_source: string;
  /** A model's sentences it did not score (evaluated with `counted_as`), when there were any. */
  not_scored?: NotScored;
  groups: Record<string, Metrics>;
  /** How the intervals in `ci` were made, when they were. */
  bootstrap?: { replicates: number; seed: number; level: number; unit: 'document' };
}

export interface EvalOptions {
  /** Record fields to group by (e.g. paraphraser, domain). */
  by?: string[];
  /** Threshold for precision/recall/F1; fitted at 1% FPR on the data when absent. */
  threshold?: number;
  thresholdSource?: string;
  /** Confidence intervals by resampling documents (each group resampled on its own). */
  bootstrap?: BootstrapOptions;
}

interface Flat {
  documents: number;
  scores: number[];
  truth: number[];
  /** Each sentence's document, 0..documents-1 in the order of `indices`. */
  doc: number[];
  lexScores: number[];
  lexical: number[];
  lexDoc: number[];
  synScores: number[];
  syntactic: number[];
  synDoc: number[];
}

function flatten(records: ParsedRecord[], scores: number[][], indices: number[]): Flat {
  const f: Flat = { documents: indices.length, scores: [], truth: [], doc: [], lexScores: [], lexical: [], lexDoc: [], synScores: [], syntactic: [], synDoc: [] };
  indices.forEach((k, d) => {
    const r = records[k]!;
    const s = scores[k]!;
    for (let i = 0; i < r.sentences.length; i++) {
      f.scores.push(s[i]!);
      f.truth.push(r.truth[i]!);
      f.doc.push(d);
      // A sentence whose signal was not measured (null) is left out of that correlation only.
      const lexical = r.lexical?.[i];
      if (lexical !== undefined && lexical !== null) {
        f.lexScores.push(s[i]!);
        f.lexical.push(lexical);
        f.lexDoc.push(d);
      }
      const syntactic = r.syntactic?.[i];
      if (syntactic !== undefined && syntactic !== null) {
        f.synScores.push(s[i]!);
        f.syntactic.push(syntactic);
        f.synDoc.push(d);
      }
    }
  });
  return f;
}

/** Bootstrap intervals of the threshold-free metrics, resampling the flat set's documents. */
function intervalsOf(f: Flat, options: BootstrapOptions): MetricIntervals {
  const order = descendingOrder(f.scores);
  const sample = { scores: f.scores, truth: f.truth, doc: f.doc };
  const none = () => null;
  const ci = bootstrapIntervals(
    f.documents,
    {
      auroc: (w) => weightedAuroc(sample, order, w),
      tpr_at_1fpr: (w) => weightedTprAtFpr(sample, order, w, 0.01),
      tpr_at_5fpr: (w) => weightedTprAtFpr(sample, order, w, 0.05),
      pearson_lexical: f.lexical.length ? (w) => weightedPearson(f.lexScores, f.lexical, f.lexDoc, w) : none,
      pearson_syntactic: f.syntactic.length ? (w) => weightedPearson(f.synScores, f.syntactic, f.synDoc, w) : none,
    },
    options,
  );
  return {
    auroc: roundInterval(ci.auroc),
    tpr_at_1fpr: roundInterval(ci.tpr_at_1fpr),
    tpr_at_5fpr: roundInterval(ci.tpr_at_5fpr),
    pearson_lexical: roundInterval(ci.pearson_lexical),
    pearson_syntactic: roundInterval(ci.pearson_syntactic),
  };
}

/** Metrics are reported to 6 decimals (stable JSON, no false precision). */
export const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6);
export const roundInterval = (i: Interval | null): Interval | null => (i === null ? null : [round(i[0])!, round(i[1])!]);

function metricsOf(f: Flat, threshold: number | null, bootstrap?: BootstrapOptions): Metrics {
  const c = threshold === null ? null : classificationAt(f.scores, f.truth, threshold);
  let positives = 0;
  for (const t of f.truth) positives += t;
  const m: Metrics = {
    documents: f.documents,
    sentences: f.scores.length,
    positives,
    auroc: round(auroc(f.scores, f.truth)),
    tpr_at_1fpr: round(tprAtFpr(f.scores, f.truth, 0.01)),
    tpr_at_5fpr: round(tprAtFpr(f.scores, f.truth, 0.05)),
    pearson_lexical: round(f.lexical.length ? pearson(f.lexScores, f.lexical) : null),
    pearson_syntactic: round(f.syntactic.length ? pearson(f.synScores, f.syntactic) : null),
    // Without paraphrased sentences, precision/recall/F1 say nothing (FPR is the figure for human-only groups).
    precision: round(c && positives > 0 && c.tp + c.fp > 0 ? c.precision : null),
    recall: round(c && positives > 0 ? c.recall : null),
    f1: round(c && positives > 0 ? c.f1 : null),
    fpr: round(c ? c.fpr : null),
    threshold,
  };
  if (bootstrap) m.ci = intervalsOf(f, bootstrap);
  return m;
}

function groupValue(value: unknown): string {
  if (value === undefined || value === null || value === '') return '(none)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Record indices per `<field>=<value>`, in order of first appearance per field. */
export function groupRecords(records: ParsedRecord[], fields: string[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const field of fields) {
    const values = new Map<string, number[]>();
    records.forEach((r, k) => {
      const key = groupValue(r.fields[field]);
      let list = values.get(key);
      if (!list) values.set(key, (list = []));
      list.push(k);
    });
    for (const [value, list] of [...values.entries()].sort((a, b) => a[0].localeCompare(b[0]))) groups.set(`${field}=${value}`, list);
  }
  return groups;
}

/** `12 of 5,000 sentences (in 3 documents) not scored by the model: 10 language, 2 no-letters; counted as score 0`. */
export function notScoredNote(n: NotScored, sentences: number): string {
  const reasons = Object.entries(n.reasons).map(([why, k]) => `${k} ${why}`).join(', ');
  return (
    `${n.sentences} of ${sentences} sentences (in ${n.documents} document${n.documents === 1 ? '' : 's'}) not scored by the model ` +
    `(it cannot read them: ${reasons}); they count as score ${n.counted_as}, never flagged, in every metric`
  );
}

export function evaluate(records: ParsedRecord[], scores: number[][], options: EvalOptions = {}): EvalResult {
  if (scores.length !== records.length) throw new Error(`${scores.length} score lists for ${records.length} records`);
  const all = flatten(records, scores, records.map((_, k) => k));
  let threshold: number | null = options.threshold ?? null;
  let source = options.thresholdSource ?? (threshold !== null ? 'given' : '');
  if (threshold === null) {
    threshold = thresholdForFpr(all.scores, all.truth, 0.01)?.threshold ?? null;
    source = threshold === null ? 'none (one class only)' : 'fitted on this data for FPR <= 1%';
  }
  const groups: Record<string, Metrics> = {};
  for (const [key, indices] of groupRecords(records, options.by ?? [])) {
    groups[key] = metricsOf(flatten(records, scores, indices), threshold, options.bootstrap);
  }
  const result: EvalResult = { ...metricsOf(all, threshold, options.bootstrap), threshold_source: source, groups };
  if (options.bootstrap) {
    const { replicates, seed, level = 0.95 } = options.bootstrap;
    result.bootstrap = { replicates, seed, level, unit: 'document' };
  }
  return result;
}

/** Every sentence's score, truth and document (records' order), for paired comparisons (compare.ts). */
export function documentSample(records: ParsedRecord[], scores: number[][]): { scores: number[]; truth: number[]; doc: number[]; documents: number } {
  const f = flatten(records, scores, records.map((_, k) => k));
  return { scores: f.scores, truth: f.truth, doc: f.doc, documents: f.documents };
}

/** Flattened sentence scores and truth, for the report's curve and histograms, and the score by amount of change. */
export function sentenceScores(
  records: ParsedRecord[],
  scores: number[][],
): { scores: number[]; truth: number[]; roc: RocCurve | null; change: ChangeProfile[] } {
  const f = flatten(records, scores, records.map((_, k) => k));
  return { scores: f.scores, truth: f.truth, roc: rocCurve(f.scores, f.truth), change: changeProfiles(records, scores) };
}
