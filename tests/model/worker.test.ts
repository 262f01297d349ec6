// The worker-hosted detector (model/worker) against the in-process one, on the fixture model.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeDetector } from '../../model/node.ts';
import type { Detector } from '../../model/types.ts';
import { loadWorkerDetector } from '../../model/worker/client.ts';

const FIXTURE = path.resolve('tests/fixtures/models/tiny');
const DOCS = [
  { text: 'Mr. Smith went to Washington on Monday. He arrived at 3.30 p.m. and met the press. The crowd cheered.' },
  { text: 'Later that evening, Dr. Jones gave a speech about the economy.\n\nNobody expected it to be so long.' },
  { sentences: ['One sentence as given.', 'And another one, not re-split. Really.'] },
];

describe('detector in a worker thread', () => {
  let inWorker: Detector;
  let inProcess: Detector;
  beforeAll(async () => {
    [inWorker, inProcess] = await Promise.all([
      loadWorkerDetector({ model: FIXTURE, dtype: 'fp32', device: 'cpu' }),
      loadNodeDetector({ model: FIXTURE, dtype: 'fp32', device: 'cpu' }),
    ]);
  });
  afterAll(async () => {
    await inWorker?.dispose();
    await inProcess?.dispose();
  });

  it('describes the same model', () => {
    expect(inWorker.info).toEqual(inProcess.info);
    expect(inWorker.thresholds).toEqual(inProcess.thresholds);
    expect(inWorker.defaultThreshold).toBe(inProcess.defaultThreshold);
    expect(inWorker.maxTokens).toBe(inProcess.maxTokens);
  });

  it('returns the same results as the in-process detector, in input order, for concurrent calls too', async () => {
    const [many, one, sentences] = await Promise.all([
      inWorker.scoreMany(DOCS, { threshold: 0.3 }),
      inWorker.score(DOCS[0]!.text!),
      inWorker.scoreSentences(DOCS[2]!.sentences!),
    ]);
    expect(many).toEqual(await inProcess.scoreMany(DOCS, { threshold: 0.3 }));
    expect(one).toEqual(await inProcess.score(DOCS[0]!.text!));
    expect(sentences).toEqual(await inProcess.scoreSentences(DOCS[2]!.sentences!));
  });

  it('reports the model info as the caller sees it, including devices it added to the fallbacks', async () => {
    const info = inWorker.info as { fallbacks: { device: string; reason: string }[] };
    const before = info.fallbacks;
    info.fallbacks = [{ device: 'cuda', reason: 'no CUDA here' }];
    try {
      const r = await inWorker.score(DOCS[0]!.text!);
      expect(r.model).toEqual(inWorker.info);
      expect(r.model.fallbacks).toEqual([{ device: 'cuda', reason: 'no CUDA here' }]);
    } finally {
      info.fallbacks = before;
    }
  });

  it('passes errors back with their class and message', async () => {
    await expect(inWorker.score('Some text here.', { threshold: 2 })).rejects.toThrow(RangeError);
    await expect(inWorker.score('Some text here.', { threshold: 2 })).rejects.toThrow(/threshold must be between 0 and 1/);
  });

  it('rejects a model that cannot load, naming the problem', async () => {
    const err = await loadWorkerDetector({ model: 'no-such-model', device: 'cpu' }).then(
      () => new Error('loaded'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('UnknownModelError');
    expect(err.message).toMatch(/unknown model "no-such-model"/);
  });

  it('refuses to score after dispose, and dispose ends the worker', async () => {
    const d = await loadWorkerDetector({ model: FIXTURE, dtype: 'fp32', device: 'cpu' });
    await d.dispose();
    await expect(d.score('After the end.')).rejects.toThrow(/disposed/);
    await d.dispose(); // idempotent
  });
});
