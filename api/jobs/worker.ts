// The worker loop: takes chunks from the queue, scores their documents, stores one outcome per document.
// The scoring function is injected (`detectorFor`), so the same loop runs in `ptd worker` processes, inside
// the API (embedded worker), and in tests.
//
// Failure handling, from the inside out:
// - a document the model throws on gets an error outcome; its neighbours are still scored;
// - a chunk whose processing throws (model fails to load, Redis away) is retried by BullMQ with back-off;
//   on its last attempt its documents get error outcomes instead, so the job still finishes;
// - a worker killed mid-chunk stops renewing its BullMQ lock: another worker's stalled check puts the chunk
//   back in the queue, and whoever takes it scores only documents without an outcome (writes are HSETNX);
// - a chunk that stalls more than `maxStalledCount` times is failed by BullMQ; the `failed` event marks
//   its documents failed (`worker_lost`), so the job still finishes.
import { hostname } from 'node:os';
import { Job, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DetectionResult, Detector, DocumentInput, ScoreOptions } from '../../model/types.ts';
import { JobQueues, type ChunkData, type RetryPolicy, type WebhookData, DEFAULT_RETRY } from './queue.ts';
import { CHUNK_QUEUE, QUEUE_PREFIX, RedisErrors, WEBHOOK_QUEUE } from './redis.ts';
import { JobStore, type ChunkDocument, type Outcome } from './store.ts';
import { parseWebhookAllow, WebhookRefused, type WebhookPolicy } from './targets.ts';
import { deliverWebhook } from './webhook.ts';
import { intFromEnv } from './env.ts';

/** Scores documents with the named model. */
export type Scorer = Pick<Detector, 'scoreMany'>;
export type DetectorFor = (model: string) => Promise<Scorer>;

export interface LockSettings {
  /** How long a chunk's lock lasts without renewal; a dead worker's chunk is retried after about this. */
  lockDurationMs: number;
  /** How often each worker looks for chunks whose lock expired. */
  stalledIntervalMs: number;
  /** Times a chunk may be recovered from dead workers before its documents are reported failed. */
  maxStalledCount: number;
}

export const DEFAULT_LOCKS: Readonly<LockSettings> = Object.freeze({
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 2,
});

export function locksFromEnv(env: NodeJS.ProcessEnv = process.env): LockSettings {
  const int = (name: string, fallback: number, min = 1) => intFromEnv(env, name, fallback, min);
  const lockDurationMs = int('PTD_JOBS_LOCK_MS', DEFAULT_LOCKS.lockDurationMs);
  return {
    lockDurationMs,
    stalledIntervalMs: int('PTD_JOBS_STALLED_INTERVAL_MS', Math.min(DEFAULT_LOCKS.stalledIntervalMs, Math.ceil(lockDurationMs / 2))),
    maxStalledCount: int('PTD_JOBS_MAX_STALLED', DEFAULT_LOCKS.maxStalledCount, 0),
  };
}

export interface JobWorkerOptions {
  /** A connection made with `connect()`; the worker opens the extra ones BullMQ needs from it, and listens for its errors. */
  connection: Redis;
  detectorFor: DetectorFor;
  logger: Logger;
  /** Chunks processed at once by this process. */
  concurrency?: number;
  locks?: LockSettings;
  retry?: RetryPolicy;
  /** Signs webhook bodies (HMAC-SHA256 in `x-ptd-signature`) when set. */
  webhookSecret?: string;
  /** Addresses webhooks may reach (targets.ts); public ones only when absent. */
  webhookPolicy?: WebhookPolicy;
  /** Shown in logs and stored on the BullMQ jobs this worker takes. */
  name?: string;
  /** Seconds a finished job's records are kept. */
  ttlSeconds?: number;
}

export interface ChunkReport {
  jobId: string;
  start: number;
  end: number;
  /** Documents this call stored outcomes for (0 when skipped). */
  written: number;
  failed: number;
  skipped?: 'missing' | 'finished' | 'done';
}

export class JobWorker {
  readonly store: JobStore;
  readonly queues: JobQueues;
  readonly name: string;
  private readonly chunkWorker: Worker<ChunkData, ChunkReport>;
  private readonly webhookWorker: Worker<WebhookData>;
  private readonly events: QueueEvents;
  private readonly logger: Logger;
  /** Every Redis error of this worker's objects goes here: logged at most every 30 s. */
  readonly redisErrors: RedisErrors;
  private readonly retry: RetryPolicy;
  private closed?: Promise<void>;
  /** Documents scored by this process (for its own logs and the bench). */
  documentsScored = 0;

