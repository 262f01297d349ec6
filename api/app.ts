// The Express app, built from injected dependencies and never listening (STYLE §3): tests use it with
// supertest or on a loopback port; api/server.ts listens. Extra routers (the jobs API) mount under /v1
// behind the same API-key check and add their paths to the OpenAPI document.
import { isUtf8 } from 'node:buffer';
import express, { type Express, type Router } from 'express';
import pino, { type Logger } from 'pino';
import type { AppContext, ServerState } from './context.ts';
import { HttpError, errorHandler, notFound } from './errors.ts';
import { sharedExtractor, type TextExtractor } from './extract/client.ts';
import { type Limits, resolveLimits } from './limits.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { apiKeyAuth, cors, crossSiteGuard, requestLog, securityHeaders, strictCharset } from './middleware.ts';
import type { ModelRegistry } from './models.ts';
import { buildOpenApi, type OpenApiFragment } from './openapi.ts';
import { ModelQueue } from './model-queue.ts';
import { batchRouter } from './routes/batch.ts';
import { detectRouter } from './routes/detect.ts';
import { type HealthCheck, healthRouter } from './routes/health.ts';
import { metricsRouter } from './routes/metrics.ts';
import { modelsRouter } from './routes/models.ts';
import { openapiRouter } from './routes/openapi.ts';
import { playgroundRouter } from './routes/playground.ts';
import { requestSchemas } from './schemas.ts';

export interface ExtraRouter {
  /** Mount path under /v1, e.g. `/jobs`. */
  path: string;
  router: Router;
  /** Its paths (full, e.g. `/v1/jobs/{id}`) and schemas for /openapi.json. */
  openapi?: OpenApiFragment;
  /** Dependencies /healthz reports (e.g. `redis`): each resolves true when it answers. */
  health?: Record<string, HealthCheck>;
}

export interface AppDeps {
  /** The models, loaded or still loading (/healthz says which). */
  models: ModelRegistry;
  limits?: Partial<Limits>;
  logger?: Logger;
  /** Keys accepted in `x-api-key` on /v1; no check when empty or absent. */
  apiKeys?: string[];
  /** Origins allowed by CORS (`*` for any); CORS headers are never sent when empty or absent. */
  corsOrigins?: string[];
  /** Log document text (off by default). */
  debug?: boolean;
  routers?: ExtraRouter[];
  /** Serve the playground at GET / (default true). */
  playground?: boolean;
  /** Shared with the server for graceful shutdown; created when absent. */
  state?: ServerState;
  /** Include Node process metrics in /metrics (default true). */
  defaultMetrics?: boolean;
  /** Reads uploaded files in a worker thread; the process's shared one when absent. */
  extractor?: TextExtractor;
}

export interface PtdApp extends Express {
  locals: Express['locals'] & { ptd: AppContext };
}

export function createApp(deps: AppDeps): PtdApp {
  const limits = resolveLimits(deps.limits ?? {});
  const logger = deps.logger ?? pino({ level: 'silent' });
  const state = deps.state ?? { shuttingDown: false };
  let queue: ModelQueue | undefined;
  const metrics: Metrics = createMetrics(() => queue?.depth ?? 0, { defaultMetrics: deps.defaultMetrics });
  queue = new ModelQueue({
    maxQueued: limits.maxQueuedDocuments,
    maxBatchSize: limits.maxBatchSize,
    onBatch: (e) => metrics.observeBatch(e),
  });
  const ctx: AppContext = {
    registry: deps.models,
    queue,
    limits,
    metrics,
    logger,
    state,
    debug: deps.debug ?? false,
    schemas: requestSchemas(limits, deps.models.names),
    extractor: () => deps.extractor ?? sharedExtractor(),
  };
  const apiKeys = deps.apiKeys ?? [];
  const extras = deps.routers ?? [];

  const app = express() as unknown as PtdApp;
  app.locals.ptd = ctx;
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestLog(logger, metrics));
  app.use((_req, res, next) => {
    // While shutting down, no connection is kept alive past its current request, including requests
    // that were already running when shutdown began: decided when the headers go out.
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof writeHead>) {
      if (state.shuttingDown) this.setHeader('Connection', 'close');
      return writeHead.apply(this, args);
    } as typeof writeHead;
    next();
  });
  app.use(securityHeaders);
  app.use(cors(deps.corsOrigins ?? []));
  // Before any body is read: a request another site's page sent to a keyless server is refused as it arrives.
  app.use('/v1', crossSiteGuard(deps.corsOrigins ?? [], apiKeys.length > 0));
  app.use(strictCharset);
  app.use(
    express.json({
      limit: limits.maxBodyBytes,
      strict: true,
      // Invalid UTF-8 would otherwise be decoded to U+FFFD and scored as if it were text.
      verify: (_req, _res, buf) => {
        if (!isUtf8(buf)) throw new HttpError(400, 'invalid_utf8', 'request body is not valid UTF-8');
      },
    }),
  );

  app.use(healthRouter(ctx, Object.assign({}, ...extras.map((r) => r.health ?? {})) as Record<string, HealthCheck>));
  app.use(metricsRouter(ctx));
  app.use(openapiRouter(() => buildOpenApi(ctx, extras.flatMap((r) => (r.openapi ? [r.openapi] : [])), apiKeys.length > 0)));
  if (deps.playground !== false) app.use(playgroundRouter());

  const v1 = express.Router();
  v1.use(apiKeyAuth(apiKeys));
  v1.use(detectRouter(ctx));
  v1.use(batchRouter(ctx));
  v1.use(modelsRouter(ctx));
  for (const extra of extras) v1.use(extra.path, extra.router);
  app.use('/v1', v1);

  app.use(notFound);
  app.use(
    errorHandler(logger, limits.maxBodyBytes, (e) => {
      if (e.status === 429 || e.status === 413 || e.status === 422 || e.status === 401 || e.status === 403) metrics.rejected.inc({ reason: e.code });
    }),
  );
  return app;
}
