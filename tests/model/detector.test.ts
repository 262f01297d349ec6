import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceCandidates, loadDetector, segment, type DetectionResult, type Detector } from '../../model/index.ts';
import { UnknownModelError, bundledModels, loadNodeDetector, resolveModel } from '../../model/node.ts';
import { CUDA_SITUATION, CUDA_USABLE } from '../helpers/cuda.ts';

const FIXTURE = path.resolve('tests/fixtures/models/tiny');

const DOC =
  'Mr. Smith went to Washington on Monday. He arrived at 3.30 p.m. and met the press. ' +
  'The weather was fine, and the crowd cheered loudly as he walked in.\n\n' +
  'Later that evening, Dr. Jones gave a speech about the economy. Nobody expected it to be so long. ' +
  'Still, most people stayed until the very end.';

function checkResult(r: DetectionResult, text: string): void {
  expect(r.coverage.sentences).toBe(r.sentences.length);
  expect(r.coverage.scored).toBe(r.sentences.length);
  expect(r.coverage.skipped).toBe(0);
  r.sentences.forEach((s, i) => {
    expect(s.index).toBe(i);
    expect(text.slice(s.start, s.end)).toBe(s.text);
    if (s.score === null) throw new Error(`sentence ${i} was skipped (${s.skipped})`);
    expect(s.score).toBeGreaterThanOrEqual(0);
    expect(s.score).toBeLessThanOrEqual(1);
    expect(s.label).toBe(s.score >= r.threshold ? 'paraphrased' : 'human');
    expect(s.degree).toBeGreaterThanOrEqual(0);
    expect(s.degree).toBeLessThanOrEqual(1);
  });
  expect(r.score).toBe(Math.max(0, ...r.sentences.map((s) => s.score!)));
  const flagged = r.sentences.filter((s) => s.label === 'paraphrased');
  expect(r.paraphrasedFraction).toBeCloseTo(r.sentences.length ? flagged.length / r.sentences.length : 0, 5);
  // Spans: exactly the flagged sentences, merged when adjacent.
  const inSpans = r.spans.flatMap((sp) => {
    expect(sp.start).toBe(r.sentences[sp.firstSentence]!.start);
    expect(sp.end).toBe(r.sentences[sp.lastSentence]!.end);
    return Array.from({ length: sp.lastSentence - sp.firstSentence + 1 }, (_, k) => sp.firstSentence + k);
  });
  expect(inSpans).toEqual(flagged.map((s) => s.index));
  for (let k = 1; k < r.spans.length; k++) expect(r.spans[k]!.firstSentence).toBeGreaterThan(r.spans[k - 1]!.lastSentence + 1);
}

