// /v1/jobs: submit (JSON, a JSON-lines upload, or a form with a JSON-lines file) → 202, status, results (JSON lines in input order,
// streamed), cancel. Mounted by createApp under /v1 behind the same API-key check as every /v1 route.
import { randomUUID } from 'node:crypto';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { HttpError, methodNotAllowed, payloadTooLarge, type ErrorCode } from '../errors.ts';
import type { JobQueues } from './queue.ts';
import { isConnectionError } from './redis.ts';
import { readFormUpload } from '../multipart.ts';
import { FINAL_STATUSES, type JobDocument, type JobStore } from './store.ts';
import { JSONL_TYPES, isTextTooLong, parseJsonLines, type JobLimits, type SubmissionSchemas } from './submission.ts';
import { checkWebhook, WebhookRefused, type WebhookPolicy } from './targets.ts';
import { describeJob } from './view.ts';

export interface JobsRouterDeps {
  store: JobStore;
  queues: JobQueues;
  schemas: SubmissionSchemas;
  limits: JobLimits;
  defaultModel: string;
  /** Documents per chunk: the unit a worker takes, retries and writes at once. */
  chunkSize: number;
  logger: Logger;
  /** Where webhooks may point (targets.ts). */
  webhookPolicy: WebhookPolicy;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const NDJSON = 'application/x-ndjson';

// The app's ErrorCode union has no 409 codes yet; these are the codes the jobs API answers with.
const JOB_NOT_FINISHED = 'job_not_finished' as ErrorCode;
const JOB_FINISHED = 'job_finished' as ErrorCode;

export function jobsRouter(deps: JobsRouterDeps): Router {
  const { store, queues, schemas, limits } = deps;
  const router = Router();
  const route = (path: string): RequestHandler => (_req, res, next) => {
    res.locals.route = `/v1/jobs${path}`;
    next();
  };
  // A job submitted with a key is that key's only: to any other key (or a keyless server sharing the Redis) it is
  // answered as if it did not exist, so ids cannot be probed. Jobs submitted without a key are anyone's, as before.
  const jobOr404 = async (id: string, res: Response) => {
    const record = ID.test(id) ? await store.get(id) : null;
    if (!record || (record.owner !== undefined && record.owner !== (res.locals.owner as string | undefined))) {
      throw new HttpError(404, 'not_found', 'no such job (unknown id, expired, or submitted with another API key)');
    }
    return record;
  };

  router.post('/', route(''), async (req, res) => {
    let options: { model?: string; threshold?: number; webhook?: string };
    let documents: JobDocument[];
    if (req.is(JSONL_TYPES)) {
      options = parseOrThrow(schemas.query, req.query, limits);
      const upload = parseJsonLines(await readBody(req, limits.maxUploadBytes), schemas.line, limits);
      if (!upload.ok) throw uploadError(upload, limits);
      documents = upload.documents;
    } else if (req.is('multipart/form-data')) {
      const form = await readFormUpload(req, 'maxUploadBytes', limits.maxUploadBytes);
      options = parseOrThrow(schemas.query, { ...req.query, ...form.fields }, limits);
      const upload = parseJsonLines(form.file, schemas.line, limits);
      if (!upload.ok) throw uploadError(upload, limits);
      documents = upload.documents;
    } else if (req.is('application/json')) {
      const body = parseOrThrow(schemas.body, req.body, limits);
      documents = body.documents.map((d, i) => ({ id: d.id ?? String(i), text: d.text }));
      options = body;
    } else {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `send JSON (Content-Type: application/json), JSON lines (Content-Type: ${JSONL_TYPES[0]}) or a form with a JSON-lines file field "file" (multipart/form-data)`,
      );
    }
    if (options.webhook) {
      try {
        await checkWebhook(options.webhook, deps.webhookPolicy);
      } catch (err) {
        if (err instanceof WebhookRefused) throw new HttpError(400, 'invalid_request', `webhook: ${err.message}`);
        throw err;
      }
    }
    const id = randomUUID();
    const record = await store.create({
      id,
      ...(res.locals.owner ? { owner: res.locals.owner as string } : {}),
      model: options.model ?? deps.defaultModel,
      ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
      ...(options.webhook ? { webhook: options.webhook } : {}),
      chunkSize: deps.chunkSize,
      documents,
    });
    try {
      await queues.enqueueChunks(record);
    } catch (err) {
      await store.cancel(id).catch(() => undefined);
      throw err;
    }
    res.locals.logFields = { job: id, documents: record.total, model: record.model };
    res
      .status(202)
      .location(`/v1/jobs/${id}`)
      .json({ id, status: 'queued', documents: record.total, model: record.model });
  });
  router.all('/', methodNotAllowed('POST'));

