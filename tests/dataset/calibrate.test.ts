import { describe, expect, it } from 'vitest';
import { fitTemperature, robustThresholds } from '../../dataset/calibrate.ts';
import { classificationAt, thresholdForFpr } from '../../dataset/metrics.ts';
import { rngFor } from '../../dataset/random.ts';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

describe('fitTemperature', () => {
  it('recovers the temperature that makes over-confident logits calibrated', () => {
    const random = rngFor(7, 'temperature');
    const probabilities: number[] = [];
    const truth: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const z = 3 * normal(random); // the true log-odds
      truth.push(random() < sigmoid(z) ? 1 : 0);
      probabilities.push(sigmoid(2.5 * z)); // scored 2.5× too confidently
    }
    expect(fitTemperature(probabilities, truth, 1)).toBeCloseTo(2.5, 1);
    // the same scores produced at temperature 2 come from logits twice as large
    expect(fitTemperature(probabilities, truth, 2)).toBeCloseTo(5, 0);
  });
});

describe('robustThresholds', () => {
  // Two sources: in "lenient" human sentences score much higher than in "strict"; the pooled 1% threshold
  // lets the lenient source's FPR run far past 1%.
  const random = rngFor(3, 'groups');
  const scores: number[] = [];
  const truth: number[] = [];
  const groups: string[] = [];
  const add = (group: string, n: number, mean: number, label: number) => {
    for (let i = 0; i < n; i++) {
      scores.push(sigmoid(mean + normal(random)));
      truth.push(label);
      groups.push(group);
    }
  };
  add('strict', 9000, -3, 0);
  add('lenient', 1000, 0, 0);
  add('strict', 2000, 1, 1);
  add('lenient', 2000, 2, 1);
  add('tiny', 50, 3, 0); // too few human sentences to bind

  it('keeps every source with enough human sentences within max ratio × target, and reports each', () => {
    const pooled = thresholdForFpr(scores, truth, 0.01)!;
    const lenientAtPooled = classificationAt(
      scores.filter((_, i) => groups[i] === 'lenient'),
      truth.filter((_, i) => groups[i] === 'lenient'),
      pooled.threshold,
    );
    expect(lenientAtPooled.fpr!).toBeGreaterThan(0.05);
    const [fit] = robustThresholds(scores, truth, groups, [0.01], { maxRatio: 1.5, minNegatives: 300 });
    expect(fit!.boundBy).toBe('lenient');
    expect(fit!.threshold).toBeGreaterThan(pooled.threshold);
    expect(fit!.groups.lenient!.fpr).toBeLessThanOrEqual(0.015);
    expect(fit!.groups.strict!.fpr).toBeLessThanOrEqual(0.015);
    expect(fit!.achievedFpr).toBeLessThanOrEqual(0.01);
    // the tiny source is reported, not obeyed
    expect(fit!.groups.tiny!.negatives).toBe(50);
    expect(fit!.groups.tiny!.fpr).toBeGreaterThan(0.015);
  });

  it('is the pooled threshold when no source needs more', () => {
    const [fit] = robustThresholds(scores, truth, groups.map(() => 'one'), [0.05]);
    expect(fit!.boundBy).toBe('pooled');
    expect(fit!.threshold).toBe(thresholdForFpr(scores, truth, 0.05)!.threshold);
  });
});

describe('ptd calibrate', { timeout: 120_000 }, () => {
  it("fits a model directory's temperature and thresholds from its runtime scores, and refuses a bad field", async () => {
    const { cp, mkdtemp, readFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { ptd } = await import('../helpers/ptd.ts');
    const dir = await mkdtemp(join(tmpdir(), 'ptd-calibrate-'));
    await cp('tests/fixtures/models/tiny', dir, { recursive: true });
    const data = 'tests/fixtures/pasted-small.jsonl';
    const r = await ptd('calibrate', '--model', dir, '--data', data, '--by', 'paraphraser', '--min-negatives', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/target FPR 0.01: threshold/);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.ptd.calibration.temperature).toBeGreaterThan(0);
    expect(config.ptd.calibration.fitted_on).toBe('pasted-small.jsonl');
    expect(config.ptd.thresholds.map((t: { target_fpr: number }) => t.target_fpr)).toEqual([0.01, 0.05]);
    for (const t of config.ptd.thresholds) {
      expect(t.achieved_fpr).toBeLessThanOrEqual(t.target_fpr);
      for (const g of Object.values(t.groups) as { fpr: number }[]) expect(g.fpr).toBeLessThanOrEqual(1.5 * t.target_fpr);
    }
    // the model loads and scores with what was written
    const scored = await ptd('score', '--model', dir, '--format', 'json', 'tests/fixtures/trip-report.txt');
    expect(scored.code).toBe(0);
    expect(JSON.parse(scored.stdout).threshold).toBe(config.ptd.thresholds[0].threshold);
    const bad = await ptd('calibrate', '--model', dir, '--data', data, '--by', 'nonsense');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--by nonsense: no record/);
  });
});
