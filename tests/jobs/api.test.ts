// The jobs API in process against a real redis-server, with a worker whose scoring function is injected
// (a fake detector): submission (JSON and JSON-lines uploads, bad lines by line number), status, results
// in input order, per-document failures, chunk failures, cancel, idempotent writes, webhooks with retries,
// auth and the OpenAPI paths. The real model and worker processes are in workers.test.ts.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import { signature } from '../../api/jobs/webhook.ts';
import { chunkJobId } from '../../api/jobs/queue.ts';
import { createJobsService, type JobsService } from '../../api/jobs/service.ts';
import type { JobWorker, Scorer } from '../../api/jobs/worker.ts';
import { ModelRegistry } from '../../api/models.ts';
import type { DetectionResult, Detector } from '../../model/types.ts';
import { REDIS_SERVER, freePort, makeDocuments, startRedis, until, type RedisServer } from './helpers.ts';
import { describeIfAvailable } from '../helpers/requires.ts';

const INFO = { name: 'fake', version: '0.0.0', device: 'cpu' as const, dtype: 'q8' as const, fallbacks: [] };

function result(text: string): DetectionResult {
  return {
    model: INFO,
    sentences: [{ index: 0, text, start: 0, end: text.length, score: 0.25, label: 'human' }],
    spans: [],
    score: 0.25,
    paraphrasedFraction: 0,
    threshold: 0.5,
    coverage: { sentences: 1, scored: 1, skipped: 0, truncated: 0 },
    reliable: false,
  };
}

/** Scores anything except a text containing POISON (which throws, as a model error would). */
function fakeDetector(calls: { batches: number; documents: number } = { batches: 0, documents: 0 }): Detector & { calls: typeof calls } {
  const scoreMany = async (inputs: Array<{ text: string } | { sentences: string[] }>) => {
    calls.batches++;
    const texts = inputs.map((i) => ('text' in i ? i.text : i.sentences.join(' ')));
    if (texts.some((t) => t.includes('POISON'))) throw new Error('tensor shape mismatch');
    calls.documents += texts.length;
    return texts.map(result);
  };
  return {
    calls,
    info: INFO,
    thresholds: [],
    defaultThreshold: 0.5,
    maxTokens: 512,
    score: async (text) => result(text),
    scoreSentences: async (s) => result(s.join(' ')),
    scoreMany,
    dispose: async () => undefined,
  };
}

let redis: RedisServer;
let jobs: JobsService;
let app: ReturnType<typeof createApp>;
let worker: JobWorker | undefined;
// The test webhook receiver listens on 127.0.0.1, which webhooks may reach only when PTD_WEBHOOK_ALLOW lists it.
const ENV = {
  PTD_JOBS_CHUNK_ATTEMPTS: '2',
  PTD_WEBHOOK_ATTEMPTS: '3',
  PTD_WEBHOOK_BACKOFF_MS: '100',
  PTD_WEBHOOK_SECRET: 's3cret',
  PTD_WEBHOOK_ALLOW: '127.0.0.1',
};

