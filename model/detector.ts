// Composes the stages into a Detector: document → segment → encode → (skip what the model cannot read) → window →
// infer → score → spans, and evidence for flagged sentences. Every face (CLI, API, extension, evaluation) scores
// through this one implementation; `scoreProgressive` is the same path, window by window.
import type { PtdConfig } from './config.ts';
import { assemble, encodeSentences, padBatch, planBatches, type AssembledWindow } from './encode.ts';
import { cropAround, topEvidence, withoutChunk, wordChunks } from './evidence.ts';
import type { LoadedModel } from './infer.ts';
import { skipReasons } from './readable.ts';
import { type Reading, labelFor, mergeReadings, round, sigmoid } from './score.ts';
import { countWords, segment, segmentsFromSentences } from './segment.ts';
import { mergeSpans } from './spans.ts';
import type {
  DetectionResult,
  Detector,
  DocumentInput,
  ProgressiveDetector,
  ModelInfo,
  ProgressiveOptions,
  ProgressUpdate,
  ScoredSentence,
  ScoreOptions,
  Segment,
  SentenceResult,
  SkipReason,
  Threshold,
  UnreliableReason,
} from './types.ts';
import { contextWeight, planWindows, type Window } from './window.ts';

/** Documents shorter than this are scored but marked `reliable: false`. */
export const MIN_RELIABLE_SENTENCES = 2;
export const MIN_RELIABLE_WORDS = 30;

export interface DetectorTuning {
  /**
   * Most windows per inference batch. Default: 64 for fp32, 1 for q8 — a q8 model quantizes its activations with
   * one scale per batch (dynamic quantization), so a window's scores would depend on what else is in its batch
   * (up to ±0.01 seen); one window per run keeps every score reproducible, and on CPU it is no slower.
   */
  maxBatchRows?: number;
  /** Most padded tokens per inference batch. */
  maxBatchTokens?: number;
  /** Context tokens on each side of a window's core (defaults to a sixth of the window). */
  contextTokens?: number;
  /** Overrides the model's max_tokens (tests use it to force windows). */
  maxTokens?: number;
  /**
   * Tokens of the window a flagged sentence is re-read in for evidence: the sentence, with its nearest neighbours
   * when they fit. Evidence costs about (chunks + 1) × this many tokens per flagged sentence. Measured on corpus
   * articles with ptd-small, removing the top evidence lowered the score in the whole document as much with 32
   * tokens as with a full 256-token window (30 of 30 sentences, mean drop 0.09 both), at an eighth of the cost.
   */
  evidenceTokens?: number;
  /** Most chunks of words removed in turn per flagged sentence (each is one more reading). */
  evidenceChunks?: number;
  /** Windows whose logits are remembered (a re-scan of a page that changed a little reads only what changed). */
  cacheWindows?: number;
}

interface PreparedDocument {
  text: string;
  /** Include `text` in the result (raw-text inputs). */
  echoText: boolean;
  segments: Segment[];
  truncated: boolean[];
  skipped: Array<SkipReason | null>;
  /** The sentences the model reads (indices into `segments`), in order; windows count in positions of this list. */
  kept: number[];
  /** Token ids and lengths of the kept sentences (cut to fit a window). */
  ids: number[][];
  lengths: number[];
  windows: Window[];
  readings: Reading[];
}

interface WindowJob {
  doc: PreparedDocument;
  window: Window;
  seq: AssembledWindow;
}

/** Logits read at each [SEP] of one window, in order. */
interface WindowLogits {
  paraphrase: Float32Array;
  degree?: Float32Array;
}

