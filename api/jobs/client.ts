// A small HTTP client for the jobs API, used by `ptd jobs` (and usable from scripts). Throws JobsApiError
// with the server's `{error:{code,message}}` on any non-2xx answer.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { JobView } from './view.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export class JobsApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: { error?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'JobsApiError';
  }
}

export interface SubmitOptions {
  model?: string;
  threshold?: number;
  webhook?: string;
}

export interface Accepted {
  id: string;
  status: 'queued';
  documents: number;
  model: string;
}

export class JobsClient {
  readonly base: string;

  constructor(
    url: string = DEFAULT_API_URL,
    private readonly apiKey?: string,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}), ...extra };
  }

  private async request(path: string, init: RequestInit & { duplex?: 'half' } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { ...init, headers: this.headers(init.headers as Record<string, string>) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new JobsApiError(0, 'unreachable', `cannot reach the ptd API at ${this.base} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
    }
    if (res.ok) return res;
    const text = await res.text();
    let body: { error?: { code?: string; message?: string } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // not JSON: keep the status line
    }
    throw new JobsApiError(res.status, body.error?.code ?? 'http_error', body.error?.message ?? `HTTP ${res.status}`, body);
  }

  /** Uploads a JSON-lines file as it is (streamed). */
  async submitFile(file: string, options: SubmitOptions = {}): Promise<Accepted> {
    const { size } = await stat(file);
    const query = new URLSearchParams();
    if (options.model) query.set('model', options.model);
    if (options.threshold !== undefined) query.set('threshold', String(options.threshold));
    if (options.webhook) query.set('webhook', options.webhook);
    const qs = query.size > 0 ? `?${query}` : '';
    const res = await this.request(`/v1/jobs${qs}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(size) },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream,
      duplex: 'half',
    });
    return (await res.json()) as Accepted;
  }

  async submit(documents: Array<{ id?: string; text: string }>, options: SubmitOptions = {}): Promise<Accepted> {
    const res = await this.request('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ documents, ...options }),
    });
    return (await res.json()) as Accepted;
  }

  async status(id: string): Promise<JobView> {
    return (await (await this.request(`/v1/jobs/${encodeURIComponent(id)}`)).json()) as JobView;
  }

  async cancel(id: string): Promise<JobView> {
    return (await (await this.request(`/v1/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' })).json()) as JobView;
  }

  /** The results body (JSON lines), as a byte stream. */
  async results(id: string): Promise<ReadableStream<Uint8Array>> {
    const res = await this.request(`/v1/jobs/${encodeURIComponent(id)}/results`);
    if (!res.body) throw new JobsApiError(res.status, 'empty', 'the results response has no body');
    return res.body;
  }

  /** Polls until the job has finished; `onProgress` sees every status read. */
  async wait(id: string, onProgress?: (job: JobView) => void, intervalMs = 500): Promise<JobView> {
    for (;;) {
      const job = await this.status(id);
      onProgress?.(job);
      if (job.status !== 'queued' && job.status !== 'running') return job;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
