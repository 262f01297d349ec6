// A `ptd worker` while Redis stops and starts again: no "[ioredis] Unhandled error event" (every connection has
// its error listener), connection errors logged at most every 30 s instead of several a second, a message when
// Redis is back, and jobs scored again after it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobsService, type JobsService } from '../../api/jobs/service.ts';
import { FIXTURE_MODEL, makeDocuments, ptd, startRedis, until, type PtdProcess, type RedisServer } from './helpers.ts';

let redis: RedisServer;
let worker: PtdProcess;

beforeAll(async () => {
  redis = await startRedis();
  worker = ptd(['worker', '--model', `tiny=${FIXTURE_MODEL}`, '--device', 'cpu'], { PTD_REDIS_URL: redis.url, PTD_LOG_LEVEL: 'info' });
  await worker.waitForLog(/worker ready/, 120_000);
}, 180_000);

afterAll(async () => {
  await worker?.kill();
  await redis?.stop();
});

describe('ptd worker during a Redis outage', () => {
  it('logs the outage once, not a line per reconnection attempt, then recovers and scores', { timeout: 120_000 }, async () => {
    const from = worker.log().length;
    const port = redis.port;
    await redis.stop();
    await new Promise((r) => setTimeout(r, 5_000));
    const during = worker.log().slice(from);
    expect(during).not.toMatch(/Unhandled error event/);
    const lines = during.split('\n').filter((l) => l.trim());
    expect(lines.filter((l) => l.includes('redis unavailable'))).toHaveLength(1);
    expect(lines.length, during).toBeLessThanOrEqual(2);

    redis = await startRedis(port);
    await worker.waitForLog(/redis connection restored/, 30_000);
    let service: JobsService | undefined;
    try {
      service = await createJobsService({ redisUrl: redis.url, models: ['tiny'] }, {});
      const id = crypto.randomUUID();
      const record = await service.store.create({ id, model: 'tiny', chunkSize: 4, documents: makeDocuments(6) });
      await service.queues.enqueueChunks(record);
      const done = await until(async () => {
        const job = await service!.store.get(id);
        return job && job.status !== 'queued' && job.status !== 'running' ? job : undefined;
      }, 60_000, 100);
      expect(done.status).toBe('completed');
      expect(await service.store.progress(id)).toEqual({ done: 6, failed: 0 });
    } finally {
      await service?.close();
    }
    expect(worker.log().slice(from)).not.toMatch(/Unhandled error event/);
  });
});
