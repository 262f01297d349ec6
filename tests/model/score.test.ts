import { describe, expect, it } from 'vitest';
import { ModelConfigError, parsePtdConfig, thresholdFor } from '../../model/config.ts';
import { labelFor, mergeReadings, sigmoid } from '../../model/score.ts';
import { mergeSpans } from '../../model/spans.ts';
import type { SentenceResult } from '../../model/types.ts';

describe('scores', () => {
  it('sigmoid is stable at the extremes', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(2) + sigmoid(-2)).toBeCloseTo(1, 12);
  });

  it('calibrates the paraphrase channel with the temperature, not the degree channel', () => {
    const m1 = mergeReadings(1, [{ sentence: 0, paraphraseLogit: 2, degreeLogit: 2, weight: 1 }], 1);
    const m2 = mergeReadings(1, [{ sentence: 0, paraphraseLogit: 2, degreeLogit: 2, weight: 1 }], 2);
    expect(m1.scores[0]).toBeCloseTo(sigmoid(2), 12);
    expect(m2.scores[0]).toBeCloseTo(sigmoid(1), 12);
    expect(m2.degrees![0]).toBeCloseTo(sigmoid(2), 12);
  });

  it('merges the readings of a sentence seen in several windows by weight', () => {
    const m = mergeReadings(
      2,
      [
        { sentence: 0, paraphraseLogit: 0, weight: 1 },
        { sentence: 0, paraphraseLogit: 100, weight: 3 },
        { sentence: 1, paraphraseLogit: -100, weight: 5 },
      ],
      1,
    );
    expect(m.scores[0]).toBeCloseTo((0.5 * 1 + 1 * 3) / 4, 12);
    expect(m.scores[1]).toBeCloseTo(0, 12);
    expect(m.degrees).toBeUndefined();
  });

  it('labels at the threshold inclusively', () => {
    expect(labelFor(0.93, 0.93)).toBe('paraphrased');
    expect(labelFor(0.9299, 0.93)).toBe('human');
  });
});

function sentence(index: number, score: number, threshold = 0.5): SentenceResult {
  return { index, text: `s${index}`, start: index * 10, end: index * 10 + 5, score, label: labelFor(score, threshold) };
}

describe('mergeSpans', () => {
  it('merges adjacent flagged sentences and averages their scores', () => {
    const s = [sentence(0, 0.9), sentence(1, 0.7), sentence(2, 0.1), sentence(3, 0.8), sentence(4, 0.2), sentence(5, 0.6), sentence(6, 0.6)];
    expect(mergeSpans(s)).toEqual([
      { start: 0, end: 15, firstSentence: 0, lastSentence: 1, score: 0.8 },
      { start: 30, end: 35, firstSentence: 3, lastSentence: 3, score: 0.8 },
      { start: 50, end: 65, firstSentence: 5, lastSentence: 6, score: 0.6 },
    ]);
  });

  it('returns no span when nothing is flagged, one when everything is', () => {
    expect(mergeSpans([sentence(0, 0.1), sentence(1, 0.2)])).toEqual([]);
    expect(mergeSpans([sentence(0, 0.9), sentence(1, 0.9)])).toEqual([{ start: 0, end: 15, firstSentence: 0, lastSentence: 1, score: 0.9 }]);
    expect(mergeSpans([])).toEqual([]);
  });
});

const ptd = {
  name: 'ptd-test',
  version: '1.2.3',
  format: 1,
  outputs: { paraphrase: 0, degree: 1 },
  calibration: { temperature: 1.5 },
  max_tokens: 256,
  thresholds: [
    { target_fpr: 0.05, threshold: 0.71, achieved_fpr: 0.049, tpr: 0.8 },
    { target_fpr: 0.01, threshold: 0.93, achieved_fpr: 0.0098, tpr: 0.61 },
  ],
  default_target_fpr: 0.01,
};

describe('parsePtdConfig', () => {
  it('reads the ptd section of config.json', () => {
    const c = parsePtdConfig({ num_labels: 2, max_position_embeddings: 512, ptd });
    expect(c).toMatchObject({ name: 'ptd-test', version: '1.2.3', temperature: 1.5, maxTokens: 256, defaultThreshold: 0.93 });
    expect(c.outputs).toEqual({ paraphrase: 0, degree: 1 });
    expect(c.thresholds.map((t) => t.targetFpr)).toEqual([0.01, 0.05]);
    expect(c.thresholds[0]).toEqual({ targetFpr: 0.01, threshold: 0.93, achievedFpr: 0.0098, tpr: 0.61 });
  });

  it('caps max_tokens at the position embeddings and defaults the temperature', () => {
    const { calibration: _c, ...rest } = ptd;
    const c = parsePtdConfig({ max_position_embeddings: 128, ptd: { ...rest, max_tokens: 512 } });
    expect(c.maxTokens).toBe(128);
    expect(c.temperature).toBe(1);
  });

  it('rejects a model without a ptd section, or with a broken one', () => {
    expect(() => parsePtdConfig({ num_labels: 2 }, 'model "x"')).toThrow(/model "x" is not a ptd model/);
    expect(() => parsePtdConfig({ ptd: { ...ptd, thresholds: [] } })).toThrow(ModelConfigError);
    expect(() => parsePtdConfig({ ptd: { ...ptd, thresholds: [] } })).toThrow(/ptd\.thresholds/);
    expect(() => parsePtdConfig({ ptd: { ...ptd, format: 2 } })).toThrow(/ptd\.format/);
    expect(() => parsePtdConfig({ num_labels: 1, ptd })).toThrow(/outputs\.degree = 1, but the model has 1 outputs/);
    expect(() => parsePtdConfig({ ptd: { ...ptd, calibration: { temperature: 0 } } })).toThrow(/temperature/);
  });

  it('picks the threshold fitted for the closest target FPR', () => {
    const c = parsePtdConfig({ ptd });
    expect(thresholdFor(c.thresholds, 0.01).threshold).toBe(0.93);
    expect(thresholdFor(c.thresholds, 0.04).threshold).toBe(0.71);
    expect(parsePtdConfig({ ptd: { ...ptd, default_target_fpr: 0.05 } }).defaultThreshold).toBe(0.71);
  });
});
