// One place maps errors to HTTP (STYLE §3): handlers and middleware throw or `next(err)`, this answers
// `{ "error": { "code", "message" } }`. Never a stack trace in a response; 5xx causes go to the log.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';

export type ErrorCode =
  | 'invalid_json'
  | 'invalid_utf8'
  | 'invalid_request'
  | 'unsupported_media_type'
  | 'not_acceptable'
  | 'unauthorized'
  | 'cross_site_request'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'limit_exceeded'
  | 'unknown_model'
  | 'queue_full'
  | 'timeout'
  | 'not_ready'
  | 'shutting_down'
  | 'internal_error';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra fields for the error object, e.g. the limit that was exceeded. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; [key: string]: unknown };
}

export function errorBody(err: HttpError): ErrorBody {
  return { error: { ...err.details, code: err.code, message: err.message } };
}

/** JSON 404 for anything no route matched. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/** For a path that exists with other methods: 405 with `Allow`. */
export function methodNotAllowed(...allow: string[]): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'OPTIONS') return next();
    next(new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here; use ${allow.join(' or ')}`, { Allow: allow.join(', ') }));
  };
}

/** 413 naming the limit that was passed (`error.limit`, `error.max`); `headers` e.g. `Connection: close` mid-upload. */
export function payloadTooLarge(limit: 'maxBodyBytes' | 'maxUploadBytes', max: number, what = 'request body', headers: Record<string, string> = {}): HttpError {
  return new HttpError(413, 'payload_too_large', `${what} exceeds the limit ${limit} = ${max} bytes`, headers, { limit, max });
}

/** Translates body-parser errors (which carry `type` and `status`) and anything else into an HttpError. */
export function toHttpError(err: unknown, maxBodyBytes: number): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  switch (e?.type) {
    case 'entity.too.large':
      return payloadTooLarge('maxBodyBytes', maxBodyBytes);
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', 'request body is not valid JSON (an object is expected)');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', 'request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError(400, 'invalid_request', 'request body was incomplete');
  }
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpError(status, 'invalid_request', 'invalid request');
  }
  return new HttpError(500, 'internal_error', 'internal server error');
}

export function errorHandler(
  logger: Logger,
  maxBodyBytes: number,
  onError?: (err: HttpError) => void,
): ErrorRequestHandler {
  // Four parameters: that is how Express recognises an error handler.
  return (err, req, res, _next) => {
    const httpError = toHttpError(err, maxBodyBytes);
    onError?.(httpError);
    if (httpError.status >= 500 && httpError.code === 'internal_error') {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error');
    }
    if (res.headersSent) {
      // A streaming response already started: the client sees a cut stream; nothing else can be said.
      res.destroy();
      return;
    }
    res.set(httpError.headers);
    res.status(httpError.status).json(errorBody(httpError));
  };
}
