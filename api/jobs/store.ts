// The job records in Redis: what was submitted, how far it got, and one result per document.
// Every state change that must not race (start, write results, finish, cancel) is one Lua script, so any
// number of API processes and workers can act on a job at once. Result writes are idempotent: a document
// index is written with HSETNX, so a chunk retried after a killed worker never adds a second result.
import type { Redis } from 'ioredis';
import { jobKeys } from './redis.ts';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

export interface JobDocument {
  id: string;
  text: string;
}

export interface NewJob {
  id: string;
  /** The API key's owner id (api/middleware.ts ownerOf); none on a keyless server. */
  owner?: string;
  model: string;
  threshold?: number;
  webhook?: string;
  chunkSize: number;
  documents: JobDocument[];
}

export type WebhookState = 'pending' | 'delivered' | 'failed';

export interface JobRecord {
  id: string;
  /** Only this key's requests see and cancel the job; anyone's when absent (created on a keyless server). */
  owner?: string;
  status: JobStatus;
  model: string;
  threshold?: number;
  webhook?: string;
  total: number;
  chunkSize: number;
  chunks: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  webhookState?: WebhookState;
  webhookAttempts?: number;
  webhookError?: string;
}

export interface DocumentError {
  index: number;
  id: string;
  code: string;
  message: string;
}

/** One scored (or failed) document, ready to be stored. `line` is the JSON results line. */
export interface Outcome {
  index: number;
  line: string;
  error?: DocumentError;
}

export interface ChunkDocument extends JobDocument {
  index: number;
}

export type WriteState =
  /** Written; the job goes on. */
  | 'written'
  /** Written, and this write completed the job (the caller fires the webhook). */
  | 'finished'
  /** Not written: the job was cancelled or had already finished. */
  | 'closed'
  /** Not written: no such job (expired or never existed). */
  | 'missing';

// KEYS: meta, results, errors, docs, ids. ARGV: now, ttl, n, then per outcome: index, line, errorJson|''.
const WRITE_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status ~= 'queued' and status ~= 'running' then return {'closed', redis.call('HLEN', KEYS[2])} end
local n = tonumber(ARGV[3])
for i = 0, n - 1 do
  local idx = ARGV[4 + i * 3]
  if redis.call('HSETNX', KEYS[2], idx, ARGV[5 + i * 3]) == 1 and ARGV[6 + i * 3] ~= '' then
    redis.call('HSET', KEYS[3], idx, ARGV[6 + i * 3])
  end
end
local done = redis.call('HLEN', KEYS[2])
if done >= tonumber(redis.call('HGET', KEYS[1], 'total')) then
  local final = 'completed'
  if redis.call('HLEN', KEYS[3]) >= done and done > 0 then final = 'failed' end
  redis.call('HSET', KEYS[1], 'status', final, 'finishedAt', ARGV[1])
  if redis.call('HEXISTS', KEYS[1], 'startedAt') == 0 then redis.call('HSET', KEYS[1], 'startedAt', ARGV[1]) end
  redis.call('DEL', KEYS[4])
  local ttl = tonumber(ARGV[2])
  for k = 1, 5 do if k ~= 4 then redis.call('EXPIRE', KEYS[k], ttl) end end
  return {'finished', done}
end
return {'written', done}
`;

// KEYS: meta. ARGV: now. Marks a queued job running; returns the status after the call ('' if missing).
const START_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return '' end
if status == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[1])
  return 'running'
end
return status
`;

// KEYS: meta, results, errors, docs, ids. ARGV: now, ttl. Returns the status after the call ('' if missing).
const CANCEL_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return '' end
if status == 'queued' or status == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finishedAt', ARGV[1])
  redis.call('DEL', KEYS[4])
  local ttl = tonumber(ARGV[2])
  for k = 1, 5 do if k ~= 4 then redis.call('EXPIRE', KEYS[k], ttl) end end
  return 'cancelled'