describe.each(['fp32', 'q8'] as const)('detector with the fixture model (%s)', (dtype) => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await loadNodeDetector({ model: FIXTURE, dtype, device: 'cpu' });
  });
  afterAll(async () => {
    await detector?.dispose();
  });

  it('reports the model it runs', () => {
    expect(detector.info).toEqual({ name: 'ptd-tiny-fixture', version: '0.0.0-fixture', device: 'cpu', dtype, fallbacks: [] });
    expect(detector.defaultThreshold).toBe(0.6);
    expect(detector.thresholds.map((t) => t.targetFpr)).toEqual([0.01, 0.05]);
    expect(detector.maxTokens).toBe(512);
  });

  it('scores every sentence of a document with consistent labels, spans and document score', async () => {
    const r = await detector.score(DOC);
    expect(r.text).toBe(DOC);
    expect(r.sentences.map((s) => s.text)).toEqual(segment(DOC).map((s) => s.text));
    expect(r.sentences.length).toBe(6);
    expect(r.sentences[3]!.paragraphStart).toBe(true);
    expect(r.threshold).toBe(0.6);
    expect(r.model).toMatchObject({ name: 'ptd-tiny-fixture', dtype });
    expect(r.coverage).toEqual({ sentences: 6, scored: 6, skipped: 0, truncated: 0 });
    expect(r.reliable).toBe(true);
    checkResult(r, DOC);
  });

  it('applies a caller threshold to the labels', async () => {
    const all = await detector.score(DOC, { threshold: 0 });
    expect(all.sentences.every((s) => s.label === 'paraphrased')).toBe(true);
    expect(all.spans).toEqual([{ start: 0, end: DOC.length, firstSentence: 0, lastSentence: 5, score: expect.any(Number) }]);
    expect(all.paraphrasedFraction).toBe(1);
    const none = await detector.score(DOC, { threshold: 1 });
    expect(none.sentences.filter((s) => s.score! < 1).every((s) => s.label === 'human')).toBe(true);
    await expect(detector.score(DOC, { threshold: 1.5 })).rejects.toThrow(/threshold/);
  });

  it('scores pre-split sentences without re-splitting them', async () => {
    const sentences = ['Dr. No. He left. Then he came back', 'i.e. this is one sentence! Really? Yes.', 'Short'];
    const r = await detector.scoreSentences(sentences);
    expect(r.sentences.map((s) => s.text)).toEqual(sentences);
    expect(r.text).toBeUndefined();
    checkResult(r, sentences.join(' '));
  });

  it('gives exactly the same scores one by one and batched (padding and batch mates change nothing)', async () => {
    const docs = [DOC, 'One short sentence.', 'A second document. It has two sentences and a few more words in it.'];
    const batched = await detector.scoreMany(docs.map((text) => ({ text })));
    const alone = await Promise.all(docs.map((d) => detector.score(d)));
    expect(batched.length).toBe(3);
    batched.forEach((b, i) => {
      expect(b.sentences.map((s) => s.text)).toEqual(alone[i]!.sentences.map((s) => s.text));
      b.sentences.forEach((s, k) => expect(s.score).toBe(alone[i]!.sentences[k]!.score));
    });
    const mixed = await detector.scoreMany([{ sentences: ['A given sentence.', 'Another one.'] }, { text: DOC }]);
    expect(mixed[0]!.sentences.map((s) => s.text)).toEqual(['A given sentence.', 'Another one.']);
    expect(mixed[1]!.sentences.length).toBe(6);
  });

  it('serves concurrent calls (queued inference) with the same results as sequential ones', async () => {
    const texts = [DOC, 'Another text. With two sentences here.', DOC.slice(0, 80)];
    const sequential: DetectionResult[] = [];
    for (const t of texts) sequential.push(await detector.score(t));
    const concurrent = await Promise.all(texts.map((t) => detector.score(t)));
    concurrent.forEach((r, i) => expect(r.sentences.map((s) => s.score)).toEqual(sequential[i]!.sentences.map((s) => s.score)));
    // (one call = one batch of its own, so queued calls give exactly the same numbers)
  });

  it('marks short documents unreliable and handles empty ones', async () => {
    const short = await detector.score('Just one sentence here.');
    expect(short.reliable).toBe(false);
    expect(short.sentences.length).toBe(1);
    const fewWords = await detector.score('Two sentences. Few words.');
    expect(fewWords.reliable).toBe(false);
    const empty = await detector.score('   \n ');
    expect(empty).toMatchObject({ sentences: [], spans: [], score: 0, paraphrasedFraction: 0, reliable: false });
    expect(empty.coverage).toEqual({ sentences: 0, scored: 0, skipped: 0, truncated: 0 });
    expect(empty.reason).toBe('too-short');
    expect(short.reason).toBe('too-short');
  });
});

