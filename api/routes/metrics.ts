// GET /metrics: Prometheus text format.
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { methodNotAllowed } from '../errors.ts';

export function metricsRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.locals.route = '/metrics';
    const text = await ctx.metrics.registry.metrics();
    res.type(ctx.metrics.registry.contentType).send(text);
  });
  router.all('/metrics', methodNotAllowed('GET'));
  return router;
}
