import { describe, expect, it } from 'vitest';
import { lexicalChange, sentenceBleu, tokenize } from '../../dataset/bleu.ts';
import {
  auroc,
  classificationAt,
  nextUp,
  pearson,
  rocCurve,
  thresholdForFpr,
  tprAtFpr,
} from '../../dataset/metrics.ts';
import { fnv1a32, splitBucket, splitOf } from '../../dataset/split.ts';

describe('AUROC', () => {
  it('matches the hand-computed value (scikit-learn example: 0.75)', () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
  });
  it('counts tied scores one half', () => {
    // Pairs (pos, neg): (.5,.2)=1 (.5,.5)=.5 (.9,.2)=1 (.9,.5)=1 → 3.5/4.
    expect(auroc([0.2, 0.5, 0.5, 0.9], [0, 0, 1, 1])).toBeCloseTo(0.875, 12);
    expect(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBeCloseTo(0.5, 12);
  });
  it('is 1 for a perfect ranking, 0 for a reversed one, null with one class', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(auroc([0.1, 0.9], [1, 1])).toBeNull();
    expect(auroc([0.1, 0.9], [0, 0])).toBeNull();
  });
});

describe('ROC curve', () => {
  it('has one point per distinct score, from (0,0) to (1,1)', () => {
    const c = rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])!;
    expect(c.thresholds).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
    expect(c.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(c.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
  });
});

// 10 human sentences scored 0.0 … 0.9 and 4 paraphrased ones.
const neg = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const pos = [0.95, 0.85, 0.5, 0.05];
const scores = [...neg, ...pos];
const truth = [...neg.map(() => 0), ...pos.map(() => 1)];

describe('TPR at FPR (PASTED: tpr[fpr < x][-1])', () => {
  it('takes the highest TPR with FPR strictly below the limit', () => {
    // FPR < 1%: no human sentence may be flagged → only 0.95 → 1/4.
    expect(tprAtFpr(scores, truth, 0.01)).toBe(0.25);
    // FPR = 10% is not < 10%.
    expect(tprAtFpr(scores, truth, 0.1)).toBe(0.25);
    // FPR < 15%: one human sentence (0.9) may be flagged → 0.95 and 0.85 → 2/4.
    expect(tprAtFpr(scores, truth, 0.15)).toBe(0.5);
    expect(tprAtFpr(scores, truth, 1.01)).toBe(1);
  });
  it('is 0 when every positive scores below every negative, null with one class', () => {
    expect(tprAtFpr([0.9, 0.1], [0, 1], 0.01)).toBe(0);
    expect(tprAtFpr([0.9, 0.1], [1, 1], 0.01)).toBeNull();
  });
});

describe('threshold for a target FPR', () => {
  it('is the lowest threshold whose FPR stays within the target', () => {
    expect(thresholdForFpr(scores, truth, 0.1)).toEqual({ targetFpr: 0.1, threshold: 0.85, achievedFpr: 0.1, tpr: 0.5 });
    expect(thresholdForFpr(scores, truth, 0)).toEqual({ targetFpr: 0, threshold: 0.95, achievedFpr: 0, tpr: 0.25 });
    expect(thresholdForFpr(scores, truth, 0.2)).toEqual({ targetFpr: 0.2, threshold: 0.8, achievedFpr: 0.2, tpr: 0.5 });
  });
  it('sits just above the highest score when nothing can be flagged', () => {
    const t = thresholdForFpr([0.1, 0.9], [1, 0], 0.01)!;
    expect(t.threshold).toBe(nextUp(0.9));
    expect(t.threshold).toBeGreaterThan(0.9);
    expect(t.tpr).toBe(0);
    expect(t.achievedFpr).toBe(0);
  });
});

describe('Pearson r', () => {
  it('matches the hand-computed value', () => {
    // dx = -2..2, dy = -2,0,1,0,1 → Sxy 6, Sxx 10, Syy 6 → 6/√60.
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(6 / Math.sqrt(60), 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });
  it('is null for a constant side or under two values', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(pearson([1], [2])).toBeNull();
  });
});

describe('precision / recall / F1 at a threshold', () => {
  it('flags score >= threshold', () => {
    const c = classificationAt([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0], 0.5);
    expect(c).toMatchObject({ tp: 1, fp: 1, tn: 1, fn: 1, precision: 0.5, recall: 0.5, f1: 0.5, fpr: 0.5 });
    const d = classificationAt([0.9, 0.8, 0.3, 0.2], [1, 1, 1, 0], 0.8);
    expect(d).toMatchObject({ tp: 2, fp: 0, fn: 1, tn: 1, precision: 1 });
    expect(d.recall).toBeCloseTo(2 / 3, 12);
    expect(d.f1).toBeCloseTo(0.8, 12);
  });
});

describe('BLEU-4 and lexical change', () => {
  it('tokenises words and punctuation', () => {
    expect(tokenize("It's 3.5 km, isn't it?")).toEqual(["It's", '3', '.', '5', 'km', ',', "isn't", 'it', '?']);
  });
  it('is 1 for the same sentence (lexical 0)', () => {
    expect(sentenceBleu('The cat sat on the mat.', 'The cat sat on the mat.')).toBe(1);
    expect(lexicalChange('The cat sat on the mat.', 'The cat sat on the mat.')).toBe(0);
  });
  it('matches a hand-computed smoothed value', () => {
    // p1 = 5/6; p2..p4 add-one: 4/6, 3/5, 2/4; BP = 1 → (5/6·4/6·3/5·1/2)^(1/4).
    const expected = Math.pow((5 / 6) * (4 / 6) * (3 / 5) * (1 / 2), 1 / 4);
    expect(sentenceBleu('the cat sat on the mat', 'the cat sat on a mat')).toBeCloseTo(expected, 12);
    expect(lexicalChange('the cat sat on the mat', 'the cat sat on a mat')).toBe(Math.round((1 - expected) * 1e4) / 1e4);
  });
  it('applies the brevity penalty and is case-sensitive', () => {
    expect(sentenceBleu('the cat', 'the cat sat on the mat')).toBeCloseTo(Math.exp(1 - 6 / 2), 12);
    expect(sentenceBleu('The Cat', 'the cat')).toBe(0);
    expect(lexicalChange('Entirely different words here', 'the cat sat on the mat')).toBe(1);
  });
});

describe('split', () => {
  it('uses FNV-1a 32 (reference vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
  it('maps bucket 0 → test, 1 → validation, 2..9 → train, keyed by `${seed}:${doc_id}`', () => {
    for (const id of ['hwt-1', 'brown-ca01', 'acl-D18-1365', 'ünïcode-doc']) {
      const b = fnv1a32(`13:${id}`) % 10;
      expect(splitBucket(id)).toBe(b);
      expect(splitOf(id)).toBe(b === 0 ? 'test' : b === 1 ? 'validation' : 'train');
      expect(splitBucket(id, 7)).toBe(fnv1a32(`7:${id}`) % 10);
    }
  });
});
