// End to end with real processes: a Debian redis-server on a free loopback port, `ptd serve` with the
// jobs API, and `ptd worker` processes scoring with the tiny fixture model. Checks that every document
// gets exactly one result: across two workers, with one of them SIGKILLed mid-chunk, across an API restart
// (with the API's embedded worker killed mid-chunk too), and when a job is cancelled; plus the `ptd jobs` CLI.
// "Mid-chunk" is checked, not hoped for: the process is stopped (SIGSTOP) while Redis shows it holding a chunk of
// which nothing is written yet, and only then killed (freezeMidChunk).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JobsClient } from '../../api/jobs/client.ts';
import { chunkJobId, type ChunkData } from '../../api/jobs/queue.ts';
import { CHUNK_QUEUE, QUEUE_PREFIX, connect } from '../../api/jobs/redis.ts';
import { JobStore } from '../../api/jobs/store.ts';
import type { JobView } from '../../api/jobs/view.ts';
import { FIXTURE_MODEL, REDIS_SERVER, ROOT, freePort, makeDocuments, ptd, startRedis, until, type PtdProcess, type RedisServer } from './helpers.ts';
import { describeIfAvailable } from '../helpers/requires.ts';

const N = 500;
const TIMEOUT = 240_000;

let redis: RedisServer;
let port: number;
let api: PtdProcess | undefined;
let client: JobsClient;
// The test's own view of Redis: which chunks are active and held by whom, and which documents have results.
let connection: Redis;
let chunkQueue: Queue<ChunkData>;
let store: JobStore;
const workers: PtdProcess[] = [];
let dir: string;

function env(): Record<string, string> {
  return {
    PTD_REDIS_URL: redis.url,
    PTD_JOBS_CHUNK_SIZE: '10',
    // A SIGKILLed worker's chunk is retried after its lock expires (~3 s) and a stalled check runs.
    PTD_JOBS_LOCK_MS: '3000',
    PTD_JOBS_STALLED_INTERVAL_MS: '1000',
    PTD_LOG_LEVEL: 'debug',
    PTD_API_KEYS: '',
  };
}

async function startApi(extra: string[] = []): Promise<PtdProcess> {
  const p = ptd(['serve', '--port', String(port), '--model', FIXTURE_MODEL, '--device', 'cpu', '--jobs', ...extra], env());
  await p.waitForLog(/ptd serve: ready/, 120_000);
  if (extra.includes('--worker')) await p.waitForLog(/embedded jobs worker started/, 60_000);
  return p;
}

async function startWorker(): Promise<PtdProcess> {
  const w = ptd(['worker', '--model', FIXTURE_MODEL, '--device', 'cpu', '--concurrency', '1'], env());
  await w.waitForLog(/worker ready/, 120_000);
  workers.push(w);
  return w;
}

interface ChunkDone {
  worker: string;
  chunk: string;
  jobId: string;
  start: number;
  end: number;
  written: number;
  state?: string;
}

/** A process's `chunk done` log lines (those of job `jobId` when given). */
function chunksDone(p: PtdProcess, jobId?: string): ChunkDone[] {
  return p
    .log()
    .split('\n')
    .slice(0, -1) // complete lines only
    .filter((line) => line.includes('"chunk done"'))
    .map((line) => JSON.parse(line) as ChunkDone)
    .filter((c) => jobId === undefined || c.jobId === jobId);
}

/** Documents written by a process, summed over its `chunk done` log lines. */
function written(p: PtdProcess, jobId?: string): number {
  return chunksDone(p, jobId).reduce((n, c) => n + c.written, 0);
}

/** The line a worker logs when it is through with a chunk it took: `chunk done` (scored), or `chunk skipped`. */
const chunkEndPattern = (chunk: string) => new RegExp(`"chunk":"${chunk}"[^\n]*"msg":"chunk (done|skipped)"`);

interface HeldChunk {
  id: string;
  start: number;
  end: number;
  /** The worker that holds it (BullMQ's processedBy). */
  worker: string;
}

