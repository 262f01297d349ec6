// Redis connections and the names every jobs component shares (API, workers, CLI-free).
// One Redis holds both BullMQ's chunk queue and ptd's job records, so any number of API processes and
// workers on any hosts cooperate by pointing PTD_REDIS_URL at it.
import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** BullMQ key prefix and queue names: keys are `ptd:chunks:*` and `ptd:webhooks:*`. */
export const QUEUE_PREFIX = 'ptd';
export const CHUNK_QUEUE = 'chunks';
export const WEBHOOK_QUEUE = 'webhooks';

export function redisUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.PTD_REDIS_URL?.trim() || DEFAULT_REDIS_URL;
}

/**
 * A connection BullMQ accepts for workers and queues: `maxRetriesPerRequest: null` (BullMQ requires it
 * for blocking commands), and reconnects with a capped back-off while Redis is away.
 */
export function connect(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(200 * times, 2_000),
    ...options,
  });
}

/**
 * Key names of one job. The `{id}` hash tag keeps a job's keys in one slot, so the Lua scripts that touch
 * several of them also work on a Redis Cluster.
 */
export function jobKeys(id: string) {
  const base = `ptd:job:{${id}}`;
  return {
    meta: `${base}:meta`,
    /** List of `{"text"}` JSON, one per document in input order; removed when the job finishes. */
    docs: `${base}:docs`,
    /** List of document ids in input order (kept until the job expires: results carry them). */
    ids: `${base}:ids`,
    /** Hash index -> result line (JSON). Written with HSETNX: the first write of a document wins. */
    results: `${base}:results`,
    /** Hash index -> `{index,id,code,message}` for documents that could not be scored. */
    errors: `${base}:errors`,
  };
}
