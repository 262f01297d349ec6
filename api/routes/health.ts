// GET /healthz: 200 once every model is loaded; 503 while loading, after a failed load, or when shutting down.
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { methodNotAllowed } from '../errors.ts';

export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.locals.route = '/healthz';
    const models = Object.fromEntries([...ctx.registry.slots.values()].map((s) => [s.name, s.detector !== undefined]));
    const status = ctx.state.shuttingDown
      ? 'shutting_down'
      : ctx.registry.failed
        ? 'failed'
        : ctx.registry.ready
          ? 'ok'
          : 'loading';
    res.set('Cache-Control', 'no-store');
    res.status(status === 'ok' ? 200 : 503).json({ status, models });
  });
  router.all('/healthz', methodNotAllowed('GET'));
  return router;
}