end
return status
`;

const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

export class JobStore {
  constructor(
    readonly redis: Redis,
    /** How long a finished job's records (status, results) stay in Redis. */
    readonly ttlSeconds = DEFAULT_TTL_SECONDS,
  ) {}

  /** Stores a new job with its documents (status `queued`). The caller then enqueues its chunks. */
  async create(job: NewJob, now = Date.now()): Promise<JobRecord> {
    const keys = jobKeys(job.id);
    const chunks = Math.ceil(job.documents.length / job.chunkSize);
    const record: JobRecord = {
      id: job.id,
      ...(job.owner ? { owner: job.owner } : {}),
      status: 'queued',
      model: job.model,
      ...(job.threshold !== undefined ? { threshold: job.threshold } : {}),
      ...(job.webhook ? { webhook: job.webhook, webhookState: 'pending' as const, webhookAttempts: 0 } : {}),
      total: job.documents.length,
      chunkSize: job.chunkSize,
      chunks,
      createdAt: now,
    };
    const tx = this.redis.multi();
    const batch = 1_000;
    for (let i = 0; i < job.documents.length; i += batch) {
      const slice = job.documents.slice(i, i + batch);
      tx.rpush(keys.docs, ...slice.map((d) => JSON.stringify({ text: d.text })));
      tx.rpush(keys.ids, ...slice.map((d) => d.id));
    }
    // The meta hash goes last in the transaction: a job is never visible without its documents.
    tx.hset(keys.meta, serialise(record));
    await tx.exec();
    return record;
  }

  async get(id: string): Promise<JobRecord | null> {
    const raw = await this.redis.hgetall(jobKeys(id).meta);
    if (!raw.status) return null;
    return deserialise(raw);
  }

  /** Progress counters: documents with a stored outcome, and how many of those failed. */
  async progress(id: string): Promise<{ done: number; failed: number }> {
    const keys = jobKeys(id);
    const [done, failed] = await Promise.all([this.redis.hlen(keys.results), this.redis.hlen(keys.errors)]);
    return { done, failed };
  }

  /** Up to `limit` per-document errors, by input order. */
  async errors(id: string, limit = 100): Promise<DocumentError[]> {
    const key = jobKeys(id).errors;
    const values: string[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', 200);
      for (let i = 1; i < flat.length; i += 2) values.push(flat[i]!);
      cursor = next;
    } while (cursor !== '0' && values.length < limit * 4);
    return values
      .map((v) => JSON.parse(v) as DocumentError)
      .sort((a, b) => a.index - b.index)
      .slice(0, limit);
  }

  /** Marks the job running when a worker picks up its first chunk; returns the status (null: no such job). */
  async start(id: string, now = Date.now()): Promise<JobStatus | null> {
    const status = (await this.redis.eval(START_SCRIPT, 1, jobKeys(id).meta, now)) as string;
    return status ? (status as JobStatus) : null;
  }

  /** Documents `start..end-1` of a job, with their index and id (empty once the job is finished). */
  async loadChunk(id: string, start: number, end: number): Promise<ChunkDocument[]> {
    const keys = jobKeys(id);
    const [docs, ids] = await Promise.all([
      this.redis.lrange(keys.docs, start, end - 1),
      this.redis.lrange(keys.ids, start, end - 1),
    ]);
    return docs.map((raw, i) => ({ index: start + i, id: ids[i] ?? String(start + i), text: (JSON.parse(raw) as { text: string }).text }));
  }

  /** Indexes in `start..end-1` that have no stored outcome yet. */
  async missing(id: string, start: number, end: number): Promise<number[]> {
    const indexes = range(start, end);
    if (indexes.length === 0) return [];
    const present = await this.redis.hmget(jobKeys(id).results, ...indexes.map(String));
    return indexes.filter((_, i) => present[i] === null);
  }

  /** Stores outcomes (first write per document wins) and finishes the job when every document has one. */
  async write(id: string, outcomes: Outcome[], now = Date.now()): Promise<{ state: WriteState; done: number }> {
    const keys = jobKeys(id);
    const args: Array<string | number> = [now, this.ttlSeconds, outcomes.length];
    for (const o of outcomes) args.push(o.index, o.line, o.error ? JSON.stringify(o.error) : '');
    const [state, done] = (await this.redis.eval(
      WRITE_SCRIPT,
      5,
      keys.meta,
      keys.results,
      keys.errors,
      keys.docs,
      keys.ids,
      ...args,
    )) as [WriteState, number];
    return { state, done };
  }

  /** Cancels a queued or running job; returns the status after the call (null: no such job). */
  async cancel(id: string, now = Date.now()): Promise<JobStatus | null> {
    const keys = jobKeys(id);
    const status = (await this.redis.eval(
      CANCEL_SCRIPT,
      5,
      keys.meta,
      keys.results,
      keys.errors,
      keys.docs,
      keys.ids,
      now,
      this.ttlSeconds,
    )) as string;
    return status ? (status as JobStatus) : null;
  }

  async setWebhook(id: string, state: WebhookState, attempts: number, error?: string): Promise<void> {
    const meta = jobKeys(id).meta;
    const tx = this.redis.multi().hset(meta, 'webhookState', state, 'webhookAttempts', String(attempts));
    if (error) tx.hset(meta, 'webhookError', error.slice(0, 500));
    else tx.hdel(meta, 'webhookError');
    await tx.exec();
  }

  /**
   * The results lines in input order, read in batches. A document with no stored outcome (the job was
   * cancelled before it was scored) gets a `cancelled` error line, so there is one line per document.
   */
  async *results(record: JobRecord, batch = 256): AsyncGenerator<string> {
    const keys = jobKeys(record.id);
    for (let start = 0; start < record.total; start += batch) {
      const end = Math.min(record.total, start + batch);
      const indexes = range(start, end).map(String);
      const lines = await this.redis.hmget(keys.results, ...indexes);
      let ids: string[] | null = null;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        if (line !== null && line !== undefined) {
          yield line;
          continue;
        }
        ids ??= await this.redis.lrange(keys.ids, start, end - 1);
        yield JSON.stringify({
          id: ids[i] ?? String(start + i),
          index: start + i,
          error: { code: 'not_scored', message: `the job was ${record.status} before this document was scored` },
        });
      }
    }
  }
}

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

function serialise(record: JobRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = String(v);
  return out;
}

function deserialise(raw: Record<string, string>): JobRecord {
  const num = (k: string) => (raw[k] === undefined ? undefined : Number(raw[k]));
  return {
    id: raw.id!,
    ...(raw.owner ? { owner: raw.owner } : {}),
    status: raw.status as JobStatus,
    model: raw.model!,
    ...(raw.threshold !== undefined ? { threshold: Number(raw.threshold) } : {}),
    ...(raw.webhook ? { webhook: raw.webhook } : {}),
    total: num('total')!,
    chunkSize: num('chunkSize')!,
    chunks: num('chunks')!,
    createdAt: num('createdAt')!,
    ...(raw.startedAt ? { startedAt: Number(raw.startedAt) } : {}),
    ...(raw.finishedAt ? { finishedAt: Number(raw.finishedAt) } : {}),
    ...(raw.webhookState ? { webhookState: raw.webhookState as WebhookState } : {}),
    ...(raw.webhookAttempts ? { webhookAttempts: Number(raw.webhookAttempts) } : {}),
    ...(raw.webhookError ? { webhookError: raw.webhookError } : {}),
  };
}
