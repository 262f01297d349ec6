// stats.json of a built dataset: counts of records and sentences, positive rates, per split and per
// source / paraphraser / domain / construction / edit.
import type { DatasetRecord } from './records.ts';
import type { Split } from './split.ts';

export interface Tally {
  records: number;
  /** Records with at least one paraphrased sentence. */
  paraphrased_records: number;
  sentences: number;
  positives: number;
  positive_rate: number;
  /** Mean lexical change (1 − BLEU-4) of the paraphrased sentences. */
  mean_lexical: number | null;
  /** Mean syntactic change of the paraphrased sentences that have one (null when built without it). */
  mean_syntactic: number | null;
  /** Paraphrased sentences with a syntactic change. */
  syntactic_measured: number;
}

interface Acc {
  records: number;
  paraphrased_records: number;
  sentences: number;
  positives: number;
  lexicalSum: number;
  syntacticSum: number;
  syntacticCount: number;
}

function empty(): Acc {
  return { records: 0, paraphrased_records: 0, sentences: 0, positives: 0, lexicalSum: 0, syntacticSum: 0, syntacticCount: 0 };
}

function addTo(acc: Acc, r: DatasetRecord): void {
  acc.records++;
  acc.sentences += r.label.length;
  let pos = 0;
  for (let i = 0; i < r.label.length; i++) {
    if (r.label[i] === 1) {
      pos++;
      acc.lexicalSum += r.lexical[i] ?? 0;
      const syntactic = r.syntactic?.[i];
      if (syntactic !== undefined && syntactic !== null) {
        acc.syntacticSum += syntactic;
        acc.syntacticCount++;
      }
    }
  }
  acc.positives += pos;
  if (pos > 0) acc.paraphrased_records++;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function finish(acc: Acc): Tally {
  return {
    records: acc.records,
    paraphrased_records: acc.paraphrased_records,
    sentences: acc.sentences,
    positives: acc.positives,
    positive_rate: acc.sentences ? round(acc.positives / acc.sentences) : 0,
    mean_lexical: acc.positives ? round(acc.lexicalSum / acc.positives) : null,
    mean_syntactic: acc.syntacticCount ? round(acc.syntacticSum / acc.syntacticCount) : null,
    syntactic_measured: acc.syntacticCount,
  };
}

const GROUP_FIELDS = ['source', 'paraphraser', 'domain', 'construction', 'edit', 'file'] as const;

export interface DatasetStats extends Tally {
  seed: number;
  splits: Record<Split, Tally>;
  by_source: Record<string, Tally>;
  by_paraphraser: Record<string, Tally>;
  by_domain: Record<string, Tally>;
  by_construction: Record<string, Tally>;
  by_edit: Record<string, Tally>;
  /** Per corpus file the records were built from. */
  by_file: Record<string, Tally>;
  skipped: Record<string, number>;
  alignment: Record<string, number>;
}

export function computeStats(
  splits: Record<Split, DatasetRecord[]>,
  extra: { seed: number; skipped: Record<string, number>; alignment: Record<string, number> },
): DatasetStats {
  const total = empty();
  const perSplit = {} as Record<Split, Acc>;
  const groups: Record<string, Map<string, Acc>> = {};
  for (const f of GROUP_FIELDS) groups[f] = new Map();
  for (const [split, records] of Object.entries(splits) as [Split, DatasetRecord[]][]) {
    const acc = (perSplit[split] = empty());
    for (const r of records) {
      addTo(total, r);
      addTo(acc, r);
      for (const f of GROUP_FIELDS) {
        const key = r[f] === null || r[f] === undefined ? '(none)' : String(r[f]);
        let g = groups[f]!.get(key);
        if (!g) groups[f]!.set(key, (g = empty()));
        addTo(g, r);
      }
    }
  }
  const byField = (f: (typeof GROUP_FIELDS)[number]) =>
    Object.fromEntries(
      [...groups[f]!.entries()].sort((a, b) => b[1].records - a[1].records || a[0].localeCompare(b[0])).map(([k, v]) => [k, finish(v)]),
    );
  const sortedCounts = (o: Record<string, number>) =>
    Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  return {
    seed: extra.seed,
    ...finish(total),
    splits: Object.fromEntries(Object.entries(perSplit).map(([k, v]) => [k, finish(v)])) as Record<Split, Tally>,
    by_source: byField('source'),
    by_paraphraser: byField('paraphraser'),
    by_domain: byField('domain'),
    by_construction: byField('construction'),
    by_edit: byField('edit'),
    by_file: byField('file'),
    skipped: sortedCounts(extra.skipped),
    alignment: sortedCounts(extra.alignment),
  };
}
