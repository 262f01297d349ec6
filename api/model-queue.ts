// The bounded queue in front of the models. Requests enqueue documents (all of a request's documents, or
// none: 429 when they do not fit); one worker per model feeds the model batches of up to `maxBatchSize`
// documents, coalescing concurrent single-document requests with the same model and threshold. A request
// that times out or whose client goes away withdraws its documents that have not started.
import type { DetectionResult, Detector, DocumentInput, ScoreOptions } from '../model/types.ts';
import { HttpError } from './errors.ts';

interface Unit {
  key: string;
  detector: Detector;
  input: DocumentInput;
  options: ScoreOptions;
  signal?: AbortSignal;
  resolve: (r: DetectionResult) => void;
  reject: (e: unknown) => void;
}

export interface BatchEvent {
  model: string;
  documents: number;
  seconds: number;
  results: DetectionResult[];
}

export interface QueueOptions {
  maxQueued: number;
  /** Documents per model call; 0 picks by the model's device (see batchSizeFor). */
  maxBatchSize: number;
  /** Called after each model call (metrics). */
  onBatch?: (event: BatchEvent) => void;
}

export class QueueFullError extends HttpError {
  constructor(retryAfterSeconds: number, maxQueued: number) {
    super(
      429,
      'queue_full',
      `the server is busy: more than maxQueuedDocuments = ${maxQueued} documents are waiting; retry later`,
      { 'Retry-After': String(retryAfterSeconds) },
      { limit: 'maxQueuedDocuments', max: maxQueued, retryAfter: retryAfterSeconds },
    );
  }
}

export class ModelQueue {
  private readonly pending: Unit[] = [];
  private readonly busy = new Set<string>();
  private running = 0;
  /** Smoothed seconds per document, for Retry-After. */
  private secondsPerDocument = 0.05;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: QueueOptions) {}

  /** Documents waiting (not yet given to a model). */
  get depth(): number {
    return this.pending.length;
  }

  /** Model calls in progress. */
  get active(): number {
    return this.running;
  }

  /** Seconds a client should wait before retrying, from the current backlog. */
  retryAfter(): number {
    return Math.min(60, Math.max(1, Math.ceil(this.pending.length * this.secondsPerDocument)));
  }

  /**
   * Enqueues a request's documents: all or none. Returns one promise per document, in input order.
   * Documents are enqueued shortest first so that the batches the model sees hold similar lengths.
   */
  submit(
    model: string,
    detector: Detector,
    inputs: DocumentInput[],
    options: ScoreOptions = {},
    signal?: AbortSignal,
  ): Array<Promise<DetectionResult>> {
    if (this.pending.length + inputs.length > this.options.maxQueued) {
      throw new QueueFullError(this.retryAfter(), this.options.maxQueued);
    }
    const key = `${model}\u0000${options.threshold ?? ''}\u0000${options.evidence ? 'evidence' : ''}`;
    const promises: Array<Promise<DetectionResult>> = new Array(inputs.length);
    const order = inputs.map((input, i) => ({ i, len: lengthOf(input) })).sort((a, b) => a.len - b.len);
    for (const { i } of order) {
      promises[i] = new Promise<DetectionResult>((resolve, reject) => {
        this.pending.push({ key, detector, input: inputs[i]!, options, signal, resolve, reject });
      });
    }
    if (signal) {
      signal.addEventListener('abort', () => this.withdraw(signal), { once: true });
    }
    this.pump();
    return promises;
  }

  /** Resolves once nothing is waiting or running (graceful shutdown). */
  idle(): Promise<void> {
    if (this.pending.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private withdraw(signal: AbortSignal): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const unit = this.pending[i]!;
      if (unit.signal === signal) {
        this.pending.splice(i, 1);
        unit.reject(signal.reason ?? new Error('aborted'));
      }
    }
    this.checkIdle();
  }

  private pump(): void {
    // One model call at a time per model: the runtime already uses every core for one call.
    for (let i = 0; i < this.pending.length; i++) {
      const head = this.pending[i]!;
      const model = head.key.split('\u0000')[0]!;
      if (this.busy.has(model)) continue;
      const batch = this.take(i);
      void this.run(model, batch);
      i = -1; // the queue changed; look again from the start
    }
  }

  /** Removes the unit at `index` and up to maxBatchSize - 1 later ones with the same key. */
  private take(index: number): Unit[] {
    const head = this.pending[index]!;
    const batch: Unit[] = [head];
    const max = batchSizeFor(head.detector, this.options.maxBatchSize);
    this.pending.splice(index, 1);
    for (let i = index; i < this.pending.length && batch.length < max; ) {
      if (this.pending[i]!.key === head.key) batch.push(...this.pending.splice(i, 1));
      else i++;
    }
    return batch;
  }

  private async run(model: string, batch: Unit[]): Promise<void> {
    this.busy.add(model);
    this.running++;
    const started = performance.now();
    try {
      let results: DetectionResult[];
      try {
        results = await batch[0]!.detector.scoreMany(
          batch.map((u) => u.input),
          batch[0]!.options,
        );
        if (results.length !== batch.length) throw new Error(`scoreMany returned ${results.length} results for ${batch.length}`);
        batch.forEach((u, i) => u.resolve(results[i]!));
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(err);
          results = [];
        } else {
          // One bad document must not fail the others it was batched with: retry them one by one.
          results = [];
          for (const u of batch) {
            try {
              const [r] = await u.detector.scoreMany([u.input], u.options);
              u.resolve(r!);
              results.push(r!);
            } catch (e) {
              u.reject(e);
            }
          }
        }
      }
      const seconds = (performance.now() - started) / 1000;
      this.secondsPerDocument = 0.8 * this.secondsPerDocument + 0.2 * (seconds / batch.length);
      this.options.onBatch?.({ model, documents: batch.length, seconds, results });
    } finally {
      // Model calls block the event loop for much of their time; let pending I/O (new connections, request
      // bodies, responses) run before the next call, or clients connecting under load wait for many calls.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.busy.delete(model);
      this.running--;
      this.pump();
      this.checkIdle();
    }
  }

  private checkIdle(): void {
    if (this.pending.length === 0 && this.running === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

/**
 * Documents per model call. On a GPU, batches pay off; on the CPU, batches of 2–4 ~300-token documents ran
 * fastest and 16 ran ~30% slower (ptd-small, q8, 2 cores), so the CPU gets small batches.
 */
export function batchSizeFor(detector: Detector, configured: number): number {
  if (configured > 0) return configured;
  return detector.info.device === 'cuda' || detector.info.device === 'webgpu' ? 32 : 4;
}

function lengthOf(input: DocumentInput): number {
  return 'text' in input ? input.text.length : input.sentences.reduce((n, s) => n + s.length + 1, 0);
}
