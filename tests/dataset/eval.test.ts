import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ptd } from '../helpers/ptd.ts';
import { loadNodeDetector } from '../../model/node.ts';

// Three documents, eight sentences, three paraphrased (hand-computed values below).
const records = [
  { id: 'd1', text: 'A one. </s> B two. </s> C three.', label: [0, 1, 1], lexical: [0, 0.5, 0.9], group: 'g1' },
  { id: 'd2', text: 'D four. </s> E five.', label: [0, 0], group: 'g2' },
  { id: 'd3', text: 'F six. </s> G seven. </s> H eight.', label: [1, 0, 0], lexical: [0.4, 0, 0], group: 'g2' },
];
const predictions = [
  { id: 'd3', scores: [0.5, 0.3, 0.05] },
  { id: 'd1', scores: [0.1, 0.8, 0.9] },
  { id: 'd2', scores: [0.2, 0.6] },
];

let dir: string;
let data: string;
let preds: string;
const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ptd-eval-'));
  data = join(dir, 'data.jsonl');
  preds = join(dir, 'preds.jsonl');
  await writeFile(data, jsonl(records));
  await writeFile(preds, jsonl(predictions));
});

// Each test starts the CLI (tsx) once or twice: generous time on a loaded 2-core machine.
describe('ptd eval', { timeout: 180_000 }, () => {
  it('prints the metrics as one JSON object, overall and per group', async () => {
    const r = await ptd('eval', '--data', data, '--predictions', preds, '--by', 'group', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ documents: 3, sentences: 8, positives: 3, pearson_syntactic: null, threshold: 0.8 });
    // Positives .8 .9 .5 against negatives .1 .2 .6 .3 .05: 14 of 15 pairs ordered.
    expect(out.auroc).toBeCloseTo(14 / 15, 6);
    // No human sentence above .8 → .9 and .8 flagged at FPR 0.
    expect(out.tpr_at_1fpr).toBeCloseTo(2 / 3, 6);
    expect(out.tpr_at_5fpr).toBeCloseTo(2 / 3, 6);
    // Over d1 and d3 (d2 has no lexical list).
    expect(out.pearson_lexical).toBeCloseTo(0.938066, 5);
    // Threshold fitted at FPR <= 1%: 0.8 → tp 2, fp 0, fn 1.
    expect(out.f1).toBeCloseTo(0.8, 6);
    expect(Object.keys(out.groups)).toEqual(['group=g1', 'group=g2']);
    expect(out.groups['group=g1']).toMatchObject({ documents: 1, sentences: 3, positives: 2, auroc: 1, tpr_at_1fpr: 1 });
    expect(out.groups['group=g2'].auroc).toBeCloseTo(0.75, 6);
    expect(out.groups['group=g2'].tpr_at_1fpr).toBe(0);
    expect(out.groups['group=g2'].f1).toBe(0);
    expect(out.groups['group=g2'].pearson_lexical).toBeCloseTo(
      // scores .5 .3 .05 vs lexical .4 0 0 (d3 only)
      (() => {
        const x = [0.5, 0.3, 0.05];
        const y = [0.4, 0, 0];
        const mx = x.reduce((a, b) => a + b) / 3;
        const my = y.reduce((a, b) => a + b) / 3;
        const sxy = x.reduce((a, v, i) => a + (v - mx) * (y[i]! - my), 0);
        const sxx = x.reduce((a, v) => a + (v - mx) ** 2, 0);
        const syy = y.reduce((a, v) => a + (v - my) ** 2, 0);
        return sxy / Math.sqrt(sxx * syy);
      })(),
      5,
    );
  });

  it('uses a given threshold', async () => {
    const r = await ptd('eval', '--data', data, '--predictions', preds, '--threshold', '0.45', '--json');
    const out = JSON.parse(r.stdout);
    // >= .45: .8 .9 .5 (tp 3) and .6 (fp 1) → F1 6/7.
    expect(out.threshold).toBe(0.45);
    expect(out.f1).toBeCloseTo(6 / 7, 6);
    expect(out.threshold_source).toBe('given');
  });

  it('prints a table by default and writes a self-contained HTML report', async () => {
    const report = join(dir, 'report.html');
    const r = await ptd('eval', '--data', data, '--predictions', preds, '--by', 'group', '--report', report);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^group\s+documents/);
    expect(r.stdout).toMatch(/group=g2\s+2\s+5\s+1\s+0\.750/);
    const html = await readFile(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('aria-label="ROC curve"');
    expect(html).toContain('aria-label="score histograms"');
    // The records carry `lexical`: mean scores of the paraphrased sentences by amount of change, no syntactic line.
    expect(html).toContain('aria-label="mean score by amount of change"');
    expect(html).toContain('lexical change');
    expect(html).not.toContain('syntactic change');
    expect(html).toContain('group=g1');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('--bootstrap adds confidence intervals over documents to the JSON, the table and the report', async () => {
    const report = join(dir, 'report-ci.html');
    const json = await ptd('eval', '--data', data, '--predictions', preds, '--bootstrap', '200', '--seed', '7', '--json');
    expect(json.code).toBe(0);
    expect(json.stderr).toContain('bootstrap: 200 replicates over 3 documents (seed 7)');
    const out = JSON.parse(json.stdout);
    expect(out.bootstrap).toEqual({ replicates: 200, seed: 7, level: 0.95, unit: 'document' });
    // three documents: replicates range from d1 alone (AUROC 1) to d2+d3 (0.75) or one-class draws (dropped)
    expect(out.ci.auroc[0]).toBeGreaterThanOrEqual(0.5);
    expect(out.ci.auroc[0]).toBeLessThan(out.auroc);
    expect(out.ci.auroc[1]).toBe(1);
    expect(out.ci.pearson_syntactic).toBeNull();
    const table = await ptd('eval', '--data', data, '--predictions', preds, '--bootstrap', '200', '--report', report);
    expect(table.stdout).toMatch(/^all\s+3\s+8\s+3\s+0\.933 \[\d\.\d{3}, 1\.000\]/m);
    expect(table.stdout).toContain('95% percentile intervals from 200 bootstrap replicates over documents');
    expect(await readFile(report, 'utf8')).toContain('0.933 [');
    const bad = await ptd('eval', '--data', data, '--predictions', preds, '--bootstrap', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--bootstrap: invalid value "many"');
  });

  it('gives a group without paraphrased sentences an FPR but no precision/recall/F1', async () => {
    const human = JSON.parse((await ptd('eval', '--data', data, '--predictions', preds, '--by', 'id', '--json')).stdout);
    expect(human.groups['id=d2']).toMatchObject({ positives: 0, auroc: null, f1: null, precision: null, recall: null, fpr: 0 });
  });

  it('names missing and extra ids', async () => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, jsonl([predictions[1], predictions[2], { id: 'zz', scores: [0.1] }]));
    const r = await ptd('eval', '--data', data, '--predictions', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no prediction for 1 record id\(s\): "d3"/);
    expect(r.stderr).toMatch(/1 prediction id\(s\) match no record: "zz"/);
  });

  it('rejects a score count that is not the sentence count', async () => {
    const bad = join(dir, 'short.jsonl');
    await writeFile(bad, jsonl([predictions[0], predictions[1], { id: 'd2', scores: [0.2] }]));
    const r = await ptd('eval', '--data', data, '--predictions', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/record id "d2": 1 scores for 2 sentences/);
  });

  it('stops on an invalid record, naming file, line and reason', async () => {
    const noIds = join(dir, 'noids-strict.jsonl');
    await writeFile(noIds, `${jsonl(records.map(({ id: _id, ...r }) => r))}{"text": "X.", "label": ["a"]}\n`);
    const strict = await ptd('eval', '--data', noIds, '--predictions', preds);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/noids-strict\.jsonl:4: "label"\[0\] is not a number/);
  });

  it('matches by position when records have no ids, and --skip-invalid skips bad records', async () => {
    const noIds = join(dir, 'noids.jsonl');
    await writeFile(noIds, `${jsonl(records.map(({ id: _id, ...r }) => r))}{"text": "X.", "label": ["a"]}\n`);
    const posPreds = join(dir, 'pos.jsonl');
    await writeFile(posPreds, jsonl([predictions[1], predictions[2], predictions[0]].map((p) => ({ scores: p!.scores }))));
    const r = await ptd('eval', '--data', noIds, '--predictions', posPreds, '--skip-invalid', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped 1 invalid record/);
    expect(JSON.parse(r.stdout).auroc).toBeCloseTo(14 / 15, 6);
  });

  it('runs ptd\'s own detector with --model over the given sentences (fixture model: plumbing only)', async () => {
    const r = await ptd('eval', '--data', data, '--model', 'tests/fixtures/models/tiny', '--json', '--by', 'group');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    // The records' own sentences are scored, not a re-segmentation: 8 sentences, 3 positives.
    expect(out).toMatchObject({ documents: 3, sentences: 8, positives: 3, threshold_source: "the model's default threshold" });
    expect(out.auroc).toBeGreaterThanOrEqual(0);
    expect(out.auroc).toBeLessThanOrEqual(1);
    expect(typeof out.threshold).toBe('number');
    expect(r.stderr).toMatch(/scoring 3 records with /);
  });

  it('--write-predictions saves the model\'s scores, which --predictions then evaluates to the same numbers', async () => {
    const saved = join(dir, 'tiny-preds.jsonl');
    const first = await ptd('eval', '--data', data, '--model', 'tests/fixtures/models/tiny', '--write-predictions', saved, '--json');
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`wrote 3 predictions of ptd-tiny-fixture`);
    const rows = (await readFile(saved, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((r: { id: string }) => r.id)).toEqual(['d1', 'd2', 'd3']);
    expect(rows.map((r: { scores: number[] }) => r.scores.length)).toEqual([3, 2, 3]);
    const again = await ptd('eval', '--data', data, '--predictions', saved, '--json');
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(again.stdout);
    for (const k of ['auroc', 'tpr_at_1fpr', 'tpr_at_5fpr', 'pearson_lexical']) expect(b[k]).toBe(a[k]);
    const misuse = await ptd('eval', '--data', data, '--predictions', preds, '--write-predictions', saved);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toMatch(/--write-predictions needs exactly one --model/);
  });

  it('--model-output degree evaluates the predicted lexical change instead of the paraphrase score', async () => {
    const saved = join(dir, 'tiny-degree.jsonl');
    const r = await ptd('eval', '--data', data, '--model', 'tests/fixtures/models/tiny', '--model-output', 'degree', '--write-predictions', saved, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.threshold_source).not.toBe("the model's default threshold"); // that threshold is for the score
    const rows = (await readFile(saved, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { scores: number[] });
    // The same numbers as the runtime's `degree` for those sentences.
    const detector = await loadNodeDetector({ model: 'tests/fixtures/models/tiny' });
    try {
      // One batch of the three documents, as the evaluation scores them (padding changes q8 results slightly).
      const results = await detector.scoreMany(records.map((r) => ({ sentences: r.text.split(' </s> ') })));
      results.forEach((res, k) => {
        res.sentences.forEach((sentence, i) => expect(rows[k]!.scores[i]).toBeCloseTo(sentence.degree!, 5));
        expect(rows[k]!.scores).not.toEqual(res.sentences.map((sentence) => sentence.score));
      });
    } finally {
      await detector.dispose();
    }
    const bad = await ptd('eval', '--data', data, '--model', 'tests/fixtures/models/tiny', '--model-output', 'logit');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--model-output must be score or degree/);
  });

  it('says how many sentences the model could not read, and counts them as never flagged (score 0)', async () => {
    const mixed = join(dir, 'mixed.jsonl');
    await writeFile(
      mixed,
      jsonl([
        { id: 'm1', text: 'The harbour town grew quickly. </s> 東京は日本の首都です。 </s> Fishermen sold their catch.', label: [0, 1, 0] },
        { id: 'm2', text: 'The school was too small. </s> A new one opened.', label: [1, 0] },
      ]),
    );
    const saved = join(dir, 'mixed-preds.jsonl');
    const r = await ptd('eval', '--data', mixed, '--model', 'tests/fixtures/models/tiny', '--json', '--write-predictions', saved);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sentences).toBe(5); // still counted
    expect(out.not_scored).toEqual({ sentences: 1, documents: 1, reasons: { language: 1 }, counted_as: 0 });
    expect(r.stderr).toMatch(/1 of 5 sentences \(in 1 document\) not scored by the model .*language.* count as score 0/);
    const written = (await readFile(saved, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(written[0].scores[1]).toBe(0);
    const table = await ptd('eval', '--data', mixed, '--model', 'tests/fixtures/models/tiny');
    expect(table.stdout).toMatch(/1 of 5 sentences \(in 1 document\) not scored by the model/);
  });

  it('names a model that cannot be loaded', async () => {
    const r = await ptd('eval', '--data', data, '--model', join(dir, 'no-model'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot load model/);
  });

  it('exits 2 on a --by field that no record has, naming the fields there are', async () => {
    const r = await ptd('eval', '--data', data, '--predictions', preds, '--by', 'paraphrasr');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--by paraphrasr: no record has a "paraphrasr" field \(fields: id, lexical, group\)/);
  });

  it('exits 2 without --predictions or --model', async () => {
    const r = await ptd('eval', '--data', data);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --predictions FILE or --model NAME_OR_DIR/);
  });

  it('compares detectors given together: each one\'s metrics, the differences from the first, paired intervals', async () => {
    // d3's paraphrased sentence scored lowest instead of highest: positives .8 .9 .05 against negatives
    // .1 .2 .6 .3 .5 → 10 of 15 pairs ordered, 4/15 below the reference's 14/15.
    const worse = join(dir, 'worse.jsonl');
    await writeFile(worse, jsonl([{ id: 'd1', scores: [0.1, 0.8, 0.9] }, { id: 'd2', scores: [0.2, 0.6] }, { id: 'd3', scores: [0.05, 0.3, 0.5] }]));
    const report = join(dir, 'compare.html');
    const r = await ptd('eval', '--data', data, '--predictions', preds, '--predictions', worse, '--by', 'group', '--bootstrap', '300', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.reference).toBe(preds);
    expect(out.scorers.map((s: { name: string }) => s.name)).toEqual([preds, worse]);
    expect(out.scorers[1].result.auroc).toBeCloseTo(10 / 15, 6);
    const c = out.comparisons[0];
    expect(c).toMatchObject({ scorer: worse, versus: preds });
    expect(c.delta.auroc).toBeCloseTo(-4 / 15, 6);
    // d3 is the only document where they differ: a replicate without it ties (0), with it the worse one loses
    expect(c.ci.auroc[0]).toBeLessThan(0);
    expect(c.ci.auroc[1]).toBeLessThanOrEqual(0);
    expect(c.auroc_wins).toBe(0);
    // per group, paired too: g1 (d1) is scored the same by both; g2 (d2, d3) is where they differ
    expect(c.groups['group=g1'].delta.auroc).toBe(0);
    expect(c.groups['group=g1'].ci.auroc).toEqual([0, 0]);
    // g2: reference .5 vs .2 .6 .3 .05 → 3/4; worse .05 vs .2 .6 .3 .5 → 0
    expect(c.groups['group=g2'].delta.auroc).toBeCloseTo(-0.75, 6);
    const table = await ptd('eval', '--data', data, '--predictions', preds, '--predictions', worse, '--by', 'group', '--report', report);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ΔAUROC/);
    expect(table.stdout).toContain(`${worse} − ${preds}`);
    expect(table.stdout).toMatch(/−0\.267/);
    expect(table.stdout).toMatch(/AUROC by group/);
    expect(table.stdout).toContain(`ΔAUROC ${worse}`);
    expect(table.stdout).toMatch(/group=g2 .*−0\.750/);
    const html = await readFile(report, 'utf8');
    expect(html.match(/<path d="M/g)).toHaveLength(2); // two ROC curves on one plot
    expect(html).toContain('Differences from the reference');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });

  it('compares a prediction file with ptd\'s own detector in one run', async () => {
    const r = await ptd('eval', '--data', data, '--predictions', preds, '--model', 'tests/fixtures/models/tiny', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.scorers).toHaveLength(2);
    expect(out.scorers[1].name).toMatch(/^ptd-tiny-fixture /);
    expect(out.scorers[1].result.threshold_source).toBe("the model's default threshold");
    expect(out.comparisons[0].delta.auroc).toBeCloseTo(out.scorers[1].result.auroc - out.scorers[0].result.auroc, 5);
  });
});