export function createDetector(model: LoadedModel, config: PtdConfig, tuning: DetectorTuning = {}): ProgressiveDetector {
  const maxTokens = Math.min(tuning.maxTokens ?? config.maxTokens, config.maxTokens);
  const info: ModelInfo = {
    name: config.name,
    version: config.version,
    device: model.device,
    dtype: model.dtype,
    fallbacks: model.fallbacks,
  };
  const thresholds: Threshold[] = config.thresholds;
  const { clsId, sepId, padId, unkId } = model.tokenizer;
  const batchRows = tuning.maxBatchRows ?? (model.dtype === 'q8' ? 1 : 64);
  const batchTokens = tuning.maxBatchTokens ?? 16_384;
  const evidenceTokens = Math.min(maxTokens, tuning.evidenceTokens ?? 32);
  const cacheSize = tuning.cacheWindows ?? 0;
  const cache = new Map<string, WindowLogits>();
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
    const skipped = skipReasons(segments, enc.ids, unkId);
    // Skipped sentences are not read at all, not even as context: [UNK]s would distort their neighbours' scores.
    const kept = segments.map((_, i) => i).filter((i) => skipped[i] === null);
    const ids = kept.map((i) => enc.ids[i]!);
    const lengths = ids.map((t) => t.length);
    const windows = planWindows(lengths, maxTokens, tuning.contextTokens);
    return { text, echoText, segments, truncated: enc.truncated, skipped, kept, ids, lengths, windows, readings: [] };
  }

  function threshold(options?: ScoreOptions): number {
    const t = options?.threshold;
    if (t === undefined) return config.defaultThreshold;
    if (!(t >= 0 && t <= 1)) throw new RangeError(`threshold must be between 0 and 1, got ${t}`);
    return t;
  }

  /** Runs sequences in batches of the detector's size; returns the logits at the given [SEP] positions of each. */
  async function run(seqs: AssembledWindow[], rows = batchRows, cacheable = true): Promise<WindowLogits[]> {
    const remember = cacheable && cacheSize > 0;
    const out: WindowLogits[] = new Array(seqs.length);
    const todo: number[] = [];
    seqs.forEach((seq, k) => {
      const hit = remember ? cache.get(seq.ids.join(',')) : undefined;
      if (hit) out[k] = hit;
      else todo.push(k);
    });
    const { paraphrase, degree } = config.outputs;
    for (const batch of planBatches(todo.map((k) => seqs[k]!.ids.length), rows, batchTokens)) {
      const members = batch.map((b) => todo[b]!);
      const padded = padBatch(members.map((k) => seqs[k]!.ids), padId);
      const logits = await serialised(() => model.run(padded));
      members.forEach((k, row) => {
        const seps = seqs[k]!.sepPositions;
        const read: WindowLogits = { paraphrase: new Float32Array(seps.length) };
        if (degree !== undefined) read.degree = new Float32Array(seps.length);
        seps.forEach((pos, j) => {
          const base = (row * logits.width + pos) * logits.channels;
          read.paraphrase[j] = logits.data[base + paraphrase]!;
          if (read.degree) read.degree[j] = logits.data[base + degree!]!;
        });
        out[k] = read;
        if (remember) {
          const key = seqs[k]!.ids.join(',');
          cache.delete(key);
          cache.set(key, read);
          if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
        }
      });
    }
    return out;
  }

  function jobsOf(doc: PreparedDocument): WindowJob[] {
    return doc.windows.map((window) => ({ doc, window, seq: assemble(doc.ids, window.first, window.end, clsId, sepId) }));
  }

  async function read(jobs: WindowJob[], rows = batchRows): Promise<void> {
    const logits = await run(jobs.map((j) => j.seq), rows);
    jobs.forEach(({ doc, window }, k) => {
      const l = logits[k]!;
      for (let j = 0; j < window.end - window.first; j++) {
        const pos = window.first + j;
        doc.readings.push({
          sentence: doc.kept[pos]!,
          paraphraseLogit: l.paraphrase[j]!,
          ...(l.degree ? { degreeLogit: l.degree[j]! } : {}),
          weight: contextWeight(doc.lengths, window, pos, maxTokens),
        });
      }
    });
  }

  function sentenceResults(doc: PreparedDocument, t: number): SentenceResult[] {
    // Readings in a canonical order, so that a sentence's merged score does not depend on which window ran first.
    doc.readings.sort((a, b) => a.sentence - b.sentence || a.weight - b.weight || a.paraphraseLogit - b.paraphraseLogit);
    const merged = mergeReadings(doc.segments.length, doc.readings, config.temperature);
    return doc.segments.map((s, i): SentenceResult => {
      const why = doc.skipped[i];
      if (why) return { ...s, score: null, label: 'skipped', skipped: why };
      const score = round(merged.scores[i]!);
      const r: ScoredSentence = { ...s, score, label: labelFor(score, t) };
      if (merged.degrees) r.degree = round(merged.degrees[i]!);
      if (doc.truncated[i]) r.truncated = true;
      return r;
    });
  }

  function finish(doc: PreparedDocument, t: number, sentences = sentenceResults(doc, t)): DetectionResult {
    const scored = sentences.filter((s): s is ScoredSentence => s.score !== null);
    const flagged = scored.filter((s) => s.label === 'paraphrased').length;
    const skipped = sentences.length - scored.length;
    const reason = unreliableReason(sentences, scored);
    return {
      model: { ...info, fallbacks: info.fallbacks.map((f) => ({ ...f })) },
      ...(doc.echoText ? { text: doc.text } : {}),
      sentences,
      spans: mergeSpans(sentences),
      score: scored.reduce((m, s) => Math.max(m, s.score), 0),
      paraphrasedFraction: scored.length ? round(flagged / scored.length) : 0,
      threshold: t,
      coverage: {
        sentences: sentences.length,
        scored: scored.length,
        skipped,
        truncated: scored.filter((s) => s.truncated).length,
      },
      reliable: reason === undefined,
      ...(reason ? { reason } : {}),
    };
  }

  /** Adds `evidence` to the flagged sentences of finished results (one batch of occluded readings for all). */
  async function addEvidence(docs: PreparedDocument[], results: DetectionResult[]): Promise<void> {
    interface Task {
      sentence: ScoredSentence;
      chunks: ReturnType<typeof wordChunks>;
      /** Index of the unoccluded reading in `seqs`, then one per chunk. */
      at: number;
    }
    const tasks: Task[] = [];
    const seqs: AssembledWindow[] = [];
    const sepOf: number[] = [];
    docs.forEach((doc, d) => {
      const positionOf = new Map(doc.kept.map((seg, pos) => [seg, pos]));
      for (const s of results[d]!.sentences) {
        if (s.score === null || s.label !== 'paraphrased') continue;
        s.evidence = [];
        const pos = positionOf.get(s.index)!;
        const chunks = wordChunks(s.text, tuning.evidenceChunks);
        if (chunks.length < 2) continue; // one chunk is the whole sentence: no comparison to make
        // Read in the window where the sentence had the most context, cropped around it.
        let best = doc.windows[0]!;
        let bestWeight = -1;
        for (const w of doc.windows) {
          if (pos < w.first || pos >= w.end) continue;
          const weight = contextWeight(doc.lengths, w, pos, maxTokens);
          if (weight > bestWeight) [best, bestWeight] = [w, weight];
        }
        const { first, end } = cropAround(doc.lengths, pos, best.first, best.end, Math.max(evidenceTokens, doc.lengths[pos]! + 2));
        const variants = [doc.ids[pos]!, ...chunks.map((c) => model.tokenizer.encode(withoutChunk(s.text, c)).slice(0, maxTokens - 2))];
        tasks.push({ sentence: s, chunks, at: seqs.length });
        for (const v of variants) {
          const ids = doc.ids.slice(first, end);
          ids[pos - first] = v;
          seqs.push(assemble(ids, 0, ids.length, clsId, sepId));
          sepOf.push(pos - first);
        }
      }
    });
    // One batch per sentence, of its readings only (a few short sequences of nearly one length): far fewer model runs,
    // and a sentence's evidence still does not depend on anything else being scored (q8's per-batch scale).
    const logits: WindowLogits[] = [];
    for (const [k, task] of tasks.entries()) {
      const end = tasks[k + 1]?.at ?? seqs.length;
      logits.push(...(await run(seqs.slice(task.at, end), end - task.at, false)));
    }
    const prob = (k: number) => sigmoid(logits[k]!.paraphrase[sepOf[k]!]! / config.temperature);
    for (const task of tasks) {
      const base = prob(task.at);
      const drops = task.chunks.map((_, c) => base - prob(task.at + 1 + c));
      task.sentence.evidence = topEvidence(task.sentence, task.chunks, drops);
    }
  }

  async function scoreMany(inputs: DocumentInput[], options?: ScoreOptions): Promise<DetectionResult[]> {
    if (disposed) throw new Error('the detector was disposed');
    const t = threshold(options);
    const docs = inputs.map(prepare);
    await read(docs.flatMap(jobsOf));
    const results = docs.map((doc) => finish(doc, t));
    if (options?.evidence) await addEvidence(docs, results);
    return results;
  }

  async function* scoreProgressive(text: string, options: ProgressiveOptions = {}): AsyncGenerator<ProgressUpdate, void, undefined> {
    if (disposed) throw new Error('the detector was disposed');
    const t = threshold(options);
    const doc = prepare({ text });
    const jobs = priorityOrder(doc, jobsOf(doc), options.priority);
    // Windows still to read per kept sentence: a sentence is final once every window holding it was read.
    const waiting = new Int32Array(doc.kept.length);
    for (const w of doc.windows) for (let p = w.first; p < w.end; p++) waiting[p]!++;
    let pending: SentenceResult[] = doc.segments.flatMap((s, i) => {
      const why = doc.skipped[i];
      return why ? [{ ...s, score: null, label: 'skipped' as const, skipped: why }] : [];
    });
    let done = 0;
    // The on-screen windows first, on their own; then a few windows per run, so that results keep coming.
    const groups: WindowJob[][] = [];
    const lead = options.priority ? jobs.filter((j) => overlaps(doc, j.window, options.priority!)) : [];
    if (lead.length) groups.push(...chunk(lead, batchRows));
    groups.push(...chunk(jobs.slice(lead.length), Math.min(batchRows, 4)));
    for (const group of groups) {
      await read(group);
      done += group.length;
      const final: number[] = [];
      for (const { window } of group) {
        for (let p = window.first; p < window.end; p++) if (--waiting[p]! === 0) final.push(doc.kept[p]!);
      }
      if (final.length === 0 && pending.length === 0) continue;
      const now = sentenceResults(doc, t);
      pending = pending.concat(final.sort((a, b) => a - b).map((i) => now[i]!));
      if (done < jobs.length) {
        yield { sentences: pending, windowsDone: done, windows: jobs.length };
        pending = [];
      }
      if (disposed) throw new Error('the detector was disposed');
    }
    const result = finish(doc, t);
    if (options.evidence) {
      // every score first (all highlights can be painted), then the evidence, which takes a few more model runs
      if (pending.length) yield { sentences: pending, windowsDone: done, windows: jobs.length };
      pending = [];
      await addEvidence([doc], [result]);
    }
    const last = new Set(pending.map((s) => s.index));
    yield { sentences: result.sentences.filter((s) => last.has(s.index)), windowsDone: done, windows: jobs.length, result };
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
    scoreProgressive,
    async dispose() {
      if (disposed) return;
      disposed = true;
      cache.clear();
      await queue;
      await model.dispose();
    },
  };
}