  constructor(private readonly options: JobWorkerOptions) {
    const locks = options.locks ?? DEFAULT_LOCKS;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.name = options.name ?? `${hostname()}:${process.pid}`;
    this.logger = options.logger.child({ worker: this.name });
    this.redisErrors = new RedisErrors(this.logger);
    this.redisErrors.watch(options.connection, 'worker connection');
    this.store = new JobStore(options.connection, options.ttlSeconds);
    this.queues = new JobQueues(options.connection, this.retry, this.redisErrors.listener('worker queues'));
    const common = { connection: options.connection, prefix: QUEUE_PREFIX, name: this.name };
    this.chunkWorker = new Worker<ChunkData, ChunkReport>(CHUNK_QUEUE, (job) => this.processChunk(job), {
      ...common,
      concurrency: options.concurrency ?? 1,
      lockDuration: locks.lockDurationMs,
      stalledInterval: locks.stalledIntervalMs,
      maxStalledCount: locks.maxStalledCount,
      drainDelay: 1,
    });
    this.webhookWorker = new Worker<WebhookData>(WEBHOOK_QUEUE, (job) => this.processWebhook(job), {
      ...common,
      concurrency: 4,
      drainDelay: 1,
    });
    // QueueEvents blocks on a connection of its own: it duplicates the one given (with its own error listener)
    // and closes the duplicate itself. (A duplicate made here, as before, was connected with no listener at all.)
    this.events = new QueueEvents(CHUNK_QUEUE, { connection: options.connection, prefix: QUEUE_PREFIX });
    this.events.on('failed', ({ jobId, failedReason }) => void this.onChunkFailed(jobId, failedReason));
    this.chunkWorker.on('stalled', (jobId) => this.logger.warn({ chunk: jobId }, 'chunk stalled (its worker died?): back in the queue'));
    this.chunkWorker.on('error', this.redisErrors.listener('chunk worker'));
    this.webhookWorker.on('error', this.redisErrors.listener('webhook worker'));
    this.events.on('error', this.redisErrors.listener('queue events'));
  }

  /** Resolves once the worker is connected and taking chunks. */
  async ready(): Promise<void> {
    await Promise.all([this.chunkWorker.waitUntilReady(), this.webhookWorker.waitUntilReady(), this.events.waitUntilReady()]);
  }

