// Composes the stages into a Detector: document → segment → encode → window → infer → score → spans.
// Every face (CLI, API, extension, evaluation) scores through this one implementation.
import { type PtdConfig, thresholdFor } from '../config.ts';
import { assemble, encodeSentences, padBatch, planBatches, type AssembledWindow } from '../encode.ts';
import type { LoadedModel } from '../infer.ts';
import { type Reading, labelFor, mergeReadings, round } from '../score.ts';
import { countWords, segment, segmentsFromSentences } from '../segment.ts';
import { mergeSpans } from '../spans.ts';
import type {
  DetectionResult,
  Detector,
  DocumentInput,
  ModelInfo,
  ScoreOptions,
  Segment,
  SentenceResult,
  Threshold,
} from '../types.ts';
import { contextWeight, planWindows, type Window } from '../window.ts';

/** Documents shorter than this are scored but marked `reliable: false`. */
export const MIN_RELIABLE_SENTENCES = 2;
export const MIN_RELIABLE_WORDS = 30;

export interface DetectorTuning {
  /** Most windows per inference batch. */
  maxBatchRows?: number;
  /** Most padded tokens per inference batch. */
  maxBatchTokens?: number;
  /** Context tokens on each side of a window's core (defaults to a sixth of the window). */
  contextTokens?: number;
  /** Overrides the model's max_tokens (tests use it to force windows). */
  maxTokens?: number;
}

interface PreparedDocument {
  text: string;
  /** Include `text` in the result (raw-text inputs). */
  echoText: boolean;
  segments: Segment[];
  /** Token ids per sentence (cut to fit a window). */
  ids: number[][];
  lengths: number[];
  truncated: boolean[];
  windows: Window[];
  readings: Reading[];
}

interface PendingWindow {
  doc: PreparedDocument;
  window: Window;
  seq: AssembledWindow;
}

export function createDetector(model: LoadedModel, config: PtdConfig, tuning: DetectorTuning = {}): Detector {
  const maxTokens = Math.min(tuning.maxTokens ?? config.maxTokens, config.maxTokens);
  const info: ModelInfo = {
    name: config.name,
    version: config.version,
    device: model.device,
    dtype: model.dtype,
    fallbacks: model.fallbacks,
  };
  const thresholds: Threshold[] = config.thresholds;
  const { clsId, sepId, padId } = model.tokenizer;
  // One inference at a time per model: concurrent callers queue instead of oversubscribing the cores.
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  let disposed = false;

  function prepare(input: DocumentInput): PreparedDocument {
    let text: string;
    let segments: Segment[];
    let echoText: boolean;
    if ('sentences' in input) {
      ({ text, segments } = segmentsFromSentences(input.sentences));
      echoText = false;
    } else {
      text = input.text;
      segments = segment(text);
      echoText = true;
    }
    const enc = encodeSentences(model.tokenizer, segments.map((s) => s.text), maxTokens);
    const lengths = enc.ids.map((ids) => ids.length);
    const windows = planWindows(lengths, maxTokens, tuning.contextTokens);
    return { text, echoText, segments, ids: enc.ids, lengths, truncated: enc.truncated, windows, readings: [] };
  }

  function threshold(options?: ScoreOptions): number {
    const t = options?.threshold;
    if (t === undefined) return config.defaultThreshold;
    if (!(t >= 0 && t <= 1)) throw new RangeError(`threshold must be between 0 and 1, got ${t}`);
    return t;
  }

  function finish(doc: PreparedDocument, t: number): DetectionResult {
    const merged = mergeReadings(doc.segments.length, doc.readings, config.temperature);
    const sentences: SentenceResult[] = doc.segments.map((s, i) => {
      const score = round(merged.scores[i]!);
      const r: SentenceResult = { ...s, score, label: labelFor(score, t) };
      if (merged.degrees) r.degree = round(merged.degrees[i]!);
      if (doc.truncated[i]) r.truncated = true;
      return r;
    });
    const flagged = sentences.filter((s) => s.label === 'paraphrased').length;
    const result: DetectionResult = {
      model: { ...info, fallbacks: info.fallbacks.map((f) => ({ ...f })) },
      ...(doc.echoText ? { text: doc.text } : {}),
      sentences,
      spans: mergeSpans(sentences),
      score: sentences.reduce((m, s) => Math.max(m, s.score), 0),
      paraphrasedFraction: sentences.length ? round(flagged / sentences.length) : 0,
      threshold: t,
      coverage: {
        sentences: sentences.length,
        scored: sentences.filter((s) => Number.isFinite(s.score)).length,
        truncated: doc.truncated.filter(Boolean).length,
      },
      reliable: sentences.length >= MIN_RELIABLE_SENTENCES && countWords(doc.text) >= MIN_RELIABLE_WORDS,
    };
    return result;
  }

  async function scoreMany(inputs: DocumentInput[], options?: ScoreOptions): Promise<DetectionResult[]> {
    if (disposed) throw new Error('the detector was disposed');
    const t = threshold(options);
    const docs = inputs.map(prepare);
    const pending: PendingWindow[] = [];
    for (const doc of docs) {
      for (const window of doc.windows) {
        pending.push({ doc, window, seq: assemble(doc.ids, window.first, window.end, clsId, sepId) });
      }
    }
    const batches = planBatches(
      pending.map((p) => p.seq.ids.length),
      tuning.maxBatchRows ?? 64,
      tuning.maxBatchTokens ?? 16_384,
    );
    const { paraphrase, degree } = config.outputs;
    for (const rows of batches) {
      const batch = padBatch(rows.map((r) => pending[r]!.seq.ids), padId);
      const logits = await serialised(() => model.run(batch));
      rows.forEach((r, row) => {
        const { doc, window, seq } = pending[r]!;
        for (let k = 0; k < seq.sepPositions.length; k++) {
          const base = (row * logits.width + seq.sepPositions[k]!) * logits.channels;
          const sentence = window.first + k;
          doc.readings.push({
            sentence,
            paraphraseLogit: logits.data[base + paraphrase]!,
            ...(degree !== undefined ? { degreeLogit: logits.data[base + degree]! } : {}),
            weight: contextWeight(doc.lengths, window, sentence, maxTokens),
          });
        }
      });
    }
    return docs.map((doc) => finish(doc, t));
  }

  return {
    info,
    thresholds,
    defaultThreshold: config.defaultThreshold,
    maxTokens,
    async score(text, options) {
      return (await scoreMany([{ text }], options))[0]!;
    },
    async scoreSentences(sentences, options) {
      return (await scoreMany([{ sentences }], options))[0]!;
    },
    scoreMany,
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      await model.dispose();
    },
  };
}

/** The threshold a caller gets for a target false-positive rate (the closest one the model was fitted for). */
export function thresholdForFpr(detector: Detector, targetFpr: number): Threshold {
  return thresholdFor(detector.thresholds, targetFpr);
}