describe('windows and truncation through the detector', () => {
  let small: Detector;
  let full: Detector;
  beforeAll(async () => {
    small = await loadNodeDetector({ model: FIXTURE, dtype: 'fp32', device: 'cpu', tuning: { maxTokens: 48, maxBatchRows: 4 } });
    full = await loadNodeDetector({ model: FIXTURE, dtype: 'fp32', device: 'cpu' });
  });
  afterAll(async () => {
    await small?.dispose();
    await full?.dispose();
  });

  it('scores every sentence of a document longer than a window', async () => {
    const paras = Array.from({ length: 12 }, (_, i) => `Paragraph ${i} starts here. It has a second sentence with more words in it. And a third.`);
    const text = paras.join('\n\n');
    const r = await small.score(text);
    expect(small.maxTokens).toBe(48);
    expect(r.sentences.length).toBe(36);
    expect(r.coverage).toEqual({ sentences: 36, scored: 36, skipped: 0, truncated: 0 });
    checkResult(r, text);
    // Windows see less context than one 512-token pass, so scores differ somewhere, but stay probabilities.
    const one = await full.score(text);
    expect(one.sentences.length).toBe(36);
    expect(r.sentences.some((s, i) => Math.abs(s.score! - one.sentences[i]!.score!) > 1e-6)).toBe(true);
  });

  it('batches the windows of several documents together without mixing them up', async () => {
    const long = Array.from({ length: 10 }, (_, i) => `Sentence number ${i} is here. It is followed by another one.`).join(' ');
    const docs = [long, 'A short document. With two sentences.', `${long} And one more.`];
    const together = await small.scoreMany(docs.map((text) => ({ text })));
    const alone: DetectionResult[] = [];
    for (const d of docs) alone.push(await small.score(d));
    together.forEach((r, i) => {
      expect(r.text).toBe(docs[i]);
      expect(r.sentences).toHaveLength(alone[i]!.sentences.length);
      r.sentences.forEach((s, k) => expect(s.score).toBeCloseTo(alone[i]!.sentences[k]!.score!, 4));
      checkResult(r, docs[i]!);
    });
  });

  it('cuts a sentence longer than a window, still scores it, and reports it', async () => {
    const long = `Words ${'word '.repeat(200).trim()} end.`;
    const text = `A normal sentence comes first. ${long} A normal sentence comes last.`;
    const r = await small.score(text);
    expect(r.sentences.length).toBe(3);
    expect(r.coverage).toEqual({ sentences: 3, scored: 3, skipped: 0, truncated: 1 });
    expect(r.sentences[1]!.truncated).toBe(true);
    expect(r.sentences[0]!.truncated).toBeUndefined();
    checkResult(r, text);
  });
});

describe('device selection and fallback', () => {
  it('orders the devices to try: CUDA then CPU in Node, WebGPU then WASM in browsers', () => {
    expect(deviceCandidates('auto', true)).toEqual(['cuda', 'cpu']);
    expect(deviceCandidates('auto', false)).toEqual(['webgpu', 'wasm']);
    expect(deviceCandidates('cpu', true)).toEqual(['cpu']);
    expect(deviceCandidates('cuda', true)).toEqual(['cuda', 'cpu']);
    expect(deviceCandidates('wasm', false)).toEqual(['wasm']);
    expect(deviceCandidates('webgpu', false)).toEqual(['webgpu', 'wasm']);
    expect(deviceCandidates('cpu', false)).toEqual(['cpu', 'wasm']);
  });

  // Each machine checks the path it has: where CUDA cannot run (no provider library or no GPU, as in CI), the fallback
  // to CPU with its reason; where it can, that the model runs on CUDA and nothing fell back.
  it(`--device cuda: ${CUDA_USABLE ? 'runs on CUDA' : 'falls back to CPU with the reason recorded'} (${CUDA_SITUATION})`, async () => {
    const d = await loadNodeDetector({ model: FIXTURE, dtype: 'fp32', device: 'cuda' });
    try {
      if (CUDA_USABLE) {
        expect(d.info.device).toBe('cuda');
        expect(d.info.fallbacks).toEqual([]);
      } else {
        expect(d.info.device).toBe('cpu');
        expect(d.info.fallbacks).toEqual([{ device: 'cuda', reason: expect.stringMatching(/cuda/i) }]);
      }
      const r = await d.score(DOC);
      checkResult(r, DOC);
      expect(r.model.device).toBe(d.info.device);
      expect(r.model.fallbacks).toEqual(d.info.fallbacks);
    } finally {
      await d.dispose();
    }
  });

  it(`auto picks ${CUDA_USABLE ? 'CUDA' : 'the CPU after trying CUDA'} and says which (${CUDA_SITUATION})`, async () => {
    const d = await loadNodeDetector({ model: FIXTURE, dtype: 'fp32', device: 'auto' });
    try {
      expect(d.info.device).toBe(CUDA_USABLE ? 'cuda' : 'cpu');
      expect(d.info.fallbacks.map((f) => f.device)).toEqual(CUDA_USABLE ? [] : ['cuda']);
      expect((await d.score(DOC)).sentences.length).toBe(6);
    } finally {
      await d.dispose();
    }
  });

  it('falls back from a browser-only device to CPU in Node', async () => {
    const d = await loadNodeDetector({ model: FIXTURE, dtype: 'q8', device: 'wasm' });
    try {
      expect(d.info.device).toBe('cpu');
      expect(d.info.fallbacks[0]).toMatchObject({ device: 'wasm', reason: expect.stringMatching(/wasm/i) });
    } finally {
      await d.dispose();
    }
  });
});

