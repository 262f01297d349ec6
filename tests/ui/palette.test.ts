import { describe, expect, it } from 'vitest';
import {
  allColourKeys,
  colourFor,
  colourForKey,
  colourKey,
  COLOUR_SCHEMES,
  degreeBand,
  describeSentence,
  isColourScheme,
  legend,
  scoreBand,
} from '../../ui/palette.ts';
import { labelFor } from '../../model/score.ts';

describe('scoreBand / labelFor', () => {
  it.each([
    [0.95, 0.9, 'flagged', 'paraphrased'],
    [0.9, 0.9, 'flagged', 'paraphrased'],
    [0.75, 0.9, 'borderline', 'human'],
    [0.73, 0.9, 'borderline', 'human'],
    [0.71, 0.9, 'clear', 'human'],
    [0.0, 0.5, 'clear', 'human'],
  ] as const)('score %s at threshold %s → %s', (score, th, band, label) => {
    expect(scoreBand(score, th)).toBe(band);
    expect(labelFor(score, th)).toBe(label);
  });
});

describe('degreeBand', () => {
  it.each([
    [0, 'light'],
    [0.2, 'light'],
    [0.5, 'moderate'],
    [0.7, 'heavy'],
    [1, 'heavy'],
    [2, 'heavy'],
    [-1, 'light'],
  ] as const)('%s → %s', (d, band) => expect(degreeBand(d)).toBe(band));
});

describe('colourFor', () => {
  it('does not paint clear sentences', () => {
    const c = colourFor(0.1, 0.9, 0.5);
    expect(c.band).toBe('clear');
    expect(c.alpha).toBe(0);
    expect(c.background).toBe('transparent');
    expect(c.underline).toBe('transparent');
  });

  it('grows opacity with the score and keeps flagged stronger than borderline', () => {
    const th = 0.6;
    const border = colourFor(0.55, th, 0.5);
    const low = colourFor(0.61, th, 0.5);
    const high = colourFor(0.99, th, 0.5);
    expect(border.band).toBe('borderline');
    expect(border.alpha).toBeGreaterThan(0);
    expect(low.alpha).toBeGreaterThan(border.alpha);
    expect(high.alpha).toBeGreaterThan(low.alpha);
    expect(high.alpha).toBeLessThanOrEqual(0.55);
    expect(high.background).toMatch(/^rgba\(\d+, \d+, \d+, 0\.\d+\)$/);
  });

  it('changes hue with the degree of change, not opacity', () => {
    const light = colourFor(0.9, 0.5, 0);
    const heavy = colourFor(0.9, 0.5, 1);
    expect(light.alpha).toBe(heavy.alpha);
    expect(light.rgb).not.toEqual(heavy.rgb);
    expect(light.rgb).toEqual([255, 214, 0]);
    expect(heavy.rgb).toEqual([229, 57, 53]);
  });

  it('uses the middle of the ramp when the model has no degree', () => {
    expect(colourFor(0.9, 0.5, undefined).rgb).toEqual(colourFor(0.9, 0.5, 0.5).rgb);
    expect(colourFor(0.9, 0.5, Number.NaN).rgb).toEqual(colourFor(0.9, 0.5, 0.5).rgb);
  });

  it('gives every scheme distinct ends; the colour-blind scheme runs yellow → blue', () => {
    for (const scheme of COLOUR_SCHEMES) {
      expect(colourFor(0.9, 0.5, 0, scheme).rgb).not.toEqual(colourFor(0.9, 0.5, 1, scheme).rgb);
    }
    const cb = colourFor(0.9, 0.5, 1, 'colorblind').rgb;
    expect(cb[2]).toBeGreaterThan(cb[0]); // blue end
    expect(isColourScheme('colorblind')).toBe(true);
    expect(isColourScheme('rainbow')).toBe(false);
    // unknown schemes fall back to standard rather than throwing
    expect(colourFor(0.9, 0.5, 0, 'rainbow' as never).rgb).toEqual([255, 214, 0]);
  });

  it('clamps out-of-range input', () => {
    expect(colourFor(1.7, 0.5, 3).alpha).toBe(colourFor(1, 0.5, 1).alpha);
    expect(colourFor(Number.NaN, 0.5, 0).band).toBe('clear');
    expect(colourFor(1, 1, 0).band).toBe('flagged');
  });
});