/**
 * Chunks of `jobId` that BullMQ has active (taken by a worker) and whose documents have no result yet: chunks
 * a worker is scoring now. (A chunk is written in one Lua script, so "no result yet" means none of it is.)
 */
async function chunksInHand(jobId: string): Promise<HeldChunk[]> {
  const held: HeldChunk[] = [];
  for (const job of await chunkQueue.getActive()) {
    if (job.data.jobId !== jobId || !job.id) continue;
    const { start, end } = job.data;
    if ((await store.missing(jobId, start, end)).length !== end - start) continue;
    held.push({ id: job.id, start, end, worker: job.processedBy ?? '' });
  }
  return held;
}

/**
 * Freezes `processes` (SIGSTOP) while `holder` (one of them) is scoring a chunk of `jobId`: it has logged `chunk scoring`
 * for it (its documents are read), BullMQ has the chunk active, and none of its documents has a result yet. When a try
 * comes too late (the chunk already written), the processes run on to `holder`'s next chunk. Returns the chunks of the
 * job in hand then, `holder`'s first; the processes stay stopped (SIGCONT them, or SIGKILL).
 */
async function freezeMidChunk(processes: PtdProcess[], holder: PtdProcess, jobId: string): Promise<HeldChunk[]> {
  const scoring = new RegExp(`"jobId":"${jobId}"[^\n]*"msg":"chunk scoring"`);
  let since = 0;
  for (let attempt = 0; attempt < 50; attempt++) {
    await holder.waitForLog(scoring, 60_000, since);
    for (const p of processes) p.child.kill('SIGSTOP');
    const last = holder.log().split('\n').filter((l) => scoring.test(l)).at(-1)!;
    const [chunk, worker] = [/"chunk":"([^"]+)"/.exec(last)![1], /"worker":"([^"]+)"/.exec(last)![1]];
    const held = await chunksInHand(jobId);
    const mine = held.find((c) => c.id === chunk && c.worker === worker);
    if (mine) return [mine, ...held.filter((c) => c !== mine)];
    since = holder.log().length;
    for (const p of processes) p.child.kill('SIGCONT');
  }
  throw new Error(`${jobId}: never caught the worker in the middle of a chunk`);
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/ptd.js', 'jobs', ...args, '--url', `http://127.0.0.1:${port}`],
      { cwd: ROOT, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, PTD_API_KEY: '' } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function waitFor(id: string, predicate: (job: JobView) => boolean, timeoutMs = TIMEOUT): Promise<JobView> {
  return until(async () => {
    const job = await client.status(id).catch(() => undefined); // the API may be restarting
    return job && predicate(job) ? job : undefined;
  }, timeoutMs, 100);
}

const finished = (j: JobView) => !['queued', 'running'].includes(j.status);

async function resultLines(id: string): Promise<Array<{ id: string; index: number; error?: { code: string }; sentences?: unknown[] }>> {
  const body = await new Response(await client.results(id)).text();
  return body
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

/** Exactly one line per document, in input order, each a real result of the fixture model. */
function expectOneResultPerDocument(rows: Awaited<ReturnType<typeof resultLines>>, docs: Array<{ id: string }>): void {
  expect(rows).toHaveLength(docs.length);
  expect(rows.map((r) => r.id)).toEqual(docs.map((d) => d.id));
  expect(rows.map((r) => r.index)).toEqual(docs.map((_, i) => i));
  expect(rows.filter((r) => r.error)).toEqual([]);
  for (const r of rows) expect(r.sentences?.length).toBeGreaterThan(0);
}

describeIfAvailable('jobs with real workers', REDIS_SERVER.available, REDIS_SERVER.missing, () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ptd-jobs-'));
    redis = await startRedis();
    port = await freePort();
    client = new JobsClient(`http://127.0.0.1:${port}`);
    connection = connect(redis.url);
    chunkQueue = new Queue<ChunkData>(CHUNK_QUEUE, { connection, prefix: QUEUE_PREFIX });
    store = new JobStore(connection);
    // The API and two workers load at the same time.
    [api] = await Promise.all([startApi(), startWorker(), startWorker()]);
  }, TIMEOUT);

  afterAll(async () => {
    for (const p of [api, ...workers]) p?.child.kill('SIGCONT'); // a failed test may have left one stopped
    await Promise.all([api?.kill(), ...workers.map((w) => w.kill())]);
    await chunkQueue?.close();
    connection?.disconnect();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it(`scores a ${N}-document job across 2 workers, submitted and read with the ptd jobs CLI`, async () => {
    const docs = makeDocuments(N);
    const file = path.join(dir, 'docs.jsonl');
    writeFileSync(file, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
    const before = workers.map((w) => written(w));

    const submit = await cli(['submit', file]);
    expect(submit.code, submit.stderr).toBe(0);
    const id = submit.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const results = await cli(['results', id]); // waits for the job, then streams the lines
    expect(results.code, results.stderr).toBe(0);
    expect(results.stderr).toMatch(/completed: 500\/500 documents, 0 failed/);
    const rows = results.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expectOneResultPerDocument(rows, docs);

    const job = await client.status(id);
    expect(job).toMatchObject({ status: 'completed', progress: { done: N, failed: 0, total: N } });
    expect(job.timings.documentsPerSecond).toBeGreaterThan(0);
    // Both workers took part, and together they stored each document once.
    const share = workers.map((w, i) => written(w) - before[i]!);
    expect(share.every((n) => n > 0), `documents per worker: ${share}`).toBe(true);
    expect(share.reduce((a, b) => a + b, 0)).toBe(N);
  }, TIMEOUT);

  it('finishes with exactly one result per document when a worker is SIGKILLed mid-chunk: the chunk is retried and scored once', async () => {
    const [victim, survivor] = workers.slice(-2) as [PtdProcess, PtdProcess];
    const docs = makeDocuments(N);
    const accepted = await client.submit(docs);
    // The kill lands while the victim is scoring a chunk: stopped (SIGSTOP) with the chunk active in BullMQ, held by
    // the victim, and not one of its documents written; then SIGKILLed while stopped, so it cannot finish it.
    const [held] = await freezeMidChunk([victim], victim, accepted.id);
    expect(await (await chunkQueue.getJob(held!.id))!.getState()).toBe('active');
    expect((await client.status(accepted.id)).status).toBe('running');
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    expect(victim.child.signalCode).toBe('SIGKILL');

    const job = await waitFor(accepted.id, finished);
    expect(job).toMatchObject({ status: 'completed', progress: { done: docs.length, failed: 0 } });
    expectOneResultPerDocument(await resultLines(accepted.id), docs);
    // The survivor's stalled check put the chunk back, and the survivor scored it: all of it, once.
    await survivor.waitForLog(new RegExp(`"chunk":"${held!.id}"[^\n]*chunk stalled`), 30_000);
    expect(chunksDone(victim, accepted.id).filter((c) => c.chunk === held!.id)).toEqual([]);
    expect(chunksDone(survivor, accepted.id).filter((c) => c.chunk === held!.id)).toMatchObject([{ written: held!.end - held!.start, state: expect.stringMatching(/written|finished/) }]);
    // and every document of the job was written by exactly one of the two
    expect(written(victim, accepted.id) + written(survivor, accepted.id)).toBe(docs.length);
  }, TIMEOUT);

  it('cancels a running job: the chunks in hand are not written, the rest leave the queue, and the results mark what was not scored', async () => {
    const running = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null); // the survivor of the test above
    expect(running.length).toBeGreaterThan(0);
    const docs = makeDocuments(N);
    const accepted = await client.submit(docs);
    // Cancel while a worker is scoring a chunk (the workers stopped meanwhile): that chunk's write must be refused.
    const held = await freezeMidChunk(running, running[0]!, accepted.id);
    const cancelled = await client.cancel(accepted.id);
    expect(cancelled.status).toBe('cancelled');
    // Its other chunks left the queue with the cancel: what is left of the job are the active ones, in the stopped workers' hands.
    const chunks = Math.ceil(N / 10);
    for (let k = 0; k < chunks; k++) {
      const chunk = await chunkQueue.getJob(chunkJobId(accepted.id, k));
      if (chunk) expect(await chunk.getState(), `chunk ${k}`).toBe('active');
    }
    const since = running.map((w) => w.log().length);
    for (const w of running) w.child.kill('SIGCONT');
    // Each chunk in hand at the cancel ends with nothing written. The one being scored reaches its write, which is
    // refused (the job is closed); another, stopped before it had read its documents, may find them gone (skipped).
    for (const [k, chunk] of held.entries()) {
      await Promise.any(running.map((w, i) => w.waitForLog(chunkEndPattern(chunk.id), 60_000, since[i])));
      const ends = running.flatMap((w) => w.log().split('\n').filter((l) => chunkEndPattern(chunk.id).test(l)).map((l) => JSON.parse(l)));
      expect(ends).toHaveLength(1);
      const scored = k === 0 || ends[0].msg === 'chunk done';
      expect(ends[0]).toMatchObject(scored ? { msg: 'chunk done', written: 0, state: 'closed' } : { written: 0, skipped: 'finished' });
    }
    const later = await client.status(accepted.id);
    expect(later.status).toBe('cancelled');
    expect(later.progress.done).toBe(cancelled.progress.done); // nothing written after the cancel
    expect(later.progress.done).toBeLessThan(N);
    const rows = await resultLines(accepted.id);
    expect(rows.map((r) => r.id)).toEqual(docs.map((d) => d.id));
    const notScored = rows.filter((r) => r.error?.code === 'not_scored').length;
    expect(notScored).toBe(N - later.progress.done);
  }, TIMEOUT);

  it('keeps a job through an API restart, with the API embedded worker SIGKILLed mid-chunk', async () => {
    // Only the API's own worker runs now: stop the standalone workers.
    await Promise.all(workers.map((w) => w.kill()));
    await api!.kill();
    api = await startApi(['--worker']);
    const docs = makeDocuments(200);
    const accepted = await client.submit(docs);
    // Killed while its worker is scoring a chunk (stopped first, as in the test above).
    const killed = api;
    const [held] = await freezeMidChunk([killed], killed, accepted.id);
    killed.child.kill('SIGKILL');
    await new Promise((r) => killed.child.once('exit', r));
    api = await startApi(['--worker']);
    const job = await waitFor(accepted.id, finished);
    expect(job).toMatchObject({ status: 'completed', progress: { done: 200, failed: 0 } });
    expectOneResultPerDocument(await resultLines(accepted.id), docs);
    // The restarted API's worker took the dead one's chunk back and scored all of it.
    await api.waitForLog(new RegExp(`"chunk":"${held!.id}"[^\n]*chunk stalled`), 30_000);
    expect(chunksDone(killed, accepted.id).filter((c) => c.chunk === held!.id)).toEqual([]);
    expect(chunksDone(api, accepted.id).filter((c) => c.chunk === held!.id)).toMatchObject([{ written: held!.end - held!.start }]);
    expect(written(killed, accepted.id) + written(api, accepted.id)).toBe(docs.length);
  }, TIMEOUT);

  it('reports the bad lines of an upload by line number on the CLI (exit 1)', async () => {
    const file = path.join(dir, 'bad.jsonl');
    writeFileSync(file, ['{"id":"a","text":"Fine."}', '{"id":"b",', '{"id":"c"}', '{"text":"Also fine."}'].join('\n'));
    const res = await cli(['submit', file]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/line 2: not valid JSON/);
    expect(res.stderr).toMatch(/line 3: text:/);
    expect(res.stderr).toMatch(/2 invalid line\(s\)/);
  }, TIMEOUT);
});
