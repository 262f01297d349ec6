// `npm run bench:jobs`: documents per second through the job queue with 1, 2 and 4 `ptd worker`
// processes on this machine. Starts its own redis-server on a free loopback port; worker start-up and
// model loading are not timed (a warm-up job runs first); the time is from submission to the job's end.
//
//   npm run bench:jobs -- [--model DIR|small|base] [--docs N] [--sentences K] [--workers 1,2,4] [--chunk 16]
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeDocuments, startRedis } from '../../tests/jobs/helpers.ts';
import type { DetectionResult } from '../../model/types.ts';
import { createJobsService, type JobsService } from './service.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(ROOT, 'tests/fixtures/models/tiny') },
    docs: { type: 'string', default: '400' },
    sentences: { type: 'string', default: '12' },
    workers: { type: 'string', default: '1,2,4' },
    chunk: { type: 'string', default: '16' },
    device: { type: 'string', default: 'cpu' },
  },
});
const DOCS = Number(values.docs);
const SENTENCES = Number(values.sentences);
const COUNTS = values.workers!.split(',').map(Number);
const CHUNK = Number(values.chunk);

/** Documents of about SENTENCES sentences (~15 tokens each), distinct per index. */
function documents(n: number): Array<{ id: string; text: string }> {
  const base = makeDocuments(n * 4).map((d) => d.text);
  return Array.from({ length: n }, (_, i) => {
    const parts: string[] = [];
    let sentences = 0;
    for (let k = 0; sentences < SENTENCES; k++) {
      const text = base[(i * 4 + k) % base.length]!;
      parts.push(text);
      sentences += text.match(/[.!?](\s|$)/g)?.length ?? 1;
    }
    return { id: `bench-${i}`, text: parts.join(' ') };
  });
}

function startWorker(redisUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/ptd.js', 'worker', '--model', values.model!, '--device', values.device!], {
    cwd: ROOT,
    env: { ...process.env, PTD_REDIS_URL: redisUrl, PTD_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('worker ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited (${code}):\n${log.slice(-2000)}`)));
  });
}

async function runJob(service: JobsService, docs: Array<{ id: string; text: string }>, model: string): Promise<number> {
  const id = crypto.randomUUID();
  const t0 = performance.now();
  const record = await service.store.create({ id, model, chunkSize: CHUNK, documents: docs });
  await service.queues.enqueueChunks(record);
  for (;;) {
    const job = await service.store.get(id);
    if (job && job.status !== 'queued' && job.status !== 'running') {
      const { failed } = await service.store.progress(id);
      if (failed > 0) throw new Error(`${failed} documents failed`);
      return (performance.now() - t0) / 1000;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const service = await createJobsService({ redisUrl: redis.url, models: [values.model!] });
  const modelName = path.basename(path.resolve(values.model!));
  const model = /^(?:ptd-)?(small|base)$/.test(values.model!) ? values.model!.replace(/^ptd-/, '') : modelName;
  const docs = documents(DOCS);
  const chars = docs.reduce((n, d) => n + d.text.length, 0);
  process.stderr.write(
    `bench:jobs — model ${values.model} on ${values.device}, ${DOCS} documents of ~${SENTENCES} sentences ` +
      `(${Math.round(chars / DOCS)} chars), chunks of ${CHUNK}; ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)} at start\n`,
  );
  const rows: Array<{ workers: number; seconds: number; rate: number; load: number }> = [];
  let overhead = 0;
  try {
    // The queue's own ceiling: an in-process worker whose "model" answers at once, so the time is Redis,
    // BullMQ and the result writes (what bounds the total throughput however many machines score).
    {
      const instant = { scoreMany: async (inputs: unknown[]) => inputs.map(() => ({ score: 0 }) as unknown as DetectionResult) };
      const worker = await service.startWorker(async () => instant, { concurrency: 8 });
      const many = documents(2_000);
      await runJob(service, many.slice(0, 64), model);
      overhead = many.length / (await runJob(service, many, model));
      await worker.close();
      process.stderr.write(`  queue overhead: ${overhead.toFixed(0)} documents/s with an instant scorer (chunks of ${CHUNK}, concurrency 8)\n`);
    }
    for (const count of COUNTS) {
      const children = await Promise.all(Array.from({ length: count }, () => startWorker(redis.url)));
      try {
        await runJob(service, docs.slice(0, CHUNK * count), model); // warm-up: every worker scores once
        const seconds = await runJob(service, docs, model);
        rows.push({ workers: count, seconds, rate: DOCS / seconds, load: loadavg()[0]! });
        process.stderr.write(`  ${count} worker(s): ${(DOCS / seconds).toFixed(1)} documents/s (${seconds.toFixed(2)} s)\n`);
      } finally {
        await Promise.all(
          children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGTERM'))))),
        );
      }
    }
  } finally {
    await service.close();
    await redis.stop();
  }
  console.log(`queue ceiling (instant scorer, one process): ${overhead.toFixed(0)} documents/s`);
  const one = rows[0]?.rate ?? 1;
  console.log('workers  documents/s  seconds  speed-up  load-avg');
  for (const r of rows) {
    console.log(
      `${String(r.workers).padStart(7)}  ${r.rate.toFixed(1).padStart(11)}  ${r.seconds.toFixed(2).padStart(7)}  ${(r.rate / one).toFixed(2).padStart(7)}x  ${r.load.toFixed(1).padStart(8)}`,
    );
  }
}

await main();
