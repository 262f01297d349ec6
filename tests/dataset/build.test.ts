import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ptd } from '../helpers/ptd.ts';
import { buildDataset } from '../../dataset/build.ts';
import { cleanRewrite, readCorpus } from '../../dataset/corpus.ts';
import { splitOf } from '../../dataset/split.ts';
import type { DatasetRecord } from '../../dataset/records.ts';

const CORPUS = 'tests/fixtures/dataset/corpus';

const all = (splits: Record<string, DatasetRecord[]>) => Object.values(splits).flat();

describe('buildDataset on a hand-made corpus', () => {
  it('makes every construction with consistent labels and provenance', async () => {
    const corpus = await readCorpus(CORPUS);
    const { splits } = buildDataset(corpus, { seed: 13 });
    const records = all(splits);
    const by = (c: string) => records.filter((r) => r.construction === c);
    expect(by('original').map((r) => r.id)).toEqual(['fx-doc-1#original', 'fx-doc-2#original', 'fx-doc-6#original']);
    expect(by('human').map((r) => r.id).sort()).toEqual(['fx-h1#human', 'fx-p1#human', 'fx-p2#human']);
    expect(by('light_edit').map((r) => r.id)).toEqual(['fx-1-light#light', 'fx-e-1#light']);
    expect(by('span_rewrite')).toHaveLength(2);
    // fixture-a and fixture-b are not in the plan: 2 splices per heavy rewrite.
    expect(by('splice').length).toBeGreaterThanOrEqual(3);
    for (const r of records) {
      const sentences = r.text.split(' </s> ');
      expect(r.label).toHaveLength(sentences.length);
      expect(r.lexical).toHaveLength(sentences.length);
      r.label.forEach((l, i) => {
        if (l === 0) expect(r.lexical[i]).toBe(0);
        expect(r.lexical[i]).toBeGreaterThanOrEqual(0);
        expect(r.lexical[i]).toBeLessThanOrEqual(1);
      });
      expect(sentences.every((s) => s.length > 0 && !/\s{2}|\n/.test(s))).toBe(true);
      expect(splits[splitOf(r.doc_id, 13)]).toContain(r);
    }
    // The light edit changed one word of one sentence.
    expect(by('light_edit')[0]!.label).toEqual([0, 1, 0, 0, 0, 0, 0]);
    // The LLM preamble is not part of any record.
    expect(records.some((r) => r.text.includes('polished text'))).toBe(false);
    // Negatives are all-0; every paraphrased construction has a positive.
    for (const r of [...by('original'), ...by('human')]) expect(r.label.every((l) => l === 0)).toBe(true);
    for (const r of [...by('splice'), ...by('light_edit'), ...by('span_rewrite')]) expect(r.label).toContain(1);
    const span2 = records.find((r) => r.id === 'fx-p2#span')!;
    expect(span2.label).toEqual([1, 0, 0, 1, 0]);
    expect(span2).toMatchObject({ paraphraser: 'model-z', edit: 'span', instruction: 'Polish the marked sentences.' });
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    // Every record names the corpus file it came from; paraphrased sentences carry their mirror original.
    expect(new Set(records.map((r) => r.file))).toEqual(
      new Set(['doc_rewrites.jsonl', 'doc_rewrites_extra.jsonl', 'span_rewrites.jsonl', 'human_passages.jsonl']),
    );
    for (const r of [...by('splice'), ...by('light_edit')]) {
      expect(r.original).toHaveLength(r.label.length);
      r.label.forEach((l, i) => (l === 0 ? expect(r.original![i]).toBeNull() : expect(typeof r.original![i]).toBe('string')));
    }
    // A minimal polish (third wave) is a light edit: only the reworded sentence is labelled, its original kept.
    const minimal = records.find((r) => r.id === 'fx-e-1#light')!;
    expect(minimal.label).toEqual([0, 1, 0, 0]);
    expect(minimal.original![1]).toBe('Residents had complained about traffic for years.');
  });

  it('labels LLM-written texts apart from the task: a shared human prefix 0, the generated rest 1', async () => {
    const corpus = await readCorpus(CORPUS);
    const { splits, generated } = buildDataset(corpus, { seed: 13 });
    expect(all(splits).some((r) => r.construction === 'generated' || r.construction === 'continuation')).toBe(false);
    const records = all(generated);
    const byId = (id: string) => records.find((r) => r.id === id);
    // Two generators continued one prefix: the sentence they share is human, what follows is not.
    expect(byId('fx-g-1#generated')!.label).toEqual([0, 1, 1]);
    expect(byId('fx-g-2#generated')!.label).toEqual([0, 1, 1]);
    expect(byId('fx-g-1#generated')!.doc_id).toBe(byId('fx-g-2#generated')!.doc_id);
    // A generation from a prompt is LLM text throughout; a continuation whose prefix is unknown is left out.
    expect(byId('fx-g-3#generated')).toMatchObject({ label: [1, 1], paraphraser: 'model-v', construction: 'generated' });
    expect(byId('fx-g-4#generated')).toBeUndefined();
    expect(byId('fx-m-1#continuation')).toMatchObject({ label: [0, 1, 1], construction: 'continuation', paraphraser: 'model-t' });
  });

  it('reads only the files it is given', async () => {
    const corpus = await readCorpus(CORPUS, ['doc_rewrites.jsonl']);
    expect(corpus.files.map((f) => f.name)).toEqual(['doc_rewrites.jsonl']);
    expect(corpus.spanRewrites).toHaveLength(0);
    await expect(readCorpus(CORPUS, ['notes.txt'])).rejects.toThrow(/notes\.txt: not a corpus file/);
  });

  it('is deterministic for a seed', async () => {
    const corpus = await readCorpus(CORPUS);
    expect(JSON.stringify(buildDataset(corpus, { seed: 13 }))).toBe(JSON.stringify(buildDataset(corpus, { seed: 13 })));
  });

  it('strips LLM chatter around a rewrite', () => {
    expect(cleanRewrite('Sure, here is the polished text:\n\nHello there.', 'Hello.')).toBe('Hello there.');
    expect(cleanRewrite('"Hello there."', 'Hello.')).toBe('Hello there.');
    expect(cleanRewrite('Hello there.\n\nNote: I fixed a typo.', 'Hello.')).toBe('Hello there.');
    expect(cleanRewrite('Dear team:\nHello.', 'Dear team:\nHello')).toBe('Dear team:\nHello.');
  });
});