  router.get('/:id', route('/:id'), async (req, res) => {
    const record = await jobOr404(req.params.id as string, res);
    res.json(await describeJob(store, record));
  });

  router.delete('/:id', route('/:id'), async (req, res) => {
    const record = await jobOr404(req.params.id as string, res);
    if (FINAL_STATUSES.has(record.status) && record.status !== 'cancelled') {
      throw new HttpError(409, JOB_FINISHED, `the job is already ${record.status}`);
    }
    const status = await store.cancel(record.id);
    if (record.status !== 'cancelled' && status === 'cancelled') {
      await queues.removeChunks(record.id, record.chunks);
      if (record.webhook) await queues.enqueueWebhook(record.id, record.webhook);
      deps.logger.info({ job: record.id }, 'job cancelled');
    }
    const after = await store.get(record.id);
    if (after && after.status !== 'cancelled') throw new HttpError(409, JOB_FINISHED, `the job is already ${after.status}`);
    res.json(await describeJob(store, after ?? record));
  });
  router.all('/:id', methodNotAllowed('GET', 'DELETE'));

  router.get('/:id/results', route('/:id/results'), async (req, res) => {
    const record = await jobOr404(req.params.id as string, res);
    if (!FINAL_STATUSES.has(record.status)) {
      throw new HttpError(409, JOB_NOT_FINISHED, `the job is ${record.status}; results are served once it has finished`, {}, {
        status: record.status,
      });
    }
    res.status(200).type(NDJSON).set('X-Accel-Buffering', 'no');
    for await (const line of store.results(record)) {
      if (res.destroyed) return;
      if (!res.write(`${line}\n`)) await drain(res);
    }
    res.end();
  });
  router.all('/:id/results', methodNotAllowed('GET'));

  // Redis unreachable: 503 with a reason, not a 500 (the queue and job records live there).
  router.use(((err, _req, _res, next) => {
    if (!(err instanceof HttpError) && isConnectionError(err)) {
      deps.logger.warn({ err: (err as Error).message }, 'jobs request failed: redis unavailable');
      return next(new HttpError(503, 'not_ready', 'the job queue (Redis) is unavailable; retry later', { 'Retry-After': '5' }));
    }
    next(err);
  }) as ErrorRequestHandler);
  return router;
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, limits: JobLimits): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const long = issues.find(isTextTooLong);
  if (long) {
    throw new HttpError(422, 'limit_exceeded', `${long.path.join('.')}: longer than maxCharsPerDocument = ${limits.maxCharsPerDocument} characters`, {}, {
      limit: 'maxCharsPerDocument',
      max: limits.maxCharsPerDocument,
    });
  }
  const big = issues.find((i) => i.code === 'too_big');
  if (big && big.path.length === 1 && big.path[0] === 'documents') {
    throw new HttpError(422, 'limit_exceeded', `more than maxDocumentsPerJob = ${limits.maxDocumentsPerJob} documents`, {}, {
      limit: 'maxDocumentsPerJob',
      max: limits.maxDocumentsPerJob,
    });
  }
  const describe = (i: z.core.$ZodIssue) => `${(i.path.length ? i.path.map(String).join('.') : 'body').slice(0, 100)}: ${i.message.slice(0, 200)}`;
  throw new HttpError(400, 'invalid_request', issues.slice(0, 5).map(describe).join('; '));
}

function uploadError(upload: Exclude<ReturnType<typeof parseJsonLines>, { ok: true }>, limits: JobLimits): HttpError {
  switch (upload.kind) {
    case 'lines':
      return new HttpError(
        400,
        'invalid_request',
        `${upload.invalidLines} invalid line(s) in the upload; first: line ${upload.errors[0]!.line}: ${upload.errors[0]!.message}`,
        {},
        { invalidLines: upload.invalidLines, lines: upload.errors },
      );
    case 'empty':
      return new HttpError(400, 'invalid_request', 'the upload holds no documents (one JSON object with "text" per line)');
    case 'too_many':
      return new HttpError(422, 'limit_exceeded', `more than maxDocumentsPerJob = ${limits.maxDocumentsPerJob} documents`, {}, {
        limit: 'maxDocumentsPerJob',
        max: limits.maxDocumentsPerJob,
      });
  }
}

/** Reads a raw request body up to `max` bytes; 413 beyond. */
async function readBody(req: Request, max: number): Promise<Buffer> {
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.unpipe();
      throw tooLarge(max);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

const tooLarge = (max: number): HttpError => payloadTooLarge('maxUploadBytes', max, 'upload', { Connection: 'close' });

function drain(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
