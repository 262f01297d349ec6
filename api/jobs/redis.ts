// Redis connections and the names every jobs component shares (API, workers, CLI-free).
// One Redis holds both BullMQ's chunk queue and ptd's job records, so any number of API processes and
// workers on any hosts cooperate by pointing PTD_REDIS_URL at it.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

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

/**
 * Connection errors while Redis is away, logged once per `everyMs` (30 s) with a count of those not logged, and
 * once more when a connection is back. While Redis is down every connection fails each reconnection attempt, and
 * every BullMQ object on a connection repeats its errors: unthrottled, that was a dozen lines a second.
 */
export class RedisErrors {
  private last = -Infinity;
  private suppressed = 0;
  private down = false;
  private readonly watched = new WeakSet<Redis>();

  constructor(
    private readonly logger: Logger,
    private readonly everyMs = 30_000,
  ) {}

  /** A listener for a BullMQ object's `error` events: connection errors throttled, others logged as they come. */
  listener(source: string): (err: Error) => void {
    return (err) => {
      if (isConnectionError(err)) this.report(source, err);
      else this.logger.error({ err, source }, 'queue error');
    };
  }

  report(source: string, err: Error): void {
    this.down = true;
    const now = Date.now();
    if (now - this.last < this.everyMs) {
      this.suppressed++;
      return;
    }
    this.logger.warn(
      { source, err: err.message, ...(this.suppressed ? { suppressed: this.suppressed } : {}) },
      `redis unavailable (${source}); retrying, errors logged at most every ${Math.round(this.everyMs / 1000)} s`,
    );
    this.last = now;
    this.suppressed = 0;
  }

  /** The one error listener of `connection` (a second call adds none), and its recovery message. */
  watch(connection: Redis, source: string): Redis {
    if (this.watched.has(connection)) return connection;
    this.watched.add(connection);
    connection.on('error', (err: Error) => this.report(source, err));
    connection.on('ready', () => {
      if (!this.down) return;
      this.logger.info({ source, ...(this.suppressed ? { suppressed: this.suppressed } : {}) }, 'redis connection restored');
      this.down = false;
      this.suppressed = 0;
      this.last = -Infinity;
    });
    return connection;
  }
}

/** Whether an error means Redis cannot be reached (refused, reset, closed, retries exhausted). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string };
  return (
    e?.name === 'MaxRetriesPerRequestError' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(e?.code ?? '') ||
    /connection is closed|stream isn't writeable|max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT/i.test(e?.message ?? '')
  );
}