describe('ptd dataset build', { timeout: 180_000 }, () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'ptd-build-'));
  });

  it('writes the three splits and stats.json', async () => {
    const r = await ptd('dataset', 'build', '--corpus', CORPUS, '--out', out, '--seed', '13');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote .*records/);
    expect((await readdir(out)).sort()).toEqual([
      'stats.json',
      'test-generated.jsonl',
      'test.jsonl',
      'train-generated.jsonl',
      'train.jsonl',
      'validation-generated.jsonl',
      'validation.jsonl',
    ]);
    const stats = JSON.parse(await readFile(join(out, 'stats.json'), 'utf8'));
    // Each corpus file is hashed as read, and the corpus as a whole from the files' hashes.
    const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
    const names = (await readdir(CORPUS)).sort();
    expect(stats.corpus.files.map((f: { name: string }) => f.name)).toEqual(names);
    for (const f of stats.corpus.files) expect(f.sha256).toBe(sha(await readFile(join(CORPUS, f.name))));
    expect(stats.corpus.sha256).toBe(sha(stats.corpus.files.map((f: { name: string; sha256: string }) => `${f.name}\t${f.sha256}\n`).join('')));
    expect(Object.keys(stats.by_file).sort()).toEqual(['doc_rewrites.jsonl', 'doc_rewrites_extra.jsonl', 'human_passages.jsonl', 'span_rewrites.jsonl']);
    expect(stats.generated.records).toBe(4);
    const lines = async (s: string) => (await readFile(join(out, `${s}.jsonl`), 'utf8')).split('\n').filter(Boolean).length;
    const counts = { train: await lines('train'), validation: await lines('validation'), test: await lines('test') };
    expect(stats.records).toBe(counts.train + counts.validation + counts.test);
    expect(stats.splits.train.records).toBe(counts.train);
    expect(stats.seed).toBe(13);
    expect(stats.positive_rate).toBeCloseTo(stats.positives / stats.sentences, 4);
    expect(Object.keys(stats.by_source).sort()).toEqual(['fixture-a', 'fixture-b', 'fixture-c', 'fixture-d', 'fixture-e']);
    expect(stats.by_paraphraser['(none)'].positives).toBe(0);
    expect(stats.by_construction.human.records).toBe(3);
  });

  it('exits 2 on a bad seed', async () => {
    expect((await ptd('dataset', 'build', '--corpus', CORPUS, '--out', out, '--seed', 'x')).code).toBe(2);
  });

  it('exits 1 on a missing corpus or a missing required file, naming it', async () => {
    const missing = await ptd('dataset', 'build', '--corpus', join(out, 'nope'), '--out', out);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/corpus directory not found: .*nope/);
    const partial = await mkdtemp(join(tmpdir(), 'ptd-corpus-'));
    await copyFile(join(CORPUS, 'doc_rewrites.jsonl'), join(partial, 'doc_rewrites.jsonl'));
    const incomplete = await ptd('dataset', 'build', '--corpus', partial, '--out', out);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toMatch(/corpus file not found: .*span_rewrites\.jsonl, .*human_passages\.jsonl/);
  });
});
