// `ptd jobs submit|status|results|cancel`: the jobs API from the command line (parse → call → write).
// Data goes to stdout (a job id, status JSON, results lines); progress bars and messages to stderr.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import pc from 'picocolors';
import { CliError, UsageError } from '../errors.ts';
import { DEFAULT_API_URL, JobsApiError, JobsClient } from '../../api/jobs/client.ts';
import type { JobView } from '../../api/jobs/view.ts';

interface ConnectionOptions {
  url?: string;
  apiKey?: string;
}

function client(opts: ConnectionOptions): JobsClient {
  return new JobsClient(opts.url || process.env.PTD_API_URL || DEFAULT_API_URL, opts.apiKey || process.env.PTD_API_KEY || undefined);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Translates API errors into CLI errors; an upload's bad lines are listed one per line. */
function translate(err: unknown): never {
  if (!(err instanceof JobsApiError)) throw err;
  const lines = err.body.error?.lines as Array<{ line: number; message: string }> | undefined;
  if (lines?.length) {
    for (const l of lines) log(`  line ${l.line}: ${l.message}`);
    const more = Number(err.body.error?.invalidLines ?? lines.length) - lines.length;
    if (more > 0) log(`  ... and ${more} more`);
  }
  throw new CliError(err.status ? `${err.message} (HTTP ${err.status} ${err.code})` : err.message);
}

/** Waits for the job with a progress bar on stderr (drawn only on a terminal). */
async function waitWithProgress(api: JobsClient, id: string): Promise<JobView> {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `job ${id.slice(0, 8)} {status} [{bar}] {percentage}% | {value}/{total} documents | {failed} failed | {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const job = await api.wait(id, (j) => {
    const payload = { status: j.status.padEnd(9), failed: j.progress.failed };
    if (!started) {
      bar.start(j.documents, j.progress.done, payload);
      started = true;
    } else bar.update(j.progress.done, payload);
  });
  bar.stop();
  const colour = job.status === 'completed' ? pc.green : job.status === 'cancelled' ? pc.yellow : pc.red;
  const rate = job.timings.documentsPerSecond ? `, ${job.timings.documentsPerSecond} documents/s` : '';
  log(`job ${job.id} ${colour(job.status)}: ${job.progress.done}/${job.documents} documents, ${job.progress.failed} failed${rate}`);
  return job;
}

function parseThreshold(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--threshold must be a number between 0 and 1, got "${value}"`);
  return n;
}

export async function runSubmit(
  file: string,
  opts: ConnectionOptions & { model?: string; threshold?: string; webhook?: string; wait?: boolean },
): Promise<string> {
  const api = client(opts);
  const threshold = parseThreshold(opts.threshold);
  let accepted;
  try {
    accepted = await api.submitFile(file, { model: opts.model, threshold, webhook: opts.webhook });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such file: ${file}`);
    translate(err);
  }
  log(`submitted job ${accepted.id}: ${accepted.documents} documents, model ${accepted.model}`);
  process.stdout.write(`${accepted.id}\n`);
  if (opts.wait) {
    const job = await waitWithProgress(api, accepted.id).catch(translate);
    if (job.status === 'failed') throw new CliError(`job ${job.id} failed: no document could be scored`);
  }
  return accepted.id;
}

export async function runStatus(id: string, opts: ConnectionOptions & { watch?: boolean }): Promise<JobView> {
  const api = client(opts);
  const job = await (opts.watch ? waitWithProgress(api, id) : api.status(id)).catch(translate);
  process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  return job;
}

export async function runResults(id: string, opts: ConnectionOptions & { wait?: boolean }): Promise<void> {
  const api = client(opts);
  if (opts.wait !== false) await waitWithProgress(api, id).catch(translate);
  const body = await api.results(id).catch(translate);
  try {
    await pipeline(Readable.fromWeb(body as import('node:stream/web').ReadableStream), process.stdout, { end: false });
  } catch (err) {
    // The reader went away (`ptd jobs results ID | head`): not an error.
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  }
}

export async function runCancel(id: string, opts: ConnectionOptions): Promise<JobView> {
  const job = await client(opts).cancel(id).catch(translate);
  log(`job ${job.id} ${job.status}: ${job.progress.done}/${job.documents} documents had been scored`);
  process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
  return job;
}

export function register(program: Command): void {
  const jobs = program.command('jobs').description('Asynchronous batch jobs on the ptd API (workers: `ptd worker`).');
  // Every subcommand takes the connection options, before or after its arguments.
  const sub = (spec: string) =>
    jobs
      .command(spec)
      .option('--url <url>', `API address (env PTD_API_URL; default ${DEFAULT_API_URL})`)
      .option('--api-key <key>', 'API key sent as x-api-key (env PTD_API_KEY; prefer it: flags show in ps)');
  const conn = (cmd: Command): ConnectionOptions => cmd.opts() as ConnectionOptions;

  sub('submit <file>')
    .description('Upload a JSON-lines file (one {"id"?, "text"} per line); prints the job id.')
    .option('--model <name>', "model name (the server's default when left out)")
    .option('--threshold <p>', 'score threshold for the labels (0..1)')
    .option('--webhook <url>', 'URL called with POST when the job finishes')
    .option('--wait', 'wait for the job to finish, with a progress bar')
    .action(async (file: string, _opts, cmd: Command) => {
      await runSubmit(file, conn(cmd) as Parameters<typeof runSubmit>[1]);
    });
  sub('status <id>')
    .description("Print a job's status, progress, timings and errors as JSON.")
    .option('--watch', 'follow the job with a progress bar until it finishes')
    .action(async (id: string, _opts, cmd: Command) => {
      await runStatus(id, conn(cmd));
    });
  sub('results <id>')
    .description('Write the results as JSON lines (one per document, input order) to stdout; waits for the job first.')
    .option('--no-wait', 'fail at once if the job has not finished')
    .action(async (id: string, _opts, cmd: Command) => {
      await runResults(id, conn(cmd));
    });
  sub('cancel <id>')
    .description('Cancel a queued or running job.')
    .action(async (id: string, _opts, cmd: Command) => {
      await runCancel(id, conn(cmd));
    });
}
