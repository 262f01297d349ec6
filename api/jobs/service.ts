// Wires the jobs API for a server: Redis connection, job store, queues, the /v1/jobs router with its
// OpenAPI paths, and optionally an embedded worker (so one machine needs nothing but Redis).
import type { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { ExtraRouter } from '../app.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import { parseModelSpec } from '../models.ts';
import { jobsOpenApi } from './openapi.ts';
import { JobQueues, retryFromEnv } from './queue.ts';
import { connect, RedisErrors, redisUrlFromEnv } from './redis.ts';
import { jobsRouter } from './routes.ts';
import { JobStore } from './store.ts';
import { parseWebhookAllow } from './targets.ts';
import { DEFAULT_JOB_LIMITS, submissionSchemas, type JobLimits } from './submission.ts';
import { JobWorker, locksFromEnv, type DetectorFor } from './worker.ts';
import { intFromEnv } from './env.ts';

export const DEFAULT_CHUNK_SIZE = 16;

export interface JobsServiceOptions {
  redisUrl?: string;
  /** The server's model specs (as `ptd serve --model`); the first is the default. */
  models: string[];
  limits?: Partial<JobLimits>;
  chunkSize?: number;
  apiKeys?: string[];
  logger?: Logger;
}

export interface JobsService {
  connection: Redis;
  store: JobStore;
  queues: JobQueues;
  /** For createApp's `routers`. */
  router: ExtraRouter;
  /** Runs a worker inside this process, scoring with the server's own models. */
  startWorker(detectorFor: DetectorFor, options?: { concurrency?: number }): Promise<JobWorker>;
  close(): Promise<void>;
}

function intEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  return intFromEnv(env, name, undefined);
}

export async function createJobsService(options: JobsServiceOptions, env: NodeJS.ProcessEnv = process.env): Promise<JobsService> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const redisUrl = options.redisUrl ?? redisUrlFromEnv(env);
  // The API's connection fails a command after a couple of reconnection attempts, so a request answers
  // 503 while Redis is away instead of hanging; workers (below) wait for Redis as long as it takes.
  const webhookPolicy = parseWebhookAllow(env.PTD_WEBHOOK_ALLOW);
  const connection = connect(redisUrl, { maxRetriesPerRequest: 2 });
  const redisErrors = new RedisErrors(logger);
  redisErrors.watch(connection, 'api connection');
  const limits: JobLimits = {
    maxCharsPerDocument: options.limits?.maxCharsPerDocument ?? intEnv(env, 'PTD_MAX_CHARS') ?? DEFAULT_LIMITS.maxCharsPerDocument,
    maxDocumentsPerJob: options.limits?.maxDocumentsPerJob ?? intEnv(env, 'PTD_JOBS_MAX_DOCUMENTS') ?? DEFAULT_JOB_LIMITS.maxDocumentsPerJob,
    maxUploadBytes: options.limits?.maxUploadBytes ?? intEnv(env, 'PTD_JOBS_MAX_UPLOAD_BYTES') ?? DEFAULT_JOB_LIMITS.maxUploadBytes,
  };
  const names = options.models.map((m) => parseModelSpec(m).name);
  const schemas = submissionSchemas(limits, names);
  const store = new JobStore(connection, intEnv(env, 'PTD_JOBS_TTL_S'));
  const retry = retryFromEnv(env);
  const queues = new JobQueues(connection, retry, redisErrors.listener('api queues'));
  const chunkSize = options.chunkSize ?? intEnv(env, 'PTD_JOBS_CHUNK_SIZE') ?? DEFAULT_CHUNK_SIZE;
  const router = jobsRouter({ store, queues, schemas, limits, defaultModel: names[0] ?? 'small', chunkSize, logger, webhookPolicy });
  const workers: Array<{ worker: JobWorker; connection: Redis }> = [];

  return {
    connection,
    store,
    queues,
    router: { path: '/jobs', router, openapi: jobsOpenApi(schemas, (options.apiKeys ?? []).length > 0), health: { redis: () => redisAnswers(connection) } },
    async startWorker(detectorFor, opts = {}) {
      const workerConnection = connect(redisUrl); // its error listener is the worker's (JobWorker watches it)
      const worker = new JobWorker({
        connection: workerConnection,
        detectorFor,
        logger,
        concurrency: opts.concurrency ?? 1,
        locks: locksFromEnv(env),
        retry,
        webhookSecret: env.PTD_WEBHOOK_SECRET || undefined,
        webhookPolicy,
        ttlSeconds: intEnv(env, 'PTD_JOBS_TTL_S'),
      });
      workers.push({ worker, connection: workerConnection });
      await worker.ready();
      logger.info({ worker: worker.name }, 'embedded jobs worker started');
      return worker;
    },
    async close() {
      await Promise.all(
        workers.map(async (w) => {
          await w.worker.close();
          await w.connection.quit().catch(() => w.connection.disconnect());
        }),
      );
      await queues.close();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/** Whether Redis answers a PING within `timeoutMs` (at once false while the connection is not ready). */
export async function redisAnswers(connection: Redis, timeoutMs = 1_000): Promise<boolean> {
  if (connection.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const pong = await Promise.race([
      connection.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return pong === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