describeIfAvailable('the jobs API against a real redis-server', REDIS_SERVER.available, REDIS_SERVER.missing, () => {
  beforeAll(async () => {
    redis = await startRedis();
    jobs = await createJobsService(
      { redisUrl: redis.url, models: ['tiny=/nowhere/tiny'], chunkSize: 4, limits: { maxDocumentsPerJob: 50, maxUploadBytes: 4096, maxCharsPerDocument: 500 } },
      ENV,
    );
    app = createApp({ models: ModelRegistry.of({ tiny: fakeDetector() }), routers: [jobs.router], playground: false, defaultMetrics: false });
  });

  afterEach(async () => {
    await worker?.close();
    worker = undefined;
  });

  afterAll(async () => {
    await jobs?.close();
    await redis?.stop();
  });

  async function startWorker(detector: Scorer = fakeDetector()): Promise<JobWorker> {
    worker = await jobs.startWorker(async () => detector, { concurrency: 2 });
    return worker;
  }

  async function finished(id: string) {
    return until(async () => {
      const res = await request(app).get(`/v1/jobs/${id}`);
      return ['completed', 'failed', 'cancelled'].includes(res.body.status) ? res.body : undefined;
    }, 30_000, 50);
  }

  function lines(text: string): Array<Record<string, unknown>> {
    return text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  describe('submitting and reading a job', () => {
    it('queues JSON documents (202), scores them in chunks, and serves one result per document in input order', async () => {
      const docs = makeDocuments(10);
      const res = await request(app).post('/v1/jobs').send({ documents: docs });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: 'queued', documents: 10, model: 'tiny' });
      expect(res.headers.location).toBe(`/v1/jobs/${res.body.id}`);

      const queued = await request(app).get(`/v1/jobs/${res.body.id}`);
      expect(queued.body).toMatchObject({ status: 'queued', progress: { done: 0, total: 10 } });
      const early = await request(app).get(`/v1/jobs/${res.body.id}/results`);
      expect(early.status).toBe(409);
      expect(early.body.error.code).toBe('job_not_finished');

      await startWorker();
      const job = await finished(res.body.id);
      expect(job).toMatchObject({ status: 'completed', progress: { done: 10, failed: 0, total: 10, fraction: 1 }, errors: [] });
      expect(job.timings.startedAt).toEqual(expect.any(String));
      expect(job.timings.finishedAt).toEqual(expect.any(String));

      const out = await request(app).get(`/v1/jobs/${res.body.id}/results`);
      expect(out.status).toBe(200);
      expect(out.headers['content-type']).toMatch(/application\/x-ndjson/);
      const rows = lines(out.text);
      expect(rows.map((r) => r.id)).toEqual(docs.map((d) => d.id));
      expect(rows.map((r) => r.index)).toEqual(docs.map((_, i) => i));
      expect(rows[3]).toMatchObject({ score: 0.25, sentences: [{ text: docs[3]!.text }] });
    });

    it('numbers documents without an id by their input index', async () => {
      await startWorker();
      const res = await request(app).post('/v1/jobs').send({ documents: [{ text: 'One.' }, { id: 'b', text: 'Two.' }, { text: 'Three.' }] });
      await finished(res.body.id);
      const rows = lines((await request(app).get(`/v1/jobs/${res.body.id}/results`)).text);
      expect(rows.map((r) => r.id)).toEqual(['0', 'b', '2']);
    });

    it('reports a document the model fails on, per document, without failing the job or its neighbours', async () => {
      await startWorker();
      const docs = makeDocuments(8);
      docs[5]!.text = 'This one is POISON to the model.';
      const res = await request(app).post('/v1/jobs').send({ documents: docs });
      const job = await finished(res.body.id);
      expect(job.status).toBe('completed');
      expect(job.progress).toMatchObject({ done: 8, failed: 1 });
      expect(job.errors).toEqual([{ index: 5, id: 'doc-5', code: 'scoring_failed', message: 'tensor shape mismatch' }]);
      const rows = lines((await request(app).get(`/v1/jobs/${res.body.id}/results`)).text);
      expect(rows).toHaveLength(8);
      expect(rows[5]).toEqual({ id: 'doc-5', index: 5, error: { code: 'scoring_failed', message: 'tensor shape mismatch' } });
      expect(rows[4]).toHaveProperty('score');
      expect(rows[6]).toHaveProperty('score');
    });

    it('retries a chunk whose model fails to load, then reports its documents failed; a job with nothing scored is failed', async () => {
      let loads = 0;
      worker = await jobs.startWorker(async () => {
        loads++;
        throw new Error('no such model file');
      });
      const res = await request(app).post('/v1/jobs').send({ documents: makeDocuments(3) });
      const job = await finished(res.body.id);
      expect(job.status).toBe('failed');
      expect(job.progress).toMatchObject({ done: 3, failed: 3 });
      expect(job.errors[0]).toMatchObject({ code: 'chunk_failed', message: expect.stringContaining('no such model file') });
      expect(loads).toBe(2); // PTD_JOBS_CHUNK_ATTEMPTS
    });

    it('answers 404 for unknown or malformed job ids', async () => {
      for (const path of ['/v1/jobs/00000000-0000-4000-8000-000000000000', '/v1/jobs/not-an-id', '/v1/jobs/x/results']) {
        const res = await request(app).get(path);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    });
  });

  describe('validation', () => {
    it('rejects bad JSON submissions with 400, 415 and 422', async () => {
      const cases: Array<[object | string, number, string]> = [
        [{ documents: [] }, 400, 'invalid_request'],
        [{ documents: [{ text: '   ' }] }, 400, 'invalid_request'],
        [{ documents: [{ text: 'ok', extra: 1 }] }, 400, 'invalid_request'],
        [{ documents: [{ text: 'ok' }], model: 'huge' }, 400, 'invalid_request'],
        [{ documents: [{ text: 'ok' }], webhook: 'ftp://example.org/x' }, 400, 'invalid_request'],
        [{ documents: [{ text: 'ok' }], threshold: 2 }, 400, 'invalid_request'],
        [{ documents: makeDocuments(51) }, 422, 'limit_exceeded'],
        [{ documents: [{ text: 'x'.repeat(501) }] }, 422, 'limit_exceeded'],
      ];
      for (const [body, status, code] of cases) {
        const res = await request(app).post('/v1/jobs').send(body);
        expect([res.status, res.body.error?.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
      }
      const text = await request(app).post('/v1/jobs').set('content-type', 'text/csv').send('a,b');
      expect(text.status).toBe(415);
    });

    it('accepts a JSON-lines upload (blank lines skipped, extra fields ignored, options in the query)', async () => {
      await startWorker();
      const body = ['{"id":"a","text":"First document.","label":[0]}', '', '{"text":"Second document."}', '{"id":7,"text":"Third."}', ''].join('\n');
      const res = await request(app).post('/v1/jobs?threshold=0.3').set('content-type', 'application/x-ndjson').send(body);
      expect(res.status).toBe(202);
      expect(res.body.documents).toBe(3);
      const job = await finished(res.body.id);
      expect(job).toMatchObject({ status: 'completed', threshold: 0.3 });
      const rows = lines((await request(app).get(`/v1/jobs/${res.body.id}/results`)).text);
      expect(rows.map((r) => r.id)).toEqual(['a', '1', '7']);
    });

    it('reports every bad line of an upload by line number', async () => {
      const body = [
        '{"id":"ok","text":"Fine."}',
        '{"id":"x","text":',
        '["not", "an", "object"]',
        '{"id":"y"}',
        '',
        '{"id":"z","text":""}',
        `{"text":"${'y'.repeat(501)}"}`,
        '{"text":"fine again"}',
      ].join('\n');
      const res = await request(app).post('/v1/jobs').set('content-type', 'application/x-ndjson').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.invalidLines).toBe(5);
      expect(res.body.error.lines.map((l: { line: number }) => l.line)).toEqual([2, 3, 4, 6, 7]);
      expect(res.body.error.lines[0].message).toMatch(/not valid JSON/);
      expect(res.body.error.lines[2].message).toMatch(/^text:/);
      expect(res.body.error.lines[4].message).toMatch(/maxCharsPerDocument/);
      expect(res.body.error.message).toMatch(/5 invalid line\(s\).*line 2/);
    });

    it('accepts a form upload (multipart/form-data, file field "file", options as form fields), as curl -F sends it', async () => {
      await startWorker();
      const body = Buffer.from(['{"id":"a","text":"First document.","label":[0]}', '{"text":"Second document."}', ''].join('\n'));
      const res = await request(app).post('/v1/jobs').field('threshold', '0.4').attach('file', body, { filename: 'docs.jsonl', contentType: 'application/octet-stream' });
      expect(res.status).toBe(202);
      expect(res.body.documents).toBe(2);
      const job = await finished(res.body.id);
      expect(job).toMatchObject({ status: 'completed', threshold: 0.4 });
      expect(lines((await request(app).get(`/v1/jobs/${res.body.id}/results`)).text).map((r) => r.id)).toEqual(['a', '1']);
    });

    it('refuses a bad form upload with a 4xx that says what is wrong', async () => {
      const ok = Buffer.from('{"text":"Fine."}\n');
      const noFile = await request(app).post('/v1/jobs').field('model', 'tiny');
      expect([noFile.status, noFile.body.error.code]).toEqual([400, 'invalid_request']);
      expect(noFile.body.error.message).toMatch(/no file field "file"/);

      const wrongName = await request(app).post('/v1/jobs').attach('documents', ok, 'docs.jsonl');
      expect(wrongName.status).toBe(400);
      expect(wrongName.body.error.message).toMatch(/unexpected file field "documents"/);

      const two = await request(app).post('/v1/jobs').attach('file', ok, 'a.jsonl').attach('file', ok, 'b.jsonl');
      expect(two.status).toBe(400);
      expect(two.body.error.message).toMatch(/one file per job/);

      const badLine = await request(app).post('/v1/jobs').attach('file', Buffer.from('{"text":"ok"}\n{"id":"x"}\n'), 'docs.jsonl');
      expect(badLine.status).toBe(400);
      expect(badLine.body.error.lines).toEqual([{ line: 2, message: expect.stringMatching(/^text:/) }]);

      const unknownField = await request(app).post('/v1/jobs').field('colour', 'red').attach('file', ok, 'docs.jsonl');
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.error.message).toMatch(/colour/);

      const badModel = await request(app).post('/v1/jobs').field('model', 'nope').attach('file', ok, 'docs.jsonl');
      expect([badModel.status, badModel.body.error.code]).toEqual([400, 'invalid_request']);

      const big = await request(app).post('/v1/jobs').attach('file', Buffer.from(`{"text":"${'z'.repeat(5000)}"}`), 'big.jsonl');
      expect(big.status).toBe(413);
      expect(big.body.error).toMatchObject({ code: 'payload_too_large', limit: 'maxUploadBytes' });

      const broken = await request(app).post('/v1/jobs').set('content-type', 'multipart/form-data; boundary=xyz').send('--xyz\r\nnot a part');
      expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_request']);
      const noBoundary = await request(app).post('/v1/jobs').set('content-type', 'multipart/form-data').send('x');
      expect([noBoundary.status, noBoundary.body.error.code]).toEqual([400, 'invalid_request']);
      expect(noBoundary.body.error.message).toMatch(/malformed multipart form/);
    });

    it('reports invalid UTF-8 by line, an empty upload, an oversized upload and bad query options', async () => {
      const bad = Buffer.concat([Buffer.from('{"text":"ok"}\n{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
      const utf = await request(app).post('/v1/jobs').set('content-type', 'application/x-ndjson').send(bad);
      expect(utf.status).toBe(400);
      expect(utf.body.error.lines).toEqual([{ line: 2, message: 'not valid UTF-8' }]);

      const empty = await request(app).post('/v1/jobs').set('content-type', 'application/x-ndjson').send('\n\n');
      expect([empty.status, empty.body.error.code]).toEqual([400, 'invalid_request']);

      const big = await request(app).post('/v1/jobs').set('content-type', 'application/x-ndjson').send(`{"text":"${'z'.repeat(5000)}"}`);
      expect(big.status).toBe(413);
      expect(big.body.error).toMatchObject({ code: 'payload_too_large', limit: 'maxUploadBytes' });

      const query = await request(app).post('/v1/jobs?model=nope').set('content-type', 'application/x-ndjson').send('{"text":"a"}');
      expect([query.status, query.body.error.code]).toEqual([400, 'invalid_request']);
    });
  });

  describe('cancel', () => {
    it('cancels a queued job: no worker scores it, and the results say which documents were not scored', async () => {
      const res = await request(app).post('/v1/jobs').send({ documents: makeDocuments(9) });
      const del = await request(app).delete(`/v1/jobs/${res.body.id}`);
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ status: 'cancelled', progress: { done: 0 } });
      expect((await request(app).delete(`/v1/jobs/${res.body.id}`)).status).toBe(200); // idempotent

      // Its chunks are out of the queue at once (none was taken: no worker runs yet). Soft: the scoring check below
      // reports too, should the chunks stay.
      for (let chunk = 0; chunk < 3; chunk++) expect.soft(await jobs.queues.chunks.getJob(chunkJobId(res.body.id, chunk)), `chunk ${chunk}`).toBeUndefined();

      // A job submitted after the cancel: the queue is first in, first out, so a worker reaches its chunk only after
      // taking whatever the cancelled job left in the queue. Once it has finished, the worker has had its chance.
      const detector = fakeDetector();
      await startWorker(detector);
      const later = await request(app).post('/v1/jobs').send({ documents: [{ id: 'later', text: 'Submitted after the cancel.' }] });
      expect((await finished(later.body.id)).status).toBe('completed');
      expect(detector.calls.documents).toBe(1); // the later job's one document, none of the cancelled job's nine
      const rows = lines((await request(app).get(`/v1/jobs/${res.body.id}/results`)).text);
      expect(rows).toHaveLength(9);
      expect(rows[0]).toMatchObject({ id: 'doc-0', index: 0, error: { code: 'not_scored' } });
    });

    it('will not cancel a finished job (409)', async () => {
      await startWorker();
      const res = await request(app).post('/v1/jobs').send({ documents: makeDocuments(2) });
      await finished(res.body.id);
      const del = await request(app).delete(`/v1/jobs/${res.body.id}`);
      expect([del.status, del.body.error.code]).toEqual([409, 'job_finished']);
    });
  });

  describe('idempotent writes', () => {
    it('keeps the first outcome of a document and skips a chunk that is already done', async () => {
      const res = await request(app).post('/v1/jobs').send({ documents: makeDocuments(4) });
      const id = res.body.id as string;
      const first = await jobs.store.write(id, [{ index: 0, line: '{"id":"doc-0","index":0,"first":true}' }]);
      const again = await jobs.store.write(id, [{ index: 0, line: '{"id":"doc-0","index":0,"second":true}' }]);
      expect([first.done, again.done]).toEqual([1, 1]);

      const detector = fakeDetector();
      const w = await startWorker(detector);
      const chunk = { id: `${id}-0`, data: { jobId: id, start: 0, end: 4, model: 'tiny' }, attemptsMade: 0, opts: { attempts: 1 } };
      // The chunk may already have been taken by the worker; either way, a second run scores nothing new.
      await until(async () => ((await request(app).get(`/v1/jobs/${id}`)).body.status === 'completed' ? true : undefined), 10_000, 50);
      const before = detector.calls.documents;
      const report = await w.processChunk(chunk);
      expect(report.written).toBe(0);
      expect(detector.calls.documents).toBe(before);
      const rows = lines((await request(app).get(`/v1/jobs/${id}/results`)).text);
      expect(rows).toHaveLength(4);
      expect(rows[0]).toEqual({ id: 'doc-0', index: 0, first: true });
      expect(detector.calls.documents).toBe(3); // documents 1..3 only: document 0 already had an outcome
    });
  });

  describe('webhooks', () => {
    let server: Server;
    const calls: Array<{ body: string; signature?: string }> = [];
    let failFirst = 1;

    beforeAll(async () => {
      server = createServer((req: IncomingMessage, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          calls.push({ body, signature: req.headers['x-ptd-signature'] as string | undefined });
          res.statusCode = failFirst-- > 0 ? 500 : 204;
          res.end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('calls the webhook when the job finishes, retrying after a failed delivery, with a signed body', async () => {
      await startWorker();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const res = await request(app).post('/v1/jobs').send({ documents: makeDocuments(5), webhook: url });
      await finished(res.body.id);
      const job = await until(async () => {
        const j = (await request(app).get(`/v1/jobs/${res.body.id}`)).body;
        return j.webhook?.state === 'delivered' ? j : undefined;
      }, 15_000, 50);
      expect(job.webhook).toEqual({ url, state: 'delivered', attempts: 2 });
      expect(calls).toHaveLength(2);
      const payload = JSON.parse(calls[1]!.body);
      expect(payload).toMatchObject({ event: 'job.finished', job: { id: res.body.id, status: 'completed', progress: { done: 5 } } });
      expect(calls[1]!.signature).toBe(signature('s3cret', calls[1]!.body));
    });

    it('refuses a webhook to a loopback or private address at submission unless PTD_WEBHOOK_ALLOW lists it; no job is created', async () => {
      const strict = await createJobsService({ redisUrl: redis.url, models: ['tiny=/nowhere/tiny'] }, {});
      try {
        const strictApp = createApp({ models: ModelRegistry.of({ tiny: fakeDetector() }), routers: [strict.router], playground: false, defaultMetrics: false });
        const before = await jobCount();
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        for (const webhook of [url, 'http://localhost:9/hook', 'http://169.254.169.254/latest', 'http://10.0.0.1/hook']) {
          const res = await request(strictApp).post('/v1/jobs').send({ documents: makeDocuments(1), webhook });
          expect([res.status, res.body.error.code], webhook).toEqual([400, 'invalid_request']);
          expect(res.body.error.message).toMatch(/^webhook: .* is a (loopback|link-local|private) address.*PTD_WEBHOOK_ALLOW/);
        }
        const form = await request(strictApp).post('/v1/jobs').field('webhook', url).attach('file', Buffer.from('{"text":"Fine."}\n'), 'docs.jsonl');
        expect(form.status).toBe(400);
        expect(await jobCount()).toBe(before);
        // the same URL is accepted where the address is allowed (the suite's service: PTD_WEBHOOK_ALLOW=127.0.0.1)
        const ok = await request(app).post('/v1/jobs').send({ documents: makeDocuments(1), webhook: url });
        expect(ok.status).toBe(202);
        await request(app).delete(`/v1/jobs/${ok.body.id}`);
      } finally {
        await strict.close();
      }
    });

    it('checks the address again when delivering: a refused one fails at once, without retries or a request', async () => {
      await startWorker();
      // Stored directly, as if the address had changed since submission: 127.0.0.2 is not in PTD_WEBHOOK_ALLOW.
      const port = (server.address() as AddressInfo).port;
      const id = crypto.randomUUID();
      const record = await jobs.store.create({ id, model: 'tiny', chunkSize: 4, documents: makeDocuments(2), webhook: `http://127.0.0.2:${port}/hook` });
      await jobs.queues.enqueueChunks(record);
      const job = await until(async () => {
        const j = (await request(app).get(`/v1/jobs/${id}`)).body;
        return j.webhook?.state === 'failed' ? j : undefined;
      }, 15_000, 50);
      expect(job.webhook).toMatchObject({ state: 'failed', attempts: 1, error: expect.stringMatching(/127\.0\.0\.2 is a loopback address/) });
      expect(calls.filter((c) => c.body.includes(id))).toEqual([]);
    });
  });

  async function jobCount(): Promise<number> {
    return (await jobs.connection.keys('ptd:job:*:meta')).length;
  }

  describe('app integration', () => {
    it('requires the API key on /v1/jobs when keys are set', async () => {
      const secured = createApp({
        models: ModelRegistry.of({ tiny: fakeDetector() }),
        routers: [jobs.router],
        apiKeys: ['k1'],
        playground: false,
        defaultMetrics: false,
      });
      expect((await request(secured).post('/v1/jobs').send({ documents: [{ text: 'a' }] })).status).toBe(401);
      expect((await request(secured).get('/v1/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(401);
      const ok = await request(secured).post('/v1/jobs').set('x-api-key', 'k1').send({ documents: [{ text: 'a' }] });
      expect(ok.status).toBe(202);
      await request(secured).delete(`/v1/jobs/${ok.body.id}`).set('x-api-key', 'k1');
    });

    it('lists the jobs paths in the OpenAPI document', async () => {
      const doc = (await request(app).get('/openapi.json')).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/jobs', '/v1/jobs/{id}', '/v1/jobs/{id}/results']));
      expect(doc.paths['/v1/jobs'].post.responses).toHaveProperty('202');
      expect(doc.paths['/v1/jobs/{id}'].delete.responses).toHaveProperty('409');
      for (const name of ['JobRequest', 'JobAccepted', 'Job', 'JobResultLine']) expect(doc.components.schemas).toHaveProperty(name);
    });

    it('answers 503 when Redis cannot be reached, and keeps answering', async () => {
      const down = await createJobsService({ redisUrl: `redis://127.0.0.1:${await freePort()}`, models: ['tiny'] }, {});
      try {
        const broken = createApp({ models: ModelRegistry.of({ tiny: fakeDetector() }), routers: [down.router], playground: false, defaultMetrics: false });
        const get = await request(broken).get('/v1/jobs/00000000-0000-4000-8000-000000000000');
        expect([get.status, get.body.error.code]).toEqual([503, 'not_ready']);
        expect(get.headers['retry-after']).toBe('5');
        const post = await request(broken).post('/v1/jobs').send({ documents: [{ text: 'a' }] });
        expect(post.status).toBe(503);
        const health = await request(broken).get('/healthz');
        expect([health.status, health.body]).toEqual([503, { status: 'degraded', models: { tiny: true }, dependencies: { redis: 'down' } }]);
      } finally {
        down.connection.disconnect();
        await down.close();
      }
    });

    it('/healthz reports Redis: 503 degraded when it stops, 200 again when it is back', async () => {
      let own = await startRedis();
      const service = await createJobsService({ redisUrl: own.url, models: ['tiny'] }, {});
      try {
        const withJobs = createApp({ models: ModelRegistry.of({ tiny: fakeDetector() }), routers: [service.router], playground: false, defaultMetrics: false });
        const health = async () => {
          const res = await request(withJobs).get('/healthz');
          return { status: res.status, body: res.body as { status: string; dependencies: Record<string, string> } };
        };
        await until(async () => ((await health()).status === 200 ? true : undefined), 10_000, 100);
        expect((await health()).body).toEqual({ status: 'ok', models: { tiny: true }, dependencies: { redis: 'up' } });
        await own.stop();
        const down = await until(async () => {
          const h = await health();
          return h.status === 503 ? h : undefined;
        }, 10_000, 100);
        expect(down.body).toEqual({ status: 'degraded', models: { tiny: true }, dependencies: { redis: 'down' } });
        own = await startRedis(own.port);
        const back = await until(async () => {
          const h = await health();
          return h.status === 200 ? h : undefined;
        }, 20_000, 100);
        expect(back.body.dependencies).toEqual({ redis: 'up' });
      } finally {
        await service.close();
        await own.stop();
      }
    });

    it('a job submitted with an API key is seen, read and cancelled with that key only', async () => {
      const secured = createApp({
        models: ModelRegistry.of({ tiny: fakeDetector() }),
        routers: [jobs.router],
        apiKeys: ['k1', 'k2'],
        playground: false,
        defaultMetrics: false,
      });
      const mine = await request(secured).post('/v1/jobs').set('x-api-key', 'k1').send({ documents: makeDocuments(2) });
      expect(mine.status).toBe(202);
      const id = mine.body.id as string;
      for (const [method, path] of [['get', `/v1/jobs/${id}`], ['get', `/v1/jobs/${id}/results`], ['delete', `/v1/jobs/${id}`]] as const) {
        const other = await request(secured)[method](path).set('x-api-key', 'k2');
        expect([other.status, other.body.error.code], `${method} ${path}`).toEqual([404, 'not_found']);
        // a keyless server on the same Redis does not see it either
        expect((await request(app)[method](path)).status, `keyless ${method} ${path}`).toBe(404);
      }
      expect((await request(secured).get(`/v1/jobs/${id}`).set('x-api-key', 'k1')).body).toMatchObject({ id, status: 'queued' });
      expect((await request(secured).delete(`/v1/jobs/${id}`).set('x-api-key', 'k1')).body).toMatchObject({ id, status: 'cancelled' });
      // the record holds an owner id, never the key
      const meta = await jobs.connection.hgetall(`ptd:job:{${id}}:meta`);
      expect(meta.owner).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.stringify(meta)).not.toContain('k1');
      // a job submitted without a key (keyless server) stays anyone's, as before
      const open = await request(app).post('/v1/jobs').send({ documents: makeDocuments(1) });
      expect((await request(secured).get(`/v1/jobs/${open.body.id}`).set('x-api-key', 'k2')).status).toBe(200);
      await request(app).delete(`/v1/jobs/${open.body.id}`);
    });

    it('refuses a cross-origin form POST to a keyless server (403) and creates no job', async () => {
      const before = await jobCount();
      const res = await request(app)
        .post('/v1/jobs')
        .set({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })
        .field('webhook', 'http://127.0.0.1:9/steal')
        .attach('file', Buffer.from('{"text":"From another site."}\n'), 'docs.jsonl');
      expect([res.status, res.body.error.code]).toEqual([403, 'cross_site_request']);
      expect(res.body.error.message).toMatch(/PTD_API_KEYS.*--cors/);
      expect(await jobCount()).toBe(before);
    });

    it('refuses a JSON-lines upload in another charset and a form field named __proto__', async () => {
      const latin = await request(app).post('/v1/jobs').set('content-type', 'application/x-ndjson; charset=iso-8859-1').send('{"text":"caf\u00e9"}');
      expect([latin.status, latin.body.error.code]).toEqual([415, 'unsupported_media_type']);
      const proto = await request(app).post('/v1/jobs').field('__proto__', 'x').attach('file', Buffer.from('{"text":"Fine."}\n'), 'docs.jsonl');
      expect([proto.status, proto.body.error.message]).toEqual([400, 'form field name "__proto__" is not allowed']);
      const query = await request(app).post('/v1/jobs?__proto__=x').set('content-type', 'application/x-ndjson').send('{"text":"Fine."}');
      expect([query.status, query.body.error.code]).toEqual([400, 'invalid_request']);
    });

    it('answers 405 for other methods', async () => {
      const res = await request(app).put('/v1/jobs');
      expect(res.status).toBe(405);
    });
  });
});
