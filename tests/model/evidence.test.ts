// Evidence for flagged sentences (model/evidence.ts through the detector): the words whose removal lowers the score.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropAround, withoutChunk, wordChunks, MAX_CHUNKS, MAX_EVIDENCE } from '../../model/evidence.ts';
import type { ProgressiveDetector, ScoredSentence } from '../../model/index.ts';
import { bundledModels, loadNodeDetector } from '../../model/node.ts';
import { describeIfAvailable } from '../helpers/requires.ts';

const FIXTURE = path.resolve('tests/fixtures/models/tiny');

describe('chunks and removal', () => {
  it('cuts short sentences into words and long ones into chunks of 2 or more words', () => {
    const short = 'The cat sat down.';
    expect(wordChunks(short).map((c) => short.slice(c.start, c.end))).toEqual(['The', 'cat', 'sat', 'down']);
    const long = 'Moreover, the committee carefully reviewed every single proposal that the residents had submitted before the deadline.';
    const chunks = wordChunks(long).map((c) => long.slice(c.start, c.end));
    expect(chunks[0]).toBe('Moreover, the');
    expect(chunks.length).toBeLessThanOrEqual(MAX_CHUNKS);
    expect(chunks.join(' ')).toBe(long.slice(0, -1)); // every word, in order, the final full stop left out
    expect(wordChunks('🙂 !')).toEqual([]);
  });

  it('removes a chunk as if its words had never been there', () => {
    const s = 'Moreover, the plan was, in fact, approved.';
    const at = (t: string) => ({ start: s.indexOf(t), end: s.indexOf(t) + t.length });
    expect(withoutChunk(s, at('Moreover'))).toBe(', the plan was, in fact, approved.');
    expect(withoutChunk(s, at('in fact'))).toBe('Moreover, the plan was,, approved.');
    expect(withoutChunk(s, at('the plan'))).toBe('Moreover, was, in fact, approved.');
    expect(withoutChunk(s, at('approved'))).toBe('Moreover, the plan was, in fact,.');
  });

  it('crops a window around a sentence, nearest neighbours first, within the budget', () => {
    const lengths = [10, 10, 10, 10, 10];
    expect(cropAround(lengths, 2, 0, 5, 1 + 3 * 11)).toEqual({ first: 1, end: 4 });
    expect(cropAround(lengths, 0, 0, 5, 1 + 2 * 11)).toEqual({ first: 0, end: 2 });
    expect(cropAround(lengths, 2, 2, 3, 1000)).toEqual({ first: 2, end: 3 });
    expect(cropAround([200], 0, 0, 1, 96)).toEqual({ first: 0, end: 1 }); // longer than the budget: itself alone
  });
});

const DOC =
  'The harbour town grew quickly after the railway arrived in the spring of that year. ' +
  'Moreover, this remarkable transformation fundamentally reshaped the economic landscape of the entire region. ' +
  'Fishermen sold their catch on the quay every morning.';

describe.each(['q8', 'fp32'] as const)('evidence from the fixture model (%s)', (dtype) => {
  let d: ProgressiveDetector;
  beforeAll(async () => {
    // windows as large as the model's, so that evidence reads the same window as scoring does
    d = await loadNodeDetector({ model: FIXTURE, dtype, device: 'cpu', tuning: { evidenceTokens: 512, evidenceChunks: 10 } });
  });
  afterAll(async () => {
    await d?.dispose();
  });

  it('is given for flagged sentences only, and only when asked for', async () => {
    const plain = await d.score(DOC, { threshold: 0 });
    expect(plain.sentences.every((s) => s.evidence === undefined)).toBe(true);
    const mid = [...plain.sentences.map((s) => s.score!)].sort((a, b) => a - b)[1]!;
    const r = await d.score(DOC, { threshold: mid, evidence: true });
    for (const s of r.sentences) {
      if (s.label === 'paraphrased') expect(Array.isArray(s.evidence)).toBe(true);
      else expect(s.evidence).toBeUndefined();
    }
  });

  it('each item is a span of the sentence whose removal lowers its score by `drop`: rescoring the text without it agrees', async () => {
    const r = await d.score(DOC, { threshold: 0, evidence: true });
    let checked = 0;
    for (const s of r.sentences as ScoredSentence[]) {
      expect(s.evidence!.length).toBeLessThanOrEqual(MAX_EVIDENCE);
      const drops = s.evidence!.map((e) => e.drop);
      expect(drops).toEqual([...drops].sort((a, b) => b - a));
      for (const e of s.evidence!) {
        expect(DOC.slice(e.start, e.end)).toBe(e.text);
        expect(e.start).toBeGreaterThanOrEqual(s.start);
        expect(e.end).toBeLessThanOrEqual(s.end);
        expect(e.drop).toBeGreaterThan(0);
        // rescored with the sentences as they were (removing words can change where sentences split)
        const sentences = r.sentences.map((x) => x.text);
        sentences[s.index] = withoutChunk(s.text, { start: e.start - s.start, end: e.end - s.start });
        const after = (await d.scoreSentences(sentences)).sentences[s.index]!.score!;
        expect(after).toBeLessThan(s.score);
        // fp32: exactly the drop measured; q8: the sentence's readings share one batch (and its activation scale)
        if (dtype === 'fp32') expect(s.score - after).toBeCloseTo(e.drop, 5);
        else expect(Math.abs(s.score - after - e.drop)).toBeLessThan(0.03);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

for (const m of bundledModels()) {
  describeIfAvailable(`evidence from the shipped model ${m.alias}`, m.available, `the shipped weights (model/weights/${m.name}/config.json: committed, check out the whole repository)`, () => {
    it('removing the top evidence of a flagged sentence lowers its score in the whole document', async () => {
      const text = readFileSync('tests/fixtures/trip-report.txt', 'utf8');
      const d = await loadNodeDetector({ model: m.alias, dtype: 'q8', device: 'cpu' });
      try {
        // flag the two highest-scoring sentences, whatever the model's calibration
        const plain = await d.score(text);
        const second = [...plain.sentences.map((s) => s.score!)].sort((a, b) => b - a)[1]!;
        const r = await d.score(text, { threshold: second, evidence: true });
        const flagged = r.sentences.filter((s): s is ScoredSentence => s.label === 'paraphrased');
        expect(flagged.length).toBeGreaterThanOrEqual(2);
        for (const s of flagged) {
          const top = s.evidence![0];
          expect(top, `evidence for "${s.text}"`).toBeDefined();
          // the whole document again, its sentences as they were (removing words can change where sentences split)
          const sentences = r.sentences.map((x) => x.text);
          sentences[s.index] = withoutChunk(s.text, { start: top!.start - s.start, end: top!.end - s.start });
          expect((await d.scoreSentences(sentences)).sentences[s.index]!.score).toBeLessThan(s.score);
        }
      } finally {
        await d.dispose();
      }
    });
  });
}
