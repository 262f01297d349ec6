// GET /openapi.json
import { Router } from 'express';
import { methodNotAllowed } from '../errors.ts';

export function openapiRouter(document: () => Record<string, unknown>): Router {
  const router = Router();
  let cached: Record<string, unknown> | undefined;
  router.get('/openapi.json', (_req, res) => {
    res.locals.route = '/openapi.json';
    cached ??= document();
    res.json(cached);
  });
  router.all('/openapi.json', methodNotAllowed('GET'));
  return router;
}
