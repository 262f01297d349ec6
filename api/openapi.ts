// The OpenAPI 3.1 document, generated from the zod schemas in schemas.ts, so it cannot drift from the
// validation. Extra routers (the jobs API) add their own paths and schemas as `OpenApiFragment`s.
import { z } from 'zod';
import type { AppContext } from './context.ts';
import {
  batchResponseSchema,
  detectionResultSchema,
  errorSchema,
  healthSchema,
  modelsResponseSchema,
  ndjsonLineSchema,
} from './schemas.ts';

/** Paths are full (e.g. `/v1/jobs/{id}`); schemas land in components.schemas. */
export interface OpenApiFragment {
  paths?: Record<string, Record<string, unknown>>;
  schemas?: Record<string, unknown>;
}

/** A zod schema as a JSON Schema object suitable for OpenAPI 3.1 (which uses JSON Schema 2020-12). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const err = (description: string) => ({ description, content: json('Error') });

export function buildOpenApi(ctx: AppContext, fragments: OpenApiFragment[], auth: boolean): Record<string, unknown> {
  const secured = auth ? { security: [{ apiKey: [] }] } : {};
  const common = {
    '400': err('Malformed JSON, wrong types, unknown fields or empty text (`invalid_json`, `invalid_utf8`, `invalid_request`).'),
    ...(auth
      ? { '401': err('Missing or wrong x-api-key (`unauthorized`).') }
      : { '403': err("Sent by another site's page to this server, which has no API keys (`cross_site_request`); see --cors.") }),
    '413': err('Body larger than maxBodyBytes (`payload_too_large`).'),
    '415': err('Body is not JSON (`unsupported_media_type`).'),
    '422': err('A size limit was exceeded (`limit_exceeded`; `error.limit` names it).'),
    '429': {
      description: 'The queue is full (`queue_full`); retry after `Retry-After` seconds.',
      headers: { 'Retry-After': { schema: { type: 'integer' } } },
      content: json('Error'),
    },
    '503': err('Model not loaded yet (`not_ready`), shutting down (`shutting_down`) or over requestTimeoutMs (`timeout`).'),
  };
  const paths: Record<string, Record<string, unknown>> = {
    '/v1/detect': {
      post: {
        operationId: 'detect',
        summary: 'Score every sentence of one document',
        ...secured,
        description:
          'Send `{text, model?, threshold?}` as JSON, or upload the document as a form (`multipart/form-data`): a file field `file` ' +
          '(.txt, .md, .html or .docx, by name or media type; read as `ptd score` reads files) and optional fields `model`, `threshold`.',
        requestBody: {
          required: true,
          content: {
            ...json('DetectRequest'),
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: ['file'],
                properties: {
                  file: { type: 'string', format: 'binary', description: 'One document: .txt, .md, .html/.htm or .docx.' },
                  model: { type: 'string' },
                  threshold: { type: 'number', minimum: 0, maximum: 1 },
                },
              },
            },
          },
        },
        responses: { '200': { description: 'Sentences with offsets and scores, merged spans, document summary.', content: json('DetectionResult') }, ...common },
      },
    },
    '/v1/detect/batch': {
      post: {
        operationId: 'detectBatch',
        summary: 'Score many documents (batched by length inside the server)',
        description: `With \`Accept: application/x-ndjson\` the response streams one line per document as it is scored (\`BatchStreamLine\`), in completion order.`,
        ...secured,
        requestBody: { required: true, content: json('BatchRequest') },
        responses: {
          '200': {
            description: 'Results in input order, each with `id` and `index`.',
            content: { ...json('BatchResponse'), 'application/x-ndjson': { schema: ref('BatchStreamLine') } },
          },
          ...common,
        },
      },
    },
    '/v1/models': {
      get: {
        operationId: 'models',
        summary: 'Loaded models: version, device used and why, dtype, thresholds, limits',
        ...secured,
        responses: { '200': { description: 'Models and limits.', content: json('ModelsResponse') }, ...(auth ? { '401': err('Missing or wrong x-api-key (`unauthorized`).') } : { '403': err("Sent by another site's page to this server, which has no API keys (`cross_site_request`).") }) },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Readiness: 200 once every model is loaded',
        responses: {
          '200': { description: 'Ready.', content: json('Health') },
          '503': { description: 'Loading, failed, shutting down, or a dependency down (`degraded`: e.g. Redis when jobs are on).', content: json('Health') },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'Prometheus text format.', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/': {
      get: {
        operationId: 'playground',
        summary: 'The playground page',
        responses: { '200': { description: 'HTML page.', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
  };
  const schemas: Record<string, unknown> = {
    DetectRequest: jsonSchema(ctx.schemas.detect, 'input'),
    BatchRequest: jsonSchema(ctx.schemas.batch, 'input'),
    DetectionResult: jsonSchema(detectionResultSchema),
    BatchResponse: jsonSchema(batchResponseSchema),
    BatchStreamLine: jsonSchema(ndjsonLineSchema),
    ModelsResponse: jsonSchema(modelsResponseSchema),
    Health: jsonSchema(healthSchema),
    Error: jsonSchema(errorSchema),
  };
  for (const f of fragments) {
    for (const [p, item] of Object.entries(f.paths ?? {})) {
      paths[p] = { ...(paths[p] ?? {}), ...(auth && p.startsWith('/v1/') ? withSecurity(item) : item) };
    }
    Object.assign(schemas, f.schemas ?? {});
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ptd API',
      version: '0.1.0',
      description:
        'Paraphrased text span detection: scores every sentence of a document for whether it belongs to a span an LLM paraphrased.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas,
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
    },
  };
}

function withSecurity(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [method, op] of Object.entries(item)) {
    out[method] = op && typeof op === 'object' ? { security: [{ apiKey: [] }], ...(op as object) } : op;
  }
  return out;
}