function chunk<T>(xs: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < xs.length; k += Math.max(1, size)) out.push(xs.slice(k, k + Math.max(1, size)));
  return out;
}

/** Whether a window reads any sentence overlapping the characters `[start, end)`. */
function overlaps(doc: PreparedDocument, window: Window, range: { start: number; end: number }): boolean {
  for (let p = window.first; p < window.end; p++) {
    const s = doc.segments[doc.kept[p]!]!;
    if (s.start < range.end && s.end > range.start) return true;
  }
  return false;
}

/**
 * Windows in the order to read them: those reading the priority characters, then outwards from there (the rest of
 * the document after them, then what comes before, nearest first). Without a priority, document order.
 */
function priorityOrder(doc: PreparedDocument, jobs: WindowJob[], priority?: { start: number; end: number }): WindowJob[] {
  if (!priority) return jobs;
  const lead = jobs.filter((j) => overlaps(doc, j.window, priority));
  if (lead.length === 0) return jobs;
  const firstLead = jobs.indexOf(lead[0]!);
  const after = jobs.filter((j, k) => k > firstLead && !lead.includes(j));
  const before = jobs.filter((j, k) => k < firstLead && !lead.includes(j)).reverse();
  return [...lead, ...after, ...before];
}

/** Why a result is not reliable: most of its text was skipped (the main reason), or too little was scored. */
function unreliableReason(sentences: SentenceResult[], scored: ScoredSentence[]): UnreliableReason | undefined {
  let total = 0;
  const skippedChars = new Map<UnreliableReason, number>();
  for (const s of sentences) {
    total += s.text.length;
    if (s.skipped) skippedChars.set(s.skipped, (skippedChars.get(s.skipped) ?? 0) + s.text.length);
  }
  const skipped = [...skippedChars.values()].reduce((a, b) => a + b, 0);
  if (skipped > 0 && skipped * 2 > total) return [...skippedChars.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const words = scored.reduce((n, s) => n + countWords(s.text), 0);
  if (scored.length < MIN_RELIABLE_SENTENCES || words < MIN_RELIABLE_WORDS) return 'too-short';
  return undefined;
}
