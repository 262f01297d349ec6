// Webhook delivery: one POST of the finished job's status to the URL given at submission. Retries are
// BullMQ's (see JobQueues.enqueueWebhook); this throws on anything but a 2xx answer.
import { createHmac } from 'node:crypto';
import type { JobRecord, JobStore } from './store.ts';
import { describeJob } from './view.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function deliverWebhook(store: JobStore, record: JobRecord, url: string, secret?: string): Promise<void> {
  const job = await describeJob(store, record);
  const body = JSON.stringify({ event: 'job.finished', job });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'ptd-jobs',
    'x-ptd-event': 'job.finished',
    'x-ptd-job': record.id,
  };
  if (secret) headers['x-ptd-signature'] = signature(secret, body);
  const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
  // Drain the body so the connection is released; its content is not used.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new Error(`webhook answered HTTP ${res.status}`);
}
