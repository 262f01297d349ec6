// Zod schemas for what comes in and what goes out. Requests are validated at the edge (STYLE §3, rule 5);
// responses are described by the same library so the OpenAPI document (openapi.ts) is generated from them.
import { z } from 'zod';
import { countChars, exceedsChars } from '../model/limits.ts';
import type { Limits } from './limits.ts';

/**
 * Document text: not blank, at most `max` characters as model/limits.ts counts them (Unicode code points, as
 * JSON Schema's maxLength does). Too long is a custom issue naming the limit (validate.ts answers 422).
 */
export function documentTextSchema(max: number) {
  return z
    .string()
    .refine((s) => !exceedsChars(s, max), {
      message: `more than ${max} characters (Unicode code points)`,
      params: { limit: 'maxCharsPerDocument', max },
      abort: true,
    })
    .refine((s) => s.trim().length > 0, { message: 'text is empty' })
    .meta({ maxLength: max });
}

/** Request bodies depend on the limits and on the model names the server was started with. */
export function requestSchemas(limits: Limits, modelNames: readonly string[]) {
  const names = modelNames.length > 0 ? modelNames : ['small'];
  const model = z
    .enum(names as [string, ...string[]])
    .optional()
    .describe(`Model to use; the server's default when left out. Loaded: ${names.join(', ')}.`);
  const threshold = z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Score threshold for the labels; the model threshold fitted for 1% FPR when left out.');
  const evidence = z
    .boolean()
    .optional()
    .describe('Find the words that drove each flagged sentence\'s score (`evidence`); true when left out. A few extra model runs per flagged sentence.');
  const text = documentTextSchema(limits.maxCharsPerDocument).describe(
    `Document text, at most ${limits.maxCharsPerDocument} characters (maxCharsPerDocument; Unicode code points).`,
  );

  const detect = z.strictObject({ text, model, threshold, evidence });

  const batchDocument = z.strictObject({
    id: z.string().min(1).max(256).optional().describe('Caller id echoed in the result; the input index when left out.'),
    text,
  });
  const batch = z
    .strictObject({
      documents: z
        .array(batchDocument)
        .min(1)
        .max(limits.maxDocumentsPerBatch)
        .describe(`1 to ${limits.maxDocumentsPerBatch} documents (maxDocumentsPerBatch).`),
      model,
      threshold,
      evidence,
    })
    .superRefine((body, ctx) => {
      const total = body.documents.reduce((sum, d) => sum + countChars(d.text), 0);
      if (total > limits.maxCharsPerBatch) {
        ctx.addIssue({
          code: 'custom',
          path: ['documents'],
          message: `documents hold ${total} characters in all, more than ${limits.maxCharsPerBatch}`,
          params: { limit: 'maxCharsPerBatch', max: limits.maxCharsPerBatch },
        });
      }
    });

  return { detect, batch };
}

export type DetectRequest = z.infer<ReturnType<typeof requestSchemas>['detect']>;
export type BatchRequest = z.infer<ReturnType<typeof requestSchemas>['batch']>;

// ---- responses (they mirror model/types.ts) ----

const device = z.enum(['webgpu', 'wasm', 'cpu', 'cuda']);

export const modelInfoSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    device,
    dtype: z.enum(['fp32', 'q8']),
    fallbacks: z.array(z.object({ device, reason: z.string() })),
  });

const skipReason = z
  .enum(['language', 'unknown-words', 'no-letters'])
  .describe('Why the model did not read it: `language` (not English), `unknown-words` (mostly tokens the model does not know), `no-letters` (digits, symbols, emoji).');

export const evidenceSchema = z.object({
  start: z.number().int().describe('Character offsets in the document, like the sentence\'s.'),
  end: z.number().int(),
  text: z.string(),
  drop: z.number().describe('How much the sentence\'s score falls when these words are removed.'),
});

