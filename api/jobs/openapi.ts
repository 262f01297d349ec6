// The jobs API's part of /openapi.json, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import { jsonSchema, type OpenApiFragment } from '../openapi.ts';
import { batchResultSchema, errorSchema } from '../schemas.ts';
import type { SubmissionSchemas } from './submission.ts';
import { JSONL_TYPES } from './submission.ts';

const status = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);

export const jobAcceptedSchema = z.object({
  id: z.string(),
  status: z.literal('queued'),
  documents: z.number().int(),
  model: z.string(),
});

const documentErrorSchema = z.object({ index: z.number().int(), id: z.string(), code: z.string(), message: z.string() });

export const jobViewSchema = z.object({
  id: z.string(),
  status: status.describe('`failed` only when no document could be scored; per-document failures are in `errors`.'),
  model: z.string(),
  threshold: z.number().optional(),
  documents: z.number().int(),
  progress: z.object({ done: z.number().int(), failed: z.number().int(), total: z.number().int(), fraction: z.number() }),
  timings: z.object({
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    queuedMs: z.number().nullable(),
    runningMs: z.number().nullable(),
    documentsPerSecond: z.number().nullable(),
  }),
  errors: z.array(documentErrorSchema).describe('The first 100 per-document errors, by input order.'),
  webhook: z
    .object({ url: z.string(), state: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(), error: z.string().optional() })
    .optional(),
});

export const jobResultLineSchema = z.union([
  batchResultSchema,
  z.object({ id: z.string(), index: z.number().int(), error: z.object({ code: z.string(), message: z.string() }) }),
]);

export function jobsOpenApi(schemas: SubmissionSchemas, auth: boolean): OpenApiFragment {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
  const err = (description: string) => ({ description, content: json('Error') });
  const authErr = auth
    ? { '401': err('Missing or wrong x-api-key (`unauthorized`).') }
    : { '403': err("Sent by another site's page to this server, which has no API keys (`cross_site_request`); see --cors.") };
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const notFound = { '404': err('No such job, it expired, or it belongs to another API key (`not_found`).') };
  const uploadLines = { type: 'string', description: 'One JSON object `{"id"?, "text", ...}` per line; other fields are ignored.' };
  return {
    paths: {
      '/v1/jobs': {
        post: {
          operationId: 'submitJob',
          summary: 'Submit documents for asynchronous scoring by the workers',
          description:
            'Send `{documents, model?, threshold?, webhook?}` as JSON, or upload a JSON-lines file (one `{"id"?, "text"}` per line) with ' +
            '`Content-Type: application/x-ndjson` and the options in the query string, or send a form (`multipart/form-data`, ' +
            '`curl -F file=@docs.jsonl -F threshold=0.8`) whose file field `file` holds the JSON lines. Bad lines are reported by line number.',
          parameters: [
            { name: 'model', in: 'query', required: false, schema: { type: 'string' }, description: 'Uploads only (a form may send it as a field instead).' },
            { name: 'threshold', in: 'query', required: false, schema: { type: 'number', minimum: 0, maximum: 1 }, description: 'Uploads only.' },
            { name: 'webhook', in: 'query', required: false, schema: { type: 'string', format: 'uri' }, description: 'Uploads only.' },
          ],
          requestBody: {
            required: true,
            content: {
              ...json('JobRequest'),
              ...Object.fromEntries(JSONL_TYPES.map((t) => [t, { schema: uploadLines }])),
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: {
                    file: { type: 'string', format: 'binary', description: uploadLines.description },
                    model: { type: 'string' },
                    threshold: { type: 'number', minimum: 0, maximum: 1 },
                    webhook: { type: 'string', format: 'uri' },
                  },
                },
              },
            },
          },
          responses: {
            '202': { description: 'Queued; poll `GET /v1/jobs/{id}` (also in `Location`).', content: json('JobAccepted') },
            '400': err('Malformed JSON, wrong types or bad upload lines (`invalid_request` with `error.lines: [{line, message}]`).'),
            ...authErr,
            '413': err('Body larger than maxBodyBytes (JSON) or maxUploadBytes (upload) (`payload_too_large`).'),
            '415': err('Neither JSON, JSON lines nor a form (`unsupported_media_type`).'),
            '422': err('More than maxDocumentsPerJob documents or a text over maxCharsPerDocument (`limit_exceeded`).'),
          },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          operationId: 'getJob',
          summary: 'Status, progress, timings and per-document errors of a job',
          parameters: [id],
          responses: { '200': { description: 'The job.', content: json('Job') }, ...authErr, ...notFound },
        },
        delete: {
          operationId: 'cancelJob',
          summary: 'Cancel a queued or running job',
          parameters: [id],
          responses: {
            '200': { description: 'Cancelled (documents already scored keep their results).', content: json('Job') },
            ...authErr,
            ...notFound,
            '409': err('The job already completed or failed (`job_finished`).'),
          },
        },
      },
      '/v1/jobs/{id}/results': {
        get: {
          operationId: 'getJobResults',
          summary: 'Results as JSON lines, one per document, in input order (streamed)',
          parameters: [id],
          responses: {
            '200': {
              description: 'One line per document: a result with `id` and `index`, or `{id, index, error}` for a document that could not be scored.',
              content: { 'application/x-ndjson': { schema: ref('JobResultLine') } },
            },
            ...authErr,
            ...notFound,
            '409': err('The job has not finished yet (`job_not_finished`).'),
          },
        },
      },
    },
    schemas: {
      JobRequest: jsonSchema(schemas.body, 'input'),
      JobAccepted: jsonSchema(jobAcceptedSchema),
      Job: jsonSchema(jobViewSchema),
      JobResultLine: jsonSchema(jobResultLineSchema),
      Error: jsonSchema(errorSchema),
    },
  };
}
