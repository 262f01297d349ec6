// What every router of the app shares, and the helpers that pick a model and bound a request in time.
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { Detector } from '../model/types.ts';
import { HttpError } from './errors.ts';
import type { TextExtractor } from './extract/client.ts';
import type { Limits } from './limits.ts';
import type { Metrics } from './metrics.ts';
import type { ModelRegistry } from './models.ts';
import type { ModelQueue } from './model-queue.ts';
import { requestSchemas } from './schemas.ts';

export interface ServerState {
  /** Set by graceful shutdown: new scoring requests get 503 and /healthz says `shutting_down`. */
  shuttingDown: boolean;
}

export interface AppContext {
  registry: ModelRegistry;
  queue: ModelQueue;
  limits: Limits;
  metrics: Metrics;
  logger: Logger;
  state: ServerState;
  /** Log document text (never on unless asked for). */
  debug: boolean;
  schemas: ReturnType<typeof requestSchemas>;
  /** Reads uploaded files off the main thread (api/extract); started on first use. */
  extractor: () => TextExtractor;
}

export function pickModel(ctx: AppContext, requested: string | undefined): { name: string; detector: Detector } {
  if (ctx.state.shuttingDown) throw new HttpError(503, 'shutting_down', 'the server is shutting down', { 'Retry-After': '5' });
  const name = requested ?? ctx.registry.defaultName;
  const slot = ctx.registry.get(name);
  if (!slot) throw new HttpError(400, 'unknown_model', `no model named "${name.slice(0, 100)}"; see GET /v1/models`);
  if (!slot.detector) {
    if (slot.error) throw new HttpError(503, 'not_ready', `model "${name}" failed to load`);
    throw new HttpError(503, 'not_ready', `model "${name}" is still loading`, { 'Retry-After': '5' });
  }
  return { name, detector: slot.detector };
}

/**
 * An AbortSignal that fires after the request timeout (reason: 503 `timeout`) or when the client goes
 * away; `clear()` when the answer is sent.
 */
export function deadline(ctx: AppContext, res: Response): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const ms = ctx.limits.requestTimeoutMs;
  const timer = setTimeout(() => {
    ctx.metrics.rejected.inc({ reason: 'timeout' });
    controller.abort(new HttpError(503, 'timeout', `the request took longer than requestTimeoutMs = ${ms} ms`, {}, { limit: 'requestTimeoutMs', max: ms }));
  }, ms);
  const onClose = () => {
    if (!res.writableFinished) controller.abort(new HttpError(499, 'invalid_request', 'the client closed the connection'));
  };
  res.on('close', onClose);
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      res.off('close', onClose);
    },
  };
}

/** Waits for `promise` unless `signal` fires first (a model call in progress cannot be interrupted). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
