// Webhook delivery: one POST of the finished job's status to the URL given at submission. Retries are
// BullMQ's (see JobQueues.enqueueWebhook); this throws on anything but a 2xx answer. Only the addresses the
// webhook policy allows are connected to (targets.ts): checked on the address actually resolved when connecting.
import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { JobRecord, JobStore } from './store.ts';
import { checkLiteral, guardedLookup, type WebhookPolicy } from './targets.ts';
import { describeJob } from './view.ts';

export const WEBHOOK_TIMEOUT_MS = 10_000;

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function deliverWebhook(store: JobStore, record: JobRecord, url: string, policy: WebhookPolicy, secret?: string): Promise<void> {
  const job = await describeJob(store, record);
  const body = JSON.stringify({ event: 'job.finished', job });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': 'ptd-jobs',
    'x-ptd-event': 'job.finished',
    'x-ptd-job': record.id,
  };
  if (secret) headers['x-ptd-signature'] = signature(secret, body);
  checkLiteral(url, policy);
  const status = await post(url, headers, body, policy);
  // Redirects are not followed (a redirect could point anywhere): a 3xx is a failed delivery like a 4xx.
  if (status < 200 || status >= 300) throw new Error(`webhook answered HTTP ${status}`);
}

function post(url: string, headers: Record<string, string>, body: string, policy: WebhookPolicy): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const options = { method: 'POST', headers, lookup: guardedLookup(policy) as never, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) };
    const req = send(target, options, (res: IncomingMessage) => {
      // Drain the body so the connection is released; its content is not used.
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
