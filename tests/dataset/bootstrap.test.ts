import { describe, expect, it } from 'vitest';
import {
  bootstrapIntervals,
  descendingOrder,
  percentileInterval,
  resampleDocuments,
  weightedAuroc,
  weightedPearson,
  weightedTprAtFpr,
} from '../../dataset/bootstrap.ts';
import { evaluate } from '../../dataset/evaluate.ts';
import { auroc, pearson, tprAtFpr } from '../../dataset/metrics.ts';
import { mulberry32 } from '../../dataset/random.ts';
import type { ParsedRecord } from '../../dataset/records.ts';

/**
 * Documents of 3–9 sentences; scores rounded to 0.05 so that ties are common. With `clustered`, how many sentences a
 * document has paraphrased and how easy its paraphrases are to tell vary by document, as they do in real data.
 */
function synthetic(documents: number, seed: number, options: { clustered?: boolean } = {}) {
  const random = mulberry32(seed);
  const records: ParsedRecord[] = [];
  const scores: number[][] = [];
  for (let d = 0; d < documents; d++) {
    const n = 3 + Math.floor(random() * 7);
    const rate = options.clustered ? random() * 0.7 : 0.35;
    const separation = options.clustered ? -0.2 + random() * 0.8 : 0.15;
    const truth: (0 | 1)[] = [];
    const s: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = random() < rate ? 1 : 0;
      truth.push(t);
      const x = 0.5 + (t ? separation : 0) + (random() - 0.5) * 0.6;
      s.push(Math.round(Math.min(1, Math.max(0, x)) * 20) / 20);
    }
    records.push({
      index: d,
      line: d + 1,
      id: `d${d}`,
      sentences: truth.map((_, i) => `s${i}.`),
      label: truth,
      truth,
      lexical: truth.map((t) => (t ? random() : 0)),
      fields: {},
    });
    scores.push(s);
  }
  return { records, scores };
}

function flat(records: ParsedRecord[], scores: number[][]) {
  const out = { scores: [] as number[], truth: [] as number[], doc: [] as number[], lexical: [] as number[] };
  records.forEach((r, d) =>
    r.truth.forEach((t, i) => {
      out.scores.push(scores[d]![i]!);
      out.truth.push(t);
      out.doc.push(d);
      out.lexical.push(r.lexical![i]!);
    }),
  );
  return out;
}

describe('weighted metrics', () => {
  const { records, scores } = synthetic(60, 1);
  const f = flat(records, scores);
  const order = descendingOrder(f.scores);

  it('equal metrics.ts exactly with every weight 1 (ties included)', () => {
    const ones = new Float64Array(records.length).fill(1);
    expect(weightedAuroc(f, order, ones)).toBeCloseTo(auroc(f.scores, f.truth)!, 12);
    expect(weightedTprAtFpr(f, order, ones, 0.01)).toBeCloseTo(tprAtFpr(f.scores, f.truth, 0.01)!, 12);
    expect(weightedTprAtFpr(f, order, ones, 0.05)).toBeCloseTo(tprAtFpr(f.scores, f.truth, 0.05)!, 12);
    expect(weightedTprAtFpr(f, order, ones, 0.2)).toBeCloseTo(tprAtFpr(f.scores, f.truth, 0.2)!, 12);
    expect(weightedPearson(f.scores, f.lexical, f.doc, ones)).toBeCloseTo(pearson(f.scores, f.lexical)!, 12);
  });

  it('a document of weight k counts as k copies of it, weight 0 as absent', () => {
    const w = new Float64Array(records.length).fill(1);
    w[3] = 3;
    w[7] = 0;
    w[11] = 2;
    const copies = records.flatMap((r, d) => Array.from({ length: w[d]! }, () => d));
    const dup = flat(
      copies.map((d) => records[d]!),
      copies.map((d) => scores[d]!),
    );
    expect(weightedAuroc(f, order, w)).toBeCloseTo(auroc(dup.scores, dup.truth)!, 12);
    expect(weightedTprAtFpr(f, order, w, 0.05)).toBeCloseTo(tprAtFpr(dup.scores, dup.truth, 0.05)!, 12);
    expect(weightedPearson(f.scores, f.lexical, f.doc, w)).toBeCloseTo(pearson(dup.scores, dup.lexical)!, 12);
  });

  it('are null when a class has no weight', () => {
    const none = new Float64Array(records.length);
    expect(weightedAuroc(f, order, none)).toBeNull();
    expect(weightedTprAtFpr(f, order, none, 0.01)).toBeNull();
    expect(weightedPearson(f.scores, f.lexical, f.doc, none)).toBeNull();
  });
});