export const sentenceSchema = z.object({
  index: z.number().int(),
  text: z.string(),
  start: z.number().int().describe('Character offset of the sentence in the document (UTF-16 code units).'),
  end: z.number().int(),
  paragraphStart: z.boolean().optional(),
  score: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .describe('Calibrated probability that the sentence is in a paraphrased span; null when the model cannot read the sentence (see `skipped`).'),
  degree: z.number().optional().describe('Predicted lexical change (1 - BLEU-4) of the sentence if it was rewritten, 0..1, when the model has it: grades flagged sentences (light polish to heavy rewrite); whether it was rewritten is the score.'),
  label: z.enum(['paraphrased', 'human', 'skipped']),
  truncated: z.boolean().optional(),
  skipped: skipReason.optional().describe('Set, with score null and label `skipped`, when the model cannot read the sentence; it is not scored and not used as context.'),
  evidence: z
    .array(evidenceSchema)
    .optional()
    .describe('Flagged sentences (unless `evidence: false` was asked): the words whose removal lowers the score most, strongest first (up to 3).'),
});

export const spanSchema = z.object({
  start: z.number().int(),
  end: z.number().int(),
  firstSentence: z.number().int(),
  lastSentence: z.number().int(),
  score: z.number(),
});

export const detectionResultSchema = z
  .object({
    model: modelInfoSchema,
    text: z.string().optional(),
    sentences: z.array(sentenceSchema),
    spans: z.array(spanSchema),
    score: z.number().describe('Document score: the highest sentence score (0 when no sentence was scored).'),
    paraphrasedFraction: z.number().describe('Share of the scored sentences that are flagged.'),
    threshold: z.number(),
    coverage: z.object({ sentences: z.number().int(), scored: z.number().int(), skipped: z.number().int(), truncated: z.number().int() }),
    reliable: z.boolean().describe('false when the scored part is too short to judge, or most of the text could not be read.'),
    reason: z.enum(['too-short', 'language', 'unknown-words', 'no-letters']).optional().describe('Why the document is not reliable.'),
  });

export const batchResultSchema = detectionResultSchema
  .extend({ id: z.string(), index: z.number().int() });

export const batchResponseSchema = z
  .object({ model: modelInfoSchema, documents: z.array(batchResultSchema) });

export const errorSchema = z
  .object({
    error: z
      .object({
        code: z.string(),
        message: z.string(),
        limit: z.string().optional().describe('The limit that was exceeded (413/422).'),
        max: z.number().optional(),
      })
      .catchall(z.unknown()),
  });

export const ndjsonLineSchema = z
  .union([
    batchResultSchema,
    z.object({ id: z.string(), index: z.number().int(), error: errorSchema.shape.error }),
  ]);

export const thresholdSchema = z.object({
  targetFpr: z.number(),
  threshold: z.number(),
  achievedFpr: z.number(),
  tpr: z.number(),
});

export const modelsResponseSchema = z
  .object({
    default: z.string(),
    models: z.array(
      z.object({
        name: z.string().describe('The name requests use in `model`.'),
        source: z.string().describe('What the server was asked to load (a bundled name or a directory).'),
        ready: z.boolean(),
        error: z.string().optional(),
        info: modelInfoSchema.optional(),
        deviceReason: z.string().optional().describe('Why this device runs the model.'),
        thresholds: z.array(thresholdSchema).optional(),
        defaultThreshold: z.number().optional(),
        maxTokens: z.number().int().optional(),
      }),
    ),
    limits: z.object({
      maxCharsPerDocument: z.number().int(),
      maxDocumentsPerBatch: z.number().int(),
      maxCharsPerBatch: z.number().int(),
      maxBodyBytes: z.number().int(),
      maxQueuedDocuments: z.number().int(),
      requestTimeoutMs: z.number().int(),
    }),
  });

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'loading', 'failed', 'shutting_down', 'degraded']).describe('`degraded`: a dependency is down (see `dependencies`).'),
    models: z.record(z.string(), z.boolean()),
    dependencies: z
      .record(z.string(), z.enum(['up', 'down']))
      .optional()
      .describe('What the server needs besides its models, e.g. `{"redis": "down"}` when jobs are on and Redis does not answer.'),
  });
