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

/**
 * Who owns what a key creates (jobs): a digest of the key, so records never hold the key itself and any API
 * process with the same keys agrees on it.
 */
export function ownerOf(key: string): string {
  return createHash('sha256').update(`ptd-owner\0${key}`).digest('hex').slice(0, 32);
}

/**
 * Requires a matching `x-api-key` when keys are configured; compares digests in constant time. The key's owner
 * id goes to `res.locals.owner` (none on a keyless server).
 */
export function apiKeyAuth(keys: readonly string[]): RequestHandler {
  const digests = keys.map(digest);
  return (req, res, next) => {
    if (digests.length === 0 || req.method === 'OPTIONS') return next();
    const given = req.get('x-api-key');
    if (given) {
      const d = digest(given);
      let ok = false;
      for (const k of digests) ok = timingSafeEqual(k, d) || ok;
      if (ok) {
        res.locals.owner = ownerOf(given);
        return next();
      }
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

/**
 * Without API keys, any web page the user opens could use this server: a form POST (or an upload) needs no CORS
 * preflight, so the browser sends it, and the page would pick the documents, the load and the job's webhook. So a
 * keyless server answers on /v1 only its own pages (the playground), non-browser clients (curl, scripts, the CLI)
 * and the origins listed with --cors. The browser says where a request comes from in `Sec-Fetch-Site` (it cannot
 * be set by a page) and, in older browsers, only in `Origin`, compared with the `Host` the request was sent to.
 * With keys set a page cannot use the server anyway (it does not have a key), so nothing is checked.
 */
export function crossSiteGuard(corsOrigins: readonly string[], keyed: boolean): RequestHandler {
  const any = corsOrigins.includes('*');
  const allowed = new Set(corsOrigins);
  return (req, _res, next) => {
    if (keyed) return next();
    const origin = req.get('origin');
    if (origin !== undefined && (any || allowed.has(origin))) return next();
    const site = req.get('sec-fetch-site')?.toLowerCase();
    const foreign = site !== undefined ? site === 'cross-site' || site === 'same-site' : origin !== undefined && !sameHost(origin, req.get('host'));
    if (!foreign) return next();
    const from = (origin ?? `a ${site} page`).slice(0, 200);
    next(
      new HttpError(
        403,
        'cross_site_request',
        `refused a request from another site (${from}): this server has no API keys, so it answers only its own pages and ` +
          `clients that are not browsers. Set PTD_API_KEYS (and send x-api-key), or allow that page's origin with ` +
          `--cors ${origin && origin !== 'null' ? origin : '<origin>'} (PTD_CORS_ORIGINS)`,
      ),
    );
  };
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // "null" (a sandboxed page or a file) or garbage
  }
}

/**
 * Request bodies are UTF-8. A `charset` other than UTF-8 on a JSON, JSON-lines or text body is refused (415), not
 * decoded some other way (body-parser would read UTF-16) or scored as mojibake; so is a compressed body where the
 * route reads raw bytes (JSON bodies are inflated by body-parser within maxBodyBytes).
 */
export const strictCharset: RequestHandler = (req, _res, next) => {
  const type = req.get('content-type');
  if (!type) return next();
  const param = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(type);
  const charset = param?.[1]?.toLowerCase();
  // "utf8" is a common spelling of UTF-8 that body-parser would refuse: read as what it means.
  if (charset === 'utf8') req.headers['content-type'] = type.replace(param![0], '; charset=utf-8');
  else if (charset !== undefined && charset !== 'utf-8') {
    return next(new HttpError(415, 'unsupported_media_type', `charset=${charset.slice(0, 40)} is not read: send the body as UTF-8 (charset=utf-8, or no charset)`));
  }
  const encoding = req.get('content-encoding')?.toLowerCase();
  if (encoding && encoding !== 'identity' && !req.is('application/json')) {
    return next(new HttpError(415, 'unsupported_media_type', `Content-Encoding ${encoding.slice(0, 40)} is only read on JSON bodies: send the upload uncompressed`));
  }
  next();
};

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
