// Test doubles and a loopback server for the API tests. The fake detector segments with the real
// segmenter and gives each sentence a deterministic score (a hash of its text), so tests can check
// offsets and shapes without onnxruntime; `gate` lets a test hold a model call open.
import pino from 'pino';
import { segment } from '../../model/segment.ts';
import { mergeSpans } from '../../model/spans.ts';
import type { DetectionResult, Detector, DocumentInput, ModelInfo, ScoreOptions } from '../../model/types.ts';
import { createApp, type AppDeps } from '../../api/app.ts';
import { ModelRegistry } from '../../api/models.ts';
import { startServer, type ServerOptions } from '../../api/server.ts';

export const silent = pino({ level: 'silent' });

export interface FakeDetector extends Detector {
  calls: number[];
  /** When set, every model call waits for it. */
  gate?: Promise<void>;
  /** Throw on documents containing this string. */
  poison?: string;
  disposed: boolean;
}

function hashScore(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return (h % 1000) / 1000;
}

export function fakeDetector(name = 'fake', device: ModelInfo['device'] = 'cpu'): FakeDetector {
  const info: ModelInfo = { name, version: '0.0.1', device, dtype: 'q8', fallbacks: [] };
  const defaultThreshold = 0.5;
  const one = (text: string, options: ScoreOptions = {}): DetectionResult => {
    const threshold = options.threshold ?? defaultThreshold;
    const sentences = segment(text).map((s) => {
      const score = hashScore(s.text);
      const label = score >= threshold ? ('paraphrased' as const) : ('human' as const);
      // like the runtime: a sentence longer than one window (here: in words) is read only up to its end
      const truncated = s.text.split(/\s+/).length > d.maxTokens - 2;
      return { ...s, score, degree: score / 2, label, ...(truncated ? { truncated } : {}) };
    });
    const flagged = sentences.filter((s) => s.label === 'paraphrased').length;
    return {
      model: info,
      sentences,
      spans: mergeSpans(sentences),
      score: sentences.reduce((m, s) => Math.max(m, s.score), 0),
      paraphrasedFraction: sentences.length ? flagged / sentences.length : 0,
      threshold,
      coverage: { sentences: sentences.length, scored: sentences.length, skipped: 0, truncated: sentences.filter((s) => s.truncated).length },
      reliable: sentences.length >= 2,
    };
  };
  const d: FakeDetector = {
    info,
    thresholds: [{ targetFpr: 0.01, threshold: 0.5, achievedFpr: 0.01, tpr: 0.6 }],
    defaultThreshold,
    maxTokens: 512,
    calls: [],
    disposed: false,
    async score(text, options) {
      return (await d.scoreMany([{ text }], options))[0]!;
    },
    async scoreSentences(sentences, options) {
      return (await d.scoreMany([{ sentences }], options))[0]!;
    },
    async scoreMany(inputs: DocumentInput[], options?: ScoreOptions) {
      d.calls.push(inputs.length);
      if (d.gate) await d.gate;
      await new Promise((r) => setTimeout(r, 1));
      return inputs.map((input) => {
        const text = 'text' in input ? input.text : input.sentences.join(' ');
        if (d.poison && text.includes(d.poison)) throw new Error('poisoned document');
        return one(text, options);
      });
    },
    async dispose() {
      d.disposed = true;
    },
  };
  return d;
}

/** A gate a test opens by hand. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

export function appWith(detectors: Record<string, Detector>, deps: Partial<AppDeps> = {}) {
  return createApp({ models: ModelRegistry.of(detectors), logger: silent, defaultMetrics: false, ...deps });
}

/** A real server on a loopback port with fake models (a loader that hands them out by name). */
export async function fakeServer(detectors: Record<string, Detector>, options: Partial<ServerOptions> = {}) {
  const server = await startServer({
    port: 0,
    models: Object.keys(detectors).map((n) => `${n}=${n}`),
    loader: async ({ model }) => detectors[model]!,
    device: 'cpu',
    logger: silent,
    ...options,
  });
  await server.ready;
  return server;
}

export const SAMPLE =
  'The committee met on Tuesday to discuss the budget. Several members raised concerns about the cost of the new building. ' +
  'After a long debate, the proposal was approved by a narrow margin.\n\nWork will begin in the spring.';
