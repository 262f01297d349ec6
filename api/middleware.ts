// Small middleware: API keys, CORS (off unless configured), security headers, request logs and metrics.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { HttpError } from './errors.ts';
import type { Metrics } from './metrics.ts';

/** Comma-separated keys (PTD_API_KEYS) → list; blanks dropped. */
export function parseApiKeys(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

/** Requires a matching `x-api-key` when keys are configured; compares digests in constant time. */
export function apiKeyAuth(keys: readonly string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, _res, next) => {
    if (digests.length === 0 || req.method === 'OPTIONS') return next();
    const given = req.get('x-api-key');
    if (given) {
      const d = digest(given);
      let ok = false;
      for (const k of digests) ok = timingSafeEqual(k, d) || ok;
      if (ok) return next();
    }
    next(new HttpError(401, 'unauthorized', given ? 'the x-api-key header does not match a key' : 'send an API key in the x-api-key header'));
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** CORS for the listed origins only (`*` allows any); no headers at all when the list is empty. */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origins.length === 0 || !origin || !(any || allowed.has(origin))) return next();
    res.set('Access-Control-Allow-Origin', any ? '*' : origin);
    res.vary('Origin');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.set('Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS');
      res.set('Access-Control-Allow-Headers', 'content-type, x-api-key, accept');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'no-referrer');
  res.set('Cross-Origin-Resource-Policy', 'same-origin');
  next();
};

/**
 * One log line per request (pino, JSON) and the HTTP metrics. Document text is never logged here;
 * routes add `res.locals.logFields` (document count, characters) and, in debug mode only, the text.
 */
export function requestLog(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const id = randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    metrics.inflight.inc();
    let done = false;
    const finish = (aborted: boolean) => {
      if (done) return;
      done = true;
      metrics.inflight.dec();
      const seconds = (performance.now() - started) / 1000;
      // The matched route pattern keeps label cardinality bounded; unmatched paths share one label.
      const route = res.locals.route ?? (req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched');
      metrics.requests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.latency.observe({ method: req.method, route }, seconds);
      logger.info(
        {
          reqId: id,
          method: req.method,
          route,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
          aborted: aborted || undefined,
          ...(res.locals.logFields ?? {}),
        },
        'request',
      );
    };
    res.on('finish', () => finish(false));
    res.on('close', () => finish(!res.writableFinished));
    next();
  };
}