describe('colour keys', () => {
  it('maps every sentence to a registered key whose colour is in the same band', () => {
    const keys = new Set(allColourKeys());
    expect(keys.size).toBe(4 + 16);
    for (const score of [0.1, 0.45, 0.5, 0.55, 0.6, 0.75, 0.9, 1]) {
      for (const degree of [undefined, 0, 0.3, 0.6, 1]) {
        const key = colourKey(score, 0.55, degree);
        if (key === 'clear') {
          expect(colourFor(score, 0.55, degree).band).toBe('clear');
          continue;
        }
        expect(keys.has(key)).toBe(true);
        const c = colourForKey(key, 0.55, 'colorblind');
        expect(c?.band).toBe(colourFor(score, 0.55, degree).band);
      }
    }
    expect(colourForKey('nonsense', 0.5)).toBeNull();
    expect(colourForKey('flagged-x-1', 0.5)).toBeNull();
  });
});

describe('describeSentence', () => {
  it('states the band, the number, the degree, truncation and the model', () => {
    const t = describeSentence({ score: 0.873, degree: 0.8, truncated: true }, 0.7, { name: 'ptd-small', version: '0.1.0' });
    expect(t.label).toBe('Likely paraphrased · 87%');
    expect(t.lines).toEqual([
      'Likely paraphrased · 87%',
      'Paraphrase score 0.87 (flagged from 0.70)',
      'Degree of change 0.80: heavy rewrite',
      'Only the beginning of this long sentence was read.',
      'Model ptd-small 0.1.0',
    ]);
    expect(t.tooltip).toBe(t.lines.join('\n'));
  });

  it('omits the degree line when the model has none, and for a sentence not flagged (the degree grades rewrites)', () => {
    const t = describeSentence({ score: 0.2 }, 0.7);
    expect(t.label).toBe('Likely human · 20%');
    expect(t.lines).toHaveLength(2);
    expect(describeSentence({ score: 0.2, degree: 0.6 }, 0.7).lines).toHaveLength(2);
    expect(describeSentence({ score: 0.7, degree: 0.6 }, 0.7).lines).toContain('Degree of change 0.60: moderate rewording');
  });
});

describe('describeSentence: evidence and skipped sentences', () => {
  it('names the words that drove a flagged sentence, not those of a sentence below the threshold', () => {
    const evidence = [{ text: 'Moreover, the' }, { text: 'profound sense' }];
    expect(describeSentence({ score: 0.9, evidence }, 0.7).lines).toContain('Words that drove the score: “Moreover, the”, “profound sense”');
    expect(describeSentence({ score: 0.5, evidence }, 0.7).lines.join('\n')).not.toContain('drove');
  });

  it('says a skipped sentence was not checked, and why, without a score', () => {
    const t = describeSentence({ score: null, skipped: 'language' }, 0.7, { name: 'ptd-small' });
    expect(t.label).toBe('Not checked · not English');
    expect(t.lines).toEqual(['Not checked · not English', 'The model cannot read this sentence: not English — not checked.', 'Model ptd-small']);
    expect(t.tooltip).not.toMatch(/\d%/);
  });
});

describe('legend', () => {
  it('runs from the threshold to 1 with growing opacity', () => {
    const l = legend(0.5, 'standard', 3);
    expect(l).toHaveLength(3);
    const alphas = l.map((c) => Number(c.match(/([\d.]+)\)$/)![1]));
    expect(alphas[0]).toBeLessThan(alphas[2]!);
  });
});