  /** Processes one chunk; exported through the class so tests can drive it without BullMQ timing. */
  async processChunk(job: Pick<Job<ChunkData>, 'data' | 'attemptsMade' | 'opts' | 'id'>): Promise<ChunkReport> {
    const { jobId, start, end, model, threshold } = job.data;
    const report: ChunkReport = { jobId, start, end, written: 0, failed: 0 };
    // Debug lines (tests wait for them): 'chunk scoring' once its documents are read, and every chunk taken ends in
    // one line, 'chunk done' or 'chunk skipped'.
    const skip = (skipped: NonNullable<ChunkReport['skipped']>): ChunkReport => {
      this.logger.debug({ chunk: job.id, ...report, skipped }, 'chunk skipped');
      return { ...report, skipped };
    };
    const status = await this.store.start(jobId);
    if (status === null) return skip('missing');
    if (status !== 'running') return skip('finished');
    // A retried chunk (after a killed worker) scores only what has no outcome yet.
    const todo = new Set(await this.store.missing(jobId, start, end));
    if (todo.size === 0) return skip('done');
    const docs = (await this.store.loadChunk(jobId, start, end)).filter((d) => todo.has(d.index));
    if (docs.length === 0) return skip('finished'); // documents removed: cancelled meanwhile
    this.logger.debug({ chunk: job.id, jobId, start, end, documents: docs.length }, 'chunk scoring');

    let outcomes: Outcome[];
    try {
      const detector = await this.options.detectorFor(model);
      outcomes = await scoreChunk(detector, docs, threshold === undefined ? {} : { threshold });
    } catch (err) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      this.logger.error({ err, chunk: job.id, attempt: job.attemptsMade + 1, last }, 'chunk failed');
      if (!last) throw err;
      outcomes = docs.map((d) => failure(d, 'chunk_failed', `could not be scored: ${message(err)}`));
    }
    const { state } = await this.store.write(jobId, outcomes);
    if (state === 'written' || state === 'finished') {
      report.written = outcomes.length;
      report.failed = outcomes.filter((o) => o.error).length;
      this.documentsScored += report.written - report.failed;
    }
    if (state === 'finished') await this.onJobFinished(jobId);
    this.logger.debug({ chunk: job.id, ...report, state }, 'chunk done');
    return report;
  }

  private async onJobFinished(jobId: string): Promise<void> {
    const record = await this.store.get(jobId);
    this.logger.info({ job: jobId, status: record?.status }, 'job finished');
    if (record?.webhook) await this.queues.enqueueWebhook(jobId, record.webhook);
  }

  /** A chunk BullMQ gave up on (stalled too often): its documents without an outcome are reported failed. */
  private async onChunkFailed(chunkId: string, reason: string): Promise<void> {
    try {
      const job = await Job.fromId<ChunkData>(this.queues.chunks, chunkId);
      if (!job || (await job.getState()) !== 'failed') return;
      const { jobId, start, end } = job.data;
      const missing = new Set(await this.store.missing(jobId, start, end));
      if (missing.size === 0) return;
      const docs = (await this.store.loadChunk(jobId, start, end)).filter((d) => missing.has(d.index));
      const outcomes = docs.map((d) => failure(d, 'worker_lost', `not scored: ${reason}`));
      const { state } = await this.store.write(jobId, outcomes);
      this.logger.warn({ chunk: chunkId, reason, documents: outcomes.length }, 'chunk given up: documents reported failed');
      if (state === 'finished') await this.onJobFinished(jobId);
    } catch (err) {
      this.logger.error({ err, chunk: chunkId }, 'could not record a failed chunk');
    }
  }

  async processWebhook(job: Pick<Job<WebhookData>, 'data' | 'attemptsMade' | 'opts'>): Promise<void> {
    const { jobId, url } = job.data;
    const attempt = job.attemptsMade + 1;
    const last = attempt >= (job.opts.attempts ?? 1);
    const record = await this.store.get(jobId);
    if (!record) return;
    try {
      await deliverWebhook(this.store, record, url, this.options.webhookPolicy ?? parseWebhookAllow(undefined), this.options.webhookSecret);
      await this.store.setWebhook(jobId, 'delivered', attempt);
      this.logger.info({ job: jobId, attempt }, 'webhook delivered');
    } catch (err) {
      // An address the policy refuses stays refused: no retries.
      const refused = err instanceof WebhookRefused || (err as { code?: string }).code === 'EWEBHOOKREFUSED';
      await this.store.setWebhook(jobId, last || refused ? 'failed' : 'pending', attempt, message(err));
      this.logger.warn({ job: jobId, attempt, last: last || refused, err: message(err) }, 'webhook delivery failed');
      throw refused ? new UnrecoverableError(message(err)) : err;
    }
  }

  /** Stops taking chunks, waits for the ones in hand, and closes the worker's connections. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all([this.chunkWorker.close(), this.webhookWorker.close()]);
      await this.events.close();
      await this.queues.close();
    })();
    return this.closed;
  }
}

/** Scores a chunk in one batch; when the batch throws, each document alone, so one bad document fails alone. */
export async function scoreChunk(detector: Scorer, docs: ChunkDocument[], options: ScoreOptions): Promise<Outcome[]> {
  const inputs: DocumentInput[] = docs.map((d) => ({ text: d.text }));
  try {
    const results = await detector.scoreMany(inputs, options);
    if (results.length !== docs.length) throw new Error(`model returned ${results.length} results for ${docs.length} documents`);
    return docs.map((d, i) => success(d, results[i]!));
  } catch (batchError) {
    if (docs.length === 1) return [failure(docs[0]!, 'scoring_failed', message(batchError))];
    const outcomes: Outcome[] = [];
    for (const d of docs) {
      try {
        const [result] = await detector.scoreMany([{ text: d.text }], options);
        outcomes.push(result ? success(d, result) : failure(d, 'scoring_failed', 'model returned no result'));
      } catch (err) {
        outcomes.push(failure(d, 'scoring_failed', message(err)));
      }
    }
    return outcomes;
  }
}

function success(d: ChunkDocument, result: DetectionResult): Outcome {
  return { index: d.index, line: JSON.stringify({ id: d.id, index: d.index, ...result }) };
}

function failure(d: ChunkDocument, code: string, msg: string): Outcome {
  const error = { code, message: msg };
  return {
    index: d.index,
    line: JSON.stringify({ id: d.id, index: d.index, error }),
    error: { index: d.index, id: d.id, ...error },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One loader per model name and process; a failed load is forgotten so the next chunk tries again. */
export function memoizeDetectors(load: (model: string) => Promise<Detector>): DetectorFor & { dispose(): Promise<void> } {
  const cache = new Map<string, Promise<Detector>>();
  const detectorFor = (model: string) => {
    let pending = cache.get(model);
    if (!pending) {
      pending = load(model);
      cache.set(model, pending);
      pending.catch(() => cache.delete(model));
    }
    return pending;
  };
  return Object.assign(detectorFor, {
    async dispose() {
      const all = [...cache.values()];
      cache.clear();
      await Promise.all(all.map(async (p) => (await p.catch(() => null))?.dispose()));
    },
  });
}
