// GET /v1/models: what each model is, where it runs and why, its thresholds, and the request limits.
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { methodNotAllowed } from '../errors.ts';

export function modelsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/models', (_req, res) => {
    res.locals.route = '/v1/models';
    const { maxCharsPerDocument, maxDocumentsPerBatch, maxCharsPerBatch, maxBodyBytes, maxQueuedDocuments, requestTimeoutMs } =
      ctx.limits;
    res.json({
      default: ctx.registry.defaultName,
      models: [...ctx.registry.slots.values()].map((slot) => {
        const d = slot.detector;
        return {
          name: slot.name,
          source: slot.source,
          ready: d !== undefined,
          ...(slot.error ? { error: slot.error } : {}),
          ...(d
            ? {
                info: d.info,
                deviceReason: slot.deviceReason,
                thresholds: d.thresholds,
                defaultThreshold: d.defaultThreshold,
                maxTokens: d.maxTokens,
              }
            : {}),
        };
      }),
      limits: { maxCharsPerDocument, maxDocumentsPerBatch, maxCharsPerBatch, maxBodyBytes, maxQueuedDocuments, requestTimeoutMs },
    });
  });
  router.all('/models', methodNotAllowed('GET'));
  return router;
}
