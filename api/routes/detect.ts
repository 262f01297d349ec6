// POST /v1/detect: one document (JSON, or a file in a form: upload.ts) → the runtime's DetectionResult.
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { deadline, pickModel, untilAborted } from '../context.ts';
import { methodNotAllowed } from '../errors.ts';
import type { DetectRequest } from '../schemas.ts';
import { validateBody } from '../validate.ts';
import { documentFromForm } from './upload.ts';

export function detectRouter(ctx: AppContext): Router {
  const router = Router();
  router.post(
    '/detect',
    (_req, res, next) => {
      res.locals.route = '/v1/detect';
      next();
    },
    documentFromForm(ctx.limits, ctx.extractor),
    validateBody(ctx.schemas.detect, ctx.limits),
    async (_req, res) => {
      const body = res.locals.body as DetectRequest;
      const { name, detector } = pickModel(ctx, body.model);
      res.locals.logFields = { model: name, documents: 1, chars: body.text.length, ...(ctx.debug ? { text: body.text } : {}) };
      const options = { ...(body.threshold === undefined ? {} : { threshold: body.threshold }), evidence: body.evidence ?? true };
      const { signal, clear } = deadline(ctx, res);
      try {
        const [pending] = ctx.queue.submit(name, detector, [{ text: body.text }], options, signal);
        res.json(await untilAborted(pending!, signal));
      } finally {
        clear();
      }
    },
  );
  router.all('/detect', methodNotAllowed('POST'));
  return router;
}
