// Starts the API: listens at once (GET /healthz answers 503 `loading` until the models are in), loads the
// models on the device asked for (`auto`: CUDA, then CPU), and shuts down gracefully: stop accepting,
// finish the requests in flight, release the models. `ptd serve` (cli/commands/serve.ts) drives this.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import type { Device, Dtype } from '../model/types.ts';
import { createApp, type ExtraRouter, type PtdApp } from './app.ts';
import type { Limits } from './limits.ts';
import { type Loader, ModelRegistry, parseModelSpec } from './models.ts';
import { playgroundAssets } from './playground/bundle.ts';

export interface ServerOptions {
  port?: number;
  host?: string;
  /** Model specs: `base`, `small`, a directory, or `name=directory`. The first is the default. */
  models: string[];
  device?: Device;
  dtype?: Dtype;
  apiKeys?: string[];
  corsOrigins?: string[];
  debug?: boolean;
  limits?: Partial<Limits>;
  logger?: Logger;
  /**
   * Loads one model; by default model/worker's loadWorkerDetector, which runs each model in its own worker
   * thread (onnxruntime-node infers on the calling thread, so in-process models would stall every other
   * request, /healthz included, for as long as a batch takes). Tests give fakes.
   */
  loader?: Loader;
  routers?: ExtraRouter[];
  /** How long shutdown waits for requests in flight before cutting connections. */
  shutdownTimeoutMs?: number;
  /** Open connections at most (each may carry a body of up to maxBodyBytes); more are refused. */
  maxConnections?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  app: PtdApp;
  server: Server;
  registry: ModelRegistry;
  /** Resolves when every model is loaded; rejects when one fails. */
  ready: Promise<void>;
  /** Graceful shutdown; safe to call more than once. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: options.debug ? 'debug' : 'info' }, pino.destination(2));
  const registry = new ModelRegistry(options.models.map(parseModelSpec));
  const state = { shuttingDown: false };
  const app = createApp({
    models: registry,
    limits: options.limits,
    logger,
    apiKeys: options.apiKeys,
    corsOrigins: options.corsOrigins,
    debug: options.debug,
    routers: options.routers,
    state,
  });
  // Build the playground script now so the first page view does not wait for esbuild; start the upload reader's
  // worker thread so the first upload does not wait for it.
  void playgroundAssets().catch((err) => logger.error({ err }, 'playground bundle failed'));
  void app.locals.ptd.extractor().warm().catch((err) => logger.error({ err }, 'the upload reader did not start'));

  const host = options.host ?? '127.0.0.1';
  const server = app.listen(options.port ?? 8080, host);
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err;
    }),
  ]);
  const { port } = server.address() as AddressInfo;
  // Slow or stalled clients must not hold a connection for ever.
  server.requestTimeout = (app.locals.ptd.limits.requestTimeoutMs ?? 60_000) + 5_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = options.maxConnections ?? 1024;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  logger.info({ url, models: registry.names, default: registry.defaultName }, 'listening; loading models');

  const device = options.device ?? 'auto';
  const loader = options.loader ?? (await import('../model/worker/client.ts')).loadWorkerDetector;
  const ready = registry.load(loader, { device, dtype: options.dtype }).then(() => {
    for (const slot of registry.slots.values()) {
      const info = slot.detector!.info;
      logger.info(
        { model: slot.name, id: info.name, version: info.version, device: info.device, dtype: info.dtype, why: slot.deviceReason },
        `model ${slot.name} ready on ${info.device}`,
      );
    }
  });
  ready.catch((err) => logger.error({ err: { message: (err as Error).message } }, 'model loading failed'));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      state.shuttingDown = true;
      logger.info('shutting down: no new connections, finishing requests in flight');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => {
        logger.warn('shutdown timeout: closing the remaining connections');
        server.closeAllConnections();
      }, options.shutdownTimeoutMs ?? 30_000);
      force.unref();
      await closed;
      clearTimeout(force);
      await app.locals.ptd.queue.idle();
      await ready.catch(() => undefined);
      await registry.dispose();
      logger.info('stopped');
    })();
    return closing;
  };

  return { url, port, host, app, server, registry, ready, close };
}
