// A `ptd worker` while Redis stops and starts again: no "[ioredis] Unhandled error event" (every connection has
// its error listener), connection errors logged at most every 30 s instead of several a second, a message when
// Redis is back, and jobs scored again after it.
import { createServer } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJobsService, type JobsService } from '../../api/jobs/service.ts';
import { FIXTURE_MODEL, REDIS_SERVER, makeDocuments, ptd, startRedis, until, type PtdProcess, type RedisServer } from './helpers.ts';
import { describeIfAvailable } from '../helpers/requires.ts';

/** Listens on `port` (where Redis was) and resets every connection as it is accepted; `reached(n)`: n connections so far. */
async function resettingPort(port: number): Promise<{ reached(n: number): Promise<void>; close(): Promise<void> }> {
  let connections = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.resetAndDestroy();
    connections++;
    for (const w of waiters.filter((w) => connections >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    reached: (n) => (connections >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let redis: RedisServer;
let worker: PtdProcess;

describeIfAvailable('ptd worker during a Redis outage', REDIS_SERVER.available, REDIS_SERVER.missing, () => {
  beforeAll(async () => {
    redis = await startRedis();
    worker = ptd(['worker', '--model', `tiny=${FIXTURE_MODEL}`, '--device', 'cpu'], { PTD_REDIS_URL: redis.url, PTD_LOG_LEVEL: 'info' });
    await worker.waitForLog(/worker ready/, 120_000);
  }, 180_000);

  afterAll(async () => {
    await worker?.kill();
    await redis?.stop();
  });

  it('logs the outage once, not a line per reconnection attempt, then recovers and scores', { timeout: 120_000 }, async () => {
    const from = worker.log().length;
    const port = redis.port;
    await redis.stop();
    // Redis stays away until the worker has tried to reconnect ATTEMPTS times, each attempt failing: its port
    // accepts each connection and resets it at once (ECONNRESET, as from a Redis that crashed), counting them.
    const ATTEMPTS = 15;
    const away = await resettingPort(port);
    await away.reached(ATTEMPTS);
    const during = worker.log().slice(from);
    await away.close();
    expect(during).not.toMatch(/Unhandled error event/);
    const lines = during.split('\n').filter((l) => l.trim());
    expect(lines.filter((l) => l.includes('redis unavailable'))).toHaveLength(1);
    expect(lines.length, during).toBeLessThanOrEqual(2);

    redis = await startRedis(port);
    await worker.waitForLog(/redis connection restored/, 30_000);
    // The errors of those attempts happened, and were counted instead of logged.
    const restored = worker.log().slice(from).split('\n').find((l) => l.includes('redis connection restored'))!;
    expect((JSON.parse(restored) as { suppressed?: number }).suppressed).toBeGreaterThanOrEqual(ATTEMPTS - 1);
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
