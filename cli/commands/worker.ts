// `ptd worker`: takes chunks of jobs from Redis (PTD_REDIS_URL) and scores them. Start any number, on any
// hosts; each loads its models once, on the device asked for (`auto`: CUDA, then CPU), and stops
// gracefully on SIGTERM/SIGINT (finishes the chunks in hand; a second signal exits at once).
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { Detector, Device, Dtype } from '../../model/types.ts';
import type { Loader } from '../../api/models.ts';

export interface WorkerCommandOptions {
  models: string[];
  concurrency: number;
  device: Device;
  dtype?: Dtype;
  redisUrl: string;
  /**
   * Loads one model; by default in its own worker thread (model/worker), so that a long batch cannot hold up
   * the timers that renew this worker's chunk locks. Tests give fakes.
   */
  loader?: Loader;
}

const DEVICES: Device[] = ['auto', 'cpu', 'cuda', 'wasm', 'webgpu'];

/** Runs a worker until SIGTERM/SIGINT; resolves once it has stopped. */
export async function runWorker(options: WorkerCommandOptions): Promise<void> {
  // Imported here, not at the top: `ptd --help` and the other commands need none of this.
  const [{ default: pino }, { retryFromEnv }, { connect }, { JobWorker, locksFromEnv, memoizeDetectors }, { loadOnDevice, parseModelSpec }, { parseWebhookAllow }] =
    await Promise.all([
      import('pino'),
      import('../../api/jobs/queue.ts'),
      import('../../api/jobs/redis.ts'),
      import('../../api/jobs/worker.ts'),
      import('../../api/models.ts'),
      import('../../api/jobs/targets.ts'),
    ]);
  let webhookPolicy;
  try {
    webhookPolicy = parseWebhookAllow(process.env.PTD_WEBHOOK_ALLOW);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const logger = pino({ level: process.env.PTD_LOG_LEVEL ?? 'info' }, pino.destination(2));
  const loader = options.loader ?? (await import('../../model/worker/client.ts')).loadWorkerDetector;
  const specs = options.models.map(parseModelSpec);
  const sources = new Map(specs.map((s) => [s.name, s.source]));
  const load = async (name: string): Promise<Detector> => {
    // Jobs name their model as the API knows it; this worker maps the name to its own files. The bundled
    // models need no mapping.
    const source = sources.get(name) ?? (/^(?:ptd-)?small$/.test(name) ? name : undefined);
    if (!source) throw new Error(`this worker has no model named "${name}" (start it with --model ${name}=DIR)`);
    const { detector, reason } = await loadOnDevice(loader, source, options.device, options.dtype);
    const info = detector.info;
    logger.info({ model: name, id: info.name, version: info.version, device: info.device, dtype: info.dtype, why: reason }, `model ${name} ready on ${info.device}`);
    return detector;
  };
  const detectors = memoizeDetectors(load);
  // Load the worker's models before taking chunks: a bad --model fails here, not on the first chunk.
  for (const s of specs) await detectors(s.name);

  const connection = connect(options.redisUrl); // its error listener is the worker's (JobWorker watches it)
  const worker = new JobWorker({
    connection,
    detectorFor: detectors,
    logger,
    concurrency: options.concurrency,
    locks: locksFromEnv(),
    retry: retryFromEnv(),
    webhookSecret: process.env.PTD_WEBHOOK_SECRET || undefined,
    webhookPolicy,
  });
  await worker.ready();
  logger.info(
    { redis: redactUrl(options.redisUrl), concurrency: options.concurrency, models: [...sources.keys()] },
    `worker ready: taking chunks with concurrency ${options.concurrency}`,
  );

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now (chunks in hand will be retried by other workers)');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'stopping: finishing the chunks in hand');
      void worker
        .close()
        .then(() => detectors.dispose())
        .then(() => connection.quit())
        .catch((err) => logger.error({ err }, 'error while stopping'))
        .finally(() => {
          logger.info({ documents: worker.documentsScored }, 'worker stopped');
          resolve();
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('Score queued job chunks from Redis (PTD_REDIS_URL); run any number, on any hosts.')
    .option('--model <spec...>', 'models to load: small, a directory, or name=directory (the API\'s model names)', ['small'])
    .option('--concurrency <n>', 'chunks scored at once by this process', '1')
    .option('--device <device>', `where the model runs: ${DEVICES.join(', ')}`, 'auto')
    .option('--dtype <dtype>', 'fp32 or q8 (default: q8 on CPU, fp32 on CUDA)')
    .option('--redis <url>', 'Redis URL (default: PTD_REDIS_URL, else redis://127.0.0.1:6379)')
    .action(async (opts: { model: string[]; concurrency: string; device: string; dtype?: string; redis?: string }) => {
      const concurrency = Number(opts.concurrency);
      if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) {
        throw new UsageError(`--concurrency must be an integer from 1 to 64, got "${opts.concurrency}"`);
      }
      if (!DEVICES.includes(opts.device as Device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}`);
      if (opts.dtype !== undefined && opts.dtype !== 'fp32' && opts.dtype !== 'q8') throw new UsageError('--dtype must be fp32 or q8');
      await runWorker({
        models: opts.model,
        concurrency,
        device: opts.device as Device,
        dtype: opts.dtype as Dtype | undefined,
        redisUrl: opts.redis ?? (process.env.PTD_REDIS_URL?.trim() || 'redis://127.0.0.1:6379'),
      });
    });
}
