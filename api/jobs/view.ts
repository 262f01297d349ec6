// What `GET /v1/jobs/:id` and the webhook say about a job: status, progress, timings, per-document errors.
import type { DocumentError, JobRecord, JobStatus, JobStore, WebhookState } from './store.ts';

export interface JobView {
  id: string;
  status: JobStatus;
  model: string;
  threshold?: number;
  documents: number;
  progress: {
    /** Documents with an outcome (scored or failed). */
    done: number;
    /** Of those, documents that could not be scored (see `errors`). */
    failed: number;
    total: number;
    /** done / total, 0..1. */
    fraction: number;
  };
  timings: {
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
    /** Milliseconds waiting for the first worker. */
    queuedMs: number | null;
    /** Milliseconds from the first chunk picked up to the end (or to now while running). */
    runningMs: number | null;
    /** Documents per second while running. */
    documentsPerSecond: number | null;
  };
  /** The first per-document errors (up to 100) by input order; `progress.failed` counts them all. */
  errors: DocumentError[];
  webhook?: { url: string; state: WebhookState; attempts: number; error?: string };
}

export async function describeJob(store: JobStore, record: JobRecord, now = Date.now()): Promise<JobView> {
  const [{ done, failed }, errors] = await Promise.all([store.progress(record.id), store.errors(record.id)]);
  const end = record.finishedAt ?? now;
  const runningMs = record.startedAt !== undefined ? Math.max(0, end - record.startedAt) : null;
  const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
  const view: JobView = {
    id: record.id,
    status: record.status,
    model: record.model,
    ...(record.threshold !== undefined ? { threshold: record.threshold } : {}),
    documents: record.total,
    progress: { done, failed, total: record.total, fraction: record.total ? done / record.total : 1 },
    timings: {
      createdAt: iso(record.createdAt)!,
      startedAt: iso(record.startedAt),
      finishedAt: iso(record.finishedAt),
      queuedMs: record.startedAt !== undefined ? Math.max(0, record.startedAt - record.createdAt) : null,
      runningMs,
      documentsPerSecond: runningMs ? Math.round((done / runningMs) * 1000 * 100) / 100 : null,
    },
    errors,
  };
  if (record.webhook) {
    view.webhook = {
      url: record.webhook,
      state: record.webhookState ?? 'pending',
      attempts: record.webhookAttempts ?? 0,
      ...(record.webhookError ? { error: record.webhookError } : {}),
    };
  }
  return view;
}
