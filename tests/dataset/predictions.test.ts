import { describe, expect, it } from 'vitest';
import { evaluate } from '../../dataset/evaluate.ts';
import { JoinError, joinPredictions, type Prediction } from '../../dataset/predictions.ts';
import { parseRecord, type ParsedRecord } from '../../dataset/records.ts';

function record(raw: Record<string, unknown>, k: number): ParsedRecord {
  const r = parseRecord(raw, k, k + 1);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

const withIds = [
  record({ id: 'a', text: 'A. </s> B.', label: [0, 1], paraphraser: 'p', lexical: [0, 0.6] }, 0),
  record({ id: 'b', text: 'C.', label: [0] }, 1),
];
const noIds = withIds.map((r, k) => record({ text: r.sentences.join(' </s> '), label: r.label }, k));
const p = (scores: number[], id?: string, line = 1): Prediction => (id === undefined ? { line, scores } : { line, id, scores });

describe('joining predictions to records', () => {
  it('joins by id whatever the order', () => {
    expect(joinPredictions(withIds, [p([0.3], 'b'), p([0.1, 0.9], 'a')])).toEqual([[0.1, 0.9], [0.3]]);
  });

  it('joins by position when the records have no ids', () => {
    expect(joinPredictions(noIds, [p([0.1, 0.9]), p([0.3])])).toEqual([[0.1, 0.9], [0.3]]);
    expect(() => joinPredictions(noIds, [p([0.1, 0.9])])).toThrow(/2 records but 1 predictions/);
  });

  it('rejects repeated ids, predictions without ids and records with only some ids', () => {
    expect(() => joinPredictions(withIds, [p([0.1, 0.9], 'a'), p([0.3], 'b'), p([0.3], 'b')])).toThrow(/predictions repeat ids "b"/);
    expect(() => joinPredictions(withIds, [p([0.1, 0.9], 'a'), p([0.3], undefined, 2)])).toThrow(/predictions without "id" \(line 2\)/);
    expect(() => joinPredictions([withIds[0]!, noIds[1]!], [p([0.1, 0.9]), p([0.3])])).toThrow(JoinError);
    expect(() => joinPredictions([withIds[0]!, withIds[0]!], [p([0.1, 0.9], 'a')])).toThrow(/records repeat ids "a"/);
  });

  it('lists at most five missing ids and counts the rest', () => {
    const many = Array.from({ length: 8 }, (_, k) => record({ id: `r${k}`, text: 'X.', label: [0] }, k));
    expect(() => joinPredictions(many, [p([0.5], 'r0')])).toThrow(/no prediction for 7 record id\(s\): "r1", "r2", "r3", "r4", "r5" and 2 more/);
  });
});

describe('evaluate', () => {
  it('groups by a field, with "(none)" for records without it', () => {
    const result = evaluate(withIds, [[0.1, 0.9], [0.3]], { by: ['paraphraser'], threshold: 0.5 });
    expect(Object.keys(result.groups)).toEqual(['paraphraser=(none)', 'paraphraser=p']);
    expect(result).toMatchObject({ documents: 2, sentences: 3, positives: 1, auroc: 1, f1: 1, threshold: 0.5, threshold_source: 'given' });
    expect(result.groups['paraphraser=p']).toMatchObject({ documents: 1, sentences: 2, positives: 1, auroc: 1 });
    expect(result.groups['paraphraser=(none)']).toMatchObject({ positives: 0, auroc: null, f1: null, fpr: 0 });
    // lexical only where records carry it: the 2 sentences of record a.
    expect(result.pearson_lexical).toBeCloseTo(1, 12);
  });
});
