// GET /healthz: 200 once every model is loaded and every dependency (Redis, when jobs are on) answers; 503 while
// loading, after a failed load, when shutting down, or with a dependency down (`"dependencies": {"redis": "down"}`).
import { Router } from 'express';
import type { AppContext } from '../context.ts';
import { methodNotAllowed } from '../errors.ts';

/** A dependency's check: resolves true when it answers (it bounds its own time). */
export type HealthCheck = () => Promise<boolean>;

export function healthRouter(ctx: AppContext, checks: Record<string, HealthCheck> = {}): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    res.locals.route = '/healthz';
    const models = Object.fromEntries([...ctx.registry.slots.values()].map((s) => [s.name, s.detector !== undefined]));
    const names = Object.keys(checks);
    const up = await Promise.all(names.map((n) => checks[n]!().catch(() => false)));
    const dependencies = Object.fromEntries(names.map((n, i) => [n, up[i] ? 'up' : 'down']));
    const status = ctx.state.shuttingDown
      ? 'shutting_down'
      : ctx.registry.failed
        ? 'failed'
        : !ctx.registry.ready
          ? 'loading'
          : up.includes(false)
            ? 'degraded'
            : 'ok';
    res.set('Cache-Control', 'no-store');
    res.status(status === 'ok' ? 200 : 503).json({ status, models, ...(names.length ? { dependencies } : {}) });
  });
  router.all('/healthz', methodNotAllowed('GET'));
  return router;
}
