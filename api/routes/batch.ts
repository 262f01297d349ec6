// POST /v1/detect/batch: many documents → results in input order, or, with `Accept: application/x-ndjson`,
// one JSON line per document as soon as it is scored (each line carries `index` and `id`).
import { Router } from 'express';
import type { DetectionResult } from '../../model/types.ts';
import type { AppContext } from '../context.ts';
import { deadline, pickModel, untilAborted } from '../context.ts';
import { errorBody, methodNotAllowed, toHttpError } from '../errors.ts';
import type { BatchRequest } from '../schemas.ts';
import { validateBody } from '../validate.ts';

export const NDJSON = 'application/x-ndjson';

export function batchRouter(ctx: AppContext): Router {
  const router = Router();
  router.post(
    '/detect/batch',
    (_req, res, next) => {
      res.locals.route = '/v1/detect/batch';
      next();
    },
    validateBody(ctx.schemas.batch, ctx.limits),
    async (req, res) => {
      const body = res.locals.body as BatchRequest;
      const { name, detector } = pickModel(ctx, body.model);
      const docs = body.documents;
      const chars = docs.reduce((n, d) => n + d.text.length, 0);
      res.locals.logFields = {
        model: name,
        documents: docs.length,
        chars,
        ...(ctx.debug ? { texts: docs.map((d) => d.text) } : {}),
      };
      const options = { ...(body.threshold === undefined ? {} : { threshold: body.threshold }), evidence: body.evidence ?? true };
      const ids = docs.map((d, i) => d.id ?? String(i));
      const stream = req.accepts(['application/json', NDJSON]) === NDJSON;
      const { signal, clear } = deadline(ctx, res);
      try {
        // Throws 429 before anything is written when the documents do not fit in the queue.
        const pending = ctx.queue.submit(name, detector, docs.map((d) => ({ text: d.text })), options, signal);
        if (!stream) {
          const results = await untilAborted(Promise.all(pending), signal);
          res.json({ model: detector.info, documents: results.map((r, i) => withId(r, ids[i]!, i)) });
          return;
        }
        res.status(200).type(NDJSON).set('X-Accel-Buffering', 'no');
        res.flushHeaders();
        await Promise.all(
          pending.map((p, i) =>
            untilAborted(p, signal).then(
              (r) => writeLine(res, withId(r, ids[i]!, i)),
              (err) => writeLine(res, { id: ids[i]!, index: i, ...errorBody(toHttpError(err, ctx.limits.maxBodyBytes)) }),
            ),
          ),
        );
        res.end();
      } finally {
        clear();
      }
    },
  );
  router.all('/detect/batch', methodNotAllowed('POST'));
  return router;
}

function withId(result: DetectionResult, id: string, index: number) {
  return { id, index, ...result };
}

function writeLine(res: import('express').Response, value: unknown): void {
  if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(value)}\n`);
}

