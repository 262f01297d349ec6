// `ptd serve`: the HTTP API and playground. Limits come from PTD_* environment variables (api/limits.ts),
// API keys from PTD_API_KEYS (never a flag: flags show in `ps`). Prints the playground address on stdout.
import type { Command } from 'commander';
import { CliError, UsageError } from '../errors.ts';
import type { Device, Dtype } from '../../model/types.ts';
import { resolveLimits } from '../../api/limits.ts';
import { parseApiKeys } from '../../api/middleware.ts';

const DEVICES: Device[] = ['auto', 'cpu', 'cuda'];
const DTYPES: Dtype[] = ['fp32', 'q8'];

interface ServeFlags {
  port: string;
  host: string;
  model?: string;
  device: string;
  dtype?: string;
  cors?: string;
  debug?: boolean;
  jobs?: boolean;
  worker?: boolean | string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Serve the HTTP API (/v1/detect, /v1/detect/batch, /v1/models) and the playground page')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', process.env.PTD_PORT ?? '8080')
    .option('--host <host>', 'address to bind (0.0.0.0 exposes the server to the network)', process.env.PTD_HOST ?? '127.0.0.1')
    .option(
      '-m, --model <models>',
      'comma-separated models: small, a model directory, or name=directory; the first is the default ' +
        '(default: small)',
      process.env.PTD_MODEL,
    )
    .option('-d, --device <device>', `where the model runs: ${DEVICES.join(', ')} (auto tries CUDA, then CPU)`, process.env.PTD_DEVICE ?? 'auto')
    .option('--dtype <dtype>', `weights: ${DTYPES.join(', ')} (default: fp32 on CUDA, q8 on CPU)`, process.env.PTD_DTYPE)
    .option('--cors <origins>', 'comma-separated origins allowed by CORS (* for any); off by default', process.env.PTD_CORS_ORIGINS)
    .option('--debug', 'debug logs, including document text', process.env.PTD_DEBUG === '1')
    .option('--jobs', 'serve /v1/jobs: asynchronous jobs on Redis (PTD_REDIS_URL); on whenever PTD_REDIS_URL is set')
    .option('--worker [concurrency]', 'also score job chunks in this process (an embedded `ptd worker`)')
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

export async function serve(flags: ServeFlags): Promise<void> {
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${flags.port}"`);
  if (!DEVICES.includes(flags.device as Device)) throw new UsageError(`--device must be one of ${DEVICES.join(', ')}`);
  if (flags.dtype !== undefined && !DTYPES.includes(flags.dtype as Dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
  let limits;
  try {
    limits = resolveLimits({}, process.env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  // Imported here, not at the top: every `ptd` command loads this file, and the server and runtime are heavy.
  const [{ startServer }, { bundledModels }] = await Promise.all([import('../../api/server.ts'), import('../../model/node.ts')]);
  const models = flags.model ? flags.model.split(',').map((m) => m.trim()).filter(Boolean) : defaultModels(bundledModels());

  const apiKeys = parseApiKeys(process.env.PTD_API_KEYS);
  // Imported here: BullMQ and ioredis are only needed when the server runs jobs, not by every ptd command.
  const { serveJobs } = await import('../../api/jobs/serve.ts');
  const jobs = await serveJobs({ jobs: flags.jobs, worker: flags.worker, models, apiKeys }).catch((err: Error) => {
    throw new UsageError(err.message);
  });
  const server = await startServer({
    port,
    host: flags.host,
    models,
    device: flags.device as Device,
    dtype: flags.dtype as Dtype | undefined,
    apiKeys,
    corsOrigins: flags.cors ? flags.cors.split(',').map((o) => o.trim()).filter(Boolean) : [],
    debug: flags.debug,
    limits,
    routers: jobs?.routers,
  }).catch(async (err: Error) => {
    await jobs?.close();
    throw new CliError(`cannot start the server: ${err.message}`);
  });
  process.stdout.write(`ptd serve: playground at ${server.url} (API at ${server.url}v1/, models loading: ${models.join(', ')})\n`);

  let firstSignal = 0;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      // A second signal forces the exit; one within a second is the same signal sent twice (e.g. by
      // `timeout`, which signals the child and its process group).
      if (firstSignal === 0) firstSignal = Date.now();
      else if (Date.now() - firstSignal > 1000) {
        process.stderr.write(`ptd serve: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      // The embedded jobs worker first (it scores with the server's models), Redis last.
      void (jobs?.stopWorker() ?? Promise.resolve())
        .then(() => server.close())
        .then(() => jobs?.close())
        .then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  try {
    await server.ready;
    const summary = [...server.registry.slots.values()].map((s) => `${s.name} on ${s.detector!.info.device}`).join(', ');
    process.stdout.write(`ptd serve: ready (${summary})${jobs ? `; ${jobs.describe()}` : ''}\n`);
    await jobs?.attach(server);
  } catch (err) {
    await server.close();
    await jobs?.close();
    throw new CliError((err as Error).message);
  }
  await stopped;
}

/** The bundled models whose weights are installed. */
function defaultModels(bundled: Array<{ alias: string; available: boolean }>): string[] {
  const installed = bundled.filter((m) => m.available).map((m) => m.alias);
  if (installed.length === 0) {
    throw new CliError('no bundled model is installed in model/weights/; pass --model <directory>');
  }
  return installed;
}