describe('resampling and intervals', () => {
  it('draws as many documents as there are, with replacement', () => {
    const w = resampleDocuments(50, mulberry32(3));
    expect(w.reduce((a, b) => a + b, 0)).toBe(50);
    expect(Math.max(...w)).toBeGreaterThan(1);
    expect(w.filter((x) => x === 0).length).toBeGreaterThan(5); // ~37% of documents are left out of a replicate
  });

  it('takes the central percentile interval, ignoring nulls', () => {
    const values = Array.from({ length: 101 }, (_, i) => i / 100);
    const [low, high] = percentileInterval([...values, null], 0.9)!;
    expect(low).toBeCloseTo(0.05, 12);
    expect(high).toBeCloseTo(0.95, 12);
    expect(percentileInterval([null, null], 0.95)).toBeNull();
    expect(percentileInterval([0.7], 0.95)).toEqual([0.7, 0.7]);
  });

  it('is deterministic for a seed and pairs statistics on the same replicates', () => {
    const stats = { a: (w: Float64Array) => w[0]!, b: (w: Float64Array) => w[0]! + 1 };
    const one = bootstrapIntervals(20, stats, { replicates: 300, seed: 5 });
    expect(bootstrapIntervals(20, stats, { replicates: 300, seed: 5 })).toEqual(one);
    expect(one.b![0]).toBe(one.a![0] + 1);
    expect(one.b![1]).toBe(one.a![1] + 1);
  });
});

describe('evaluate with bootstrap intervals', () => {
  const options = { bootstrap: { replicates: 400, seed: 13 } };

  it('brackets each point estimate, overall and per group, and says how it was made', () => {
    const { records, scores } = synthetic(200, 2);
    records.forEach((r, d) => (r.fields.half = d % 2 ? 'odd' : 'even'));
    const result = evaluate(records, scores, { ...options, by: ['half'] });
    expect(result.bootstrap).toEqual({ replicates: 400, seed: 13, level: 0.95, unit: 'document' });
    for (const m of [result, ...Object.values(result.groups)]) {
      const ci = m.ci!;
      expect(ci.auroc![0]).toBeLessThan(m.auroc!);
      expect(ci.auroc![1]).toBeGreaterThan(m.auroc!);
      expect(ci.tpr_at_5fpr![0]).toBeLessThanOrEqual(m.tpr_at_5fpr!);
      expect(ci.tpr_at_5fpr![1]).toBeGreaterThanOrEqual(m.tpr_at_5fpr!);
      expect(ci.pearson_lexical![0]).toBeLessThan(m.pearson_lexical!);
      expect(ci.pearson_lexical![1]).toBeGreaterThan(m.pearson_lexical!);
      expect(ci.pearson_syntactic).toBeNull(); // no record has the field
    }
    // a group holds half the documents: its interval is wider than the whole set's
    const width = (i: [number, number] | null) => i![1] - i![0];
    expect(width(result.groups['half=odd']!.ci!.auroc)).toBeGreaterThan(width(result.ci!.auroc));
    expect(evaluate(records, scores, options).ci).toEqual(evaluate(records, scores, options).ci);
    expect(evaluate(records, scores, { bootstrap: { replicates: 400, seed: 14 } }).ci).not.toEqual(result.ci);
  });

  it('gives [1, 1] to a detector that ranks every paraphrased sentence first', () => {
    const { records } = synthetic(40, 3);
    const perfect = records.map((r) => r.truth.map((t, i) => (t ? 0.9 : 0.1) + i * 1e-4));
    expect(evaluate(records, perfect, options).ci!.auroc).toEqual([1, 1]);
  });

  it('resamples documents, not sentences: document-level effects widen the interval', () => {
    const { records, scores } = synthetic(150, 4, { clustered: true });
    const byDocument = evaluate(records, scores, options).ci!.auroc!;
    // the same sentences, each made its own document (what a sentence-level bootstrap would assume)
    const single: ParsedRecord[] = [];
    const singleScores: number[][] = [];
    records.forEach((r, d) =>
      r.truth.forEach((t, i) => {
        single.push({ ...r, id: `${r.id}-${i}`, sentences: [r.sentences[i]!], label: [t], truth: [t], lexical: [r.lexical![i]!] });
        singleScores.push([scores[d]![i]!]);
      }),
    );
    const bySentence = evaluate(single, singleScores, options).ci!.auroc!;
    expect(byDocument[1] - byDocument[0]).toBeGreaterThan(1.2 * (bySentence[1] - bySentence[0]));
  });
});
