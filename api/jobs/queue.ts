// The BullMQ side: a job is split into chunks of documents, each chunk one BullMQ job on the `chunks`
// queue that any worker may take. A BullMQ job id is derived from the ptd job id and the chunk number, so
// enqueueing twice adds nothing. Webhook deliveries are BullMQ jobs too, so their retries survive restarts.
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { CHUNK_QUEUE, QUEUE_PREFIX, WEBHOOK_QUEUE } from './redis.ts';
import { intFromEnv } from './env.ts';

export interface ChunkData {
  jobId: string;
  /** First document index (inclusive) and last (exclusive). */
  start: number;
  end: number;
  model: string;
  threshold?: number;
}

export interface WebhookData {
  jobId: string;
  url: string;
}

export interface RetryPolicy {
  /** Attempts of a chunk whose processing threw (model failed to load, Redis away...). */
  chunkAttempts: number;
  /** Attempts of a webhook delivery, with exponential back-off from `webhookBackoffMs`. */
  webhookAttempts: number;
  webhookBackoffMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  chunkAttempts: 3,
  webhookAttempts: 6,
  webhookBackoffMs: 2_000,
});

export function retryFromEnv(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const int = (name: string, fallback: number) => intFromEnv(env, name, fallback);
  return {
    chunkAttempts: int('PTD_JOBS_CHUNK_ATTEMPTS', DEFAULT_RETRY.chunkAttempts),
    webhookAttempts: int('PTD_WEBHOOK_ATTEMPTS', DEFAULT_RETRY.webhookAttempts),
    webhookBackoffMs: int('PTD_WEBHOOK_BACKOFF_MS', DEFAULT_RETRY.webhookBackoffMs),
  };
}

export function chunkJobId(jobId: string, chunk: number): string {
  return `${jobId}-${chunk}`;
}

export class JobQueues {
  readonly chunks: Queue<ChunkData>;
  readonly webhooks: Queue<WebhookData>;

  constructor(
    connection: Redis,
    readonly retry: RetryPolicy = DEFAULT_RETRY,
    /** Connection errors (Redis away); without a listener they would crash the process. */
    onError: (err: Error) => void = () => undefined,
  ) {
    this.chunks = new Queue<ChunkData>(CHUNK_QUEUE, { connection, prefix: QUEUE_PREFIX });
    this.webhooks = new Queue<WebhookData>(WEBHOOK_QUEUE, { connection, prefix: QUEUE_PREFIX });
    this.chunks.on('error', onError);
    this.webhooks.on('error', onError);
  }

  async enqueueChunks(job: { id: string; model: string; threshold?: number; total: number; chunkSize: number }): Promise<void> {
    const opts = (chunk: number): JobsOptions => ({
      jobId: chunkJobId(job.id, chunk),
      attempts: this.retry.chunkAttempts,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600 },
    });
    const entries = [];
    for (let chunk = 0, start = 0; start < job.total; chunk++, start += job.chunkSize) {
      const data: ChunkData = { jobId: job.id, start, end: Math.min(job.total, start + job.chunkSize), model: job.model };
      if (job.threshold !== undefined) data.threshold = job.threshold;
      entries.push({ name: 'chunk', data, opts: opts(chunk) });
    }
    for (let i = 0; i < entries.length; i += 500) await this.chunks.addBulk(entries.slice(i, i + 500));
  }

  /** Removes a cancelled job's chunks that no worker holds (held ones see the cancel and skip their write). */
  async removeChunks(jobId: string, chunks: number): Promise<void> {
    await Promise.all(
      Array.from({ length: chunks }, (_, chunk) => this.chunks.remove(chunkJobId(jobId, chunk)).catch(() => 0)),
    );
  }

  async enqueueWebhook(jobId: string, url: string): Promise<void> {
    await this.webhooks.add(
      'deliver',
      { jobId, url },
      {
        jobId: `webhook-${jobId}`,
        attempts: this.retry.webhookAttempts,
        backoff: { type: 'exponential', delay: this.retry.webhookBackoffMs },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /** Chunks waiting for a worker (all jobs): the queue depth the API reports. */
  async waiting(): Promise<number> {
    return this.chunks.getWaitingCount();
  }

  async close(): Promise<void> {
    await Promise.all([this.chunks.close(), this.webhooks.close()]);
  }
}