describe('model resolution', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ptd-model-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves directories relative to the working directory', () => {
    expect(resolveModel('tests/fixtures/models/tiny')).toEqual({ id: FIXTURE, kind: 'directory' });
  });

  it('names the bundled model, and says what replaced a withdrawn one', () => {
    expect(bundledModels().map((m) => [m.alias, m.name])).toEqual([['small', 'ptd-small']]);
    expect(() => resolveModel('base')).toThrow(/ptd-base was withdrawn in 0\.8\.0.*use small/);
    expect(() => resolveModel('ptd-base')).toThrow(UnknownModelError);
    for (const m of bundledModels()) {
      if (m.available) expect(resolveModel(m.alias)).toEqual({ id: m.dir, kind: 'bundled' });
      else expect(() => resolveModel(m.alias)).toThrow(/not installed/);
    }
  });

  it('refuses unknown models, non-model directories and hub ids unless remote loading is allowed', async () => {
    expect(() => resolveModel('no-such-model')).toThrow(UnknownModelError);
    expect(() => resolveModel('no-such-model')).toThrow(/unknown model "no-such-model"/);
    expect(() => resolveModel(dir)).toThrow(/not a model directory/);
    expect(() => resolveModel('someone/some-model')).toThrow(/downloading hub models is off/);
    expect(resolveModel('someone/some-model', true)).toEqual({ id: 'someone/some-model', kind: 'hub' });
    await expect(loadNodeDetector({ model: 'no-such-model' })).rejects.toThrow(UnknownModelError);
  });

  it('rejects a model whose config.json has no ptd section', async () => {
    const copy = path.join(dir, 'plain-bert');
    cpSync(FIXTURE, copy, { recursive: true });
    const config = JSON.parse(readFileSync(path.join(copy, 'config.json'), 'utf8'));
    delete config.ptd;
    writeFileSync(path.join(copy, 'config.json'), JSON.stringify(config));
    await expect(loadDetector({ model: copy, device: 'cpu' })).rejects.toThrow(/not a ptd model/);
  });

  it('refuses to score after dispose', async () => {
    const d = await loadNodeDetector({ model: FIXTURE, device: 'cpu' });
    await d.dispose();
    await expect(d.score(DOC)).rejects.toThrow(/disposed/);
    await d.dispose(); // twice is harmless
  });

  it('fails clearly when a dtype file is missing', async () => {
    const copy = path.join(dir, 'no-q8');
    cpSync(FIXTURE, copy, { recursive: true });
    rmSync(path.join(copy, 'onnx', 'model_quantized.onnx'));
    await expect(loadDetector({ model: copy, device: 'cpu', dtype: 'q8' })).rejects.toThrow(/cannot load model/);
  });
});
