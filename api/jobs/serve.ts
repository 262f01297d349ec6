// The jobs part of `ptd serve`: mounts /v1/jobs when Redis is configured (`--jobs` or PTD_REDIS_URL), and
// with `--worker [N]` runs a worker in the server process that scores with the server's own models, so a
// single machine needs nothing but Redis.
import pino, { type Logger } from 'pino';
import type { Detector } from '../../model/types.ts';
import type { ExtraRouter } from '../app.ts';
import type { RunningServer } from '../server.ts';
import { redisUrlFromEnv } from './redis.ts';
import { createJobsService, type JobsService } from './service.ts';

export interface ServeJobsOptions {
  /** `--jobs`; jobs are also on whenever PTD_REDIS_URL is set. */
  jobs?: boolean;
  /** `--worker [N]`: an embedded worker with concurrency N (true: 1). */
  worker?: boolean | string;
  models: string[];
  apiKeys: string[];
  env?: NodeJS.ProcessEnv;
}

export interface ServeJobs {
  routers: ExtraRouter[];
  /** Starts the embedded worker (if asked for) once the server's models are loaded. */
  attach(server: RunningServer): Promise<void>;
  /** Stops the embedded worker, letting it finish the chunks in hand (before the models are released). */
  stopWorker(): Promise<void>;
  /** Stops the worker if still running and closes the Redis connections. */
  close(): Promise<void>;
  describe(): string;
}

/** Parses `--worker [N]`; throws a message for the CLI on a bad N. */
export function workerConcurrency(flag: boolean | string | undefined): number {
  if (flag === undefined || flag === false) return 0;
  if (flag === true) return 1;
  const n = Number(flag);
  if (!Number.isSafeInteger(n) || n < 1 || n > 64) throw new Error(`--worker takes a concurrency from 1 to 64, got "${flag}"`);
  return n;
}

export async function serveJobs(options: ServeJobsOptions): Promise<ServeJobs | undefined> {
  const env = options.env ?? process.env;
  const concurrency = workerConcurrency(options.worker);
  if (!options.jobs && !env.PTD_REDIS_URL && concurrency === 0) return undefined;
  const logger: Logger = pino({ level: env.PTD_LOG_LEVEL ?? 'info', base: { component: 'jobs' } }, pino.destination(2));
  const redisUrl = redisUrlFromEnv(env);
  const service: JobsService = await createJobsService({ redisUrl, models: options.models, apiKeys: options.apiKeys, logger }, env);
  let stopWorker: (() => Promise<void>) | undefined;
  return {
    routers: [service.router],
    async attach(server) {
      if (concurrency === 0) return;
      await server.ready;
      const detectorFor = async (name: string): Promise<Detector> => {
        const detector = server.registry.get(name)?.detector;
        if (!detector) throw new Error(`this server has no model named "${name}"`);
        return detector;
      };
      const worker = await service.startWorker(detectorFor, { concurrency });
      stopWorker = () => worker.close();
    },
    async stopWorker() {
      await stopWorker?.();
    },
    async close() {
      await stopWorker?.();
      await service.close();
    },
    describe() {
      const where = redisUrl.replace(/\/\/[^@/]*@/, '//***@');
      return `jobs on ${where}${concurrency ? `, embedded worker (concurrency ${concurrency})` : ''}`;
    },
  };
}
