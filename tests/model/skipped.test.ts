// The runtime leaves unscored what the model cannot read (model/readable.ts through analyse/detector.ts): never a
// score for such a sentence, never as context for the others, and a document that is mostly unreadable says so.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionResult, ProgressiveDetector } from '../../model/index.ts';
import { loadNodeDetector } from '../../model/node.ts';

const FIXTURE = path.resolve('tests/fixtures/models/tiny');

const ENGLISH = [
  'The harbour town grew quickly after the railway arrived in the spring of that year.',
  'Fishermen sold their catch on the quay every morning before the sun was up.',
  'By the end of the decade the population had doubled, and the old school was too small.',
  'A new school opened on the hill, paid for by the families who had moved there.',
];
const CHINESE = '这是一篇关于城市发展的文章，作者讨论了交通问题。居民们希望政府能够修建更多的道路。';
const RUSSIAN = 'Это статья о развитии города. Жители надеются, что власти построят больше дорог.';
const JAPANESE = '東京は日本の首都です。毎日たくさんの人が電車で通勤しています。';

describe.each(['q8', 'fp32'] as const)('skipping unreadable text (fixture model, %s)', (dtype) => {
  let detector: ProgressiveDetector;
  beforeAll(async () => {
    detector = await loadNodeDetector({ model: FIXTURE, dtype, device: 'cpu' });
  });
  afterAll(async () => {
    await detector?.dispose();
  });

  const skippedOf = (r: DetectionResult) => r.sentences.filter((s) => s.score === null);

  it.each([
    ['Chinese', CHINESE],
    ['Russian', RUSSIAN],
    ['Japanese', JAPANESE],
  ])('a %s document: every sentence unscored, "language", not reliable, nothing flagged', async (_name, text) => {
    const r = await detector.score(text, { threshold: 0 });
    expect(r.sentences.length).toBeGreaterThanOrEqual(2);
    for (const s of r.sentences) expect(s).toMatchObject({ score: null, label: 'skipped', skipped: 'language' });
    expect(r.spans).toEqual([]);
    expect(r.score).toBe(0);
    expect(r.paraphrasedFraction).toBe(0);
    expect(r.coverage).toEqual({ sentences: r.sentences.length, scored: 0, skipped: r.sentences.length, truncated: 0 });
    expect(r).toMatchObject({ reliable: false, reason: 'language' });
  });

  it('emoji and numbers only: "no-letters"', async () => {
    const r = await detector.score('🙂🙂🎉\n\n2019–2020: 3.5%');
    expect(r.sentences.map((s) => s.skipped)).toEqual(['no-letters', 'no-letters']);
    expect(r).toMatchObject({ reliable: false, reason: 'no-letters', score: 0 });
  });

  it('a mixed page: the English sentences are scored exactly as without the rest (skipped text is not context)', async () => {
    const mixed = [ENGLISH[0], ENGLISH[1], JAPANESE, ENGLISH[2], CHINESE, ENGLISH[3]].join('\n\n');
    const r = await detector.score(mixed, { threshold: 0 });
    const english = await detector.score(ENGLISH.join('\n\n'), { threshold: 0 });
    const scored = r.sentences.filter((s) => s.score !== null);
    expect(scored.map((s) => s.text)).toEqual(ENGLISH);
    expect(scored.map((s) => s.score)).toEqual(english.sentences.map((s) => s.score));
    expect(skippedOf(r).every((s) => s.skipped === 'language' && s.label === 'skipped')).toBe(true);
    expect(r.coverage).toMatchObject({ scored: 4, skipped: 4 });
    // with threshold 0 every scored sentence is flagged, and the skipped ones break the spans
    expect(r.spans.map((s) => [s.firstSentence, s.lastSentence])).toEqual([
      [0, 1],
      [4, 4],
      [7, 7],
    ]);
    expect(r.paraphrasedFraction).toBe(1);
    expect(r.reliable).toBe(true);
  });

  it('an English sentence with a foreign word is still read', async () => {
    const r = await detector.score(`${ENGLISH[0]} The word 東京 means eastern capital in Japanese.`);
    expect(skippedOf(r)).toEqual([]);
  });

  it('pre-split sentences (evaluation) are skipped the same way, and counted', async () => {
    const r = await detector.scoreSentences([ENGLISH[0]!, '東京は日本の首都です。', ENGLISH[1]!]);
    expect(r.sentences.map((s) => s.skipped ?? null)).toEqual([null, 'language', null]);
    expect(r.coverage).toMatchObject({ sentences: 3, scored: 2, skipped: 1 });
  });
});
