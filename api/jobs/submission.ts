// What a job submission may hold, validated at the edge (STYLE §3): a JSON body `{documents, model?,
// threshold?, webhook?}`, or a JSON-lines upload (one `{"id"?, "text"}` object per line, options in the
// query string) whose bad lines are reported by line number.
import { z } from 'zod';
import { documentTextSchema } from '../schemas.ts';
import type { JobDocument } from './store.ts';

export interface JobLimits {
  /** Characters in one document (the API's maxCharsPerDocument). */
  maxCharsPerDocument: number;
  /** Documents in one job. */
  maxDocumentsPerJob: number;
  /** Bytes of a JSON-lines upload. */
  maxUploadBytes: number;
}

export const DEFAULT_JOB_LIMITS = Object.freeze({
  maxDocumentsPerJob: 100_000,
  maxUploadBytes: 256 * 1024 * 1024,
});

/** Media types accepted as a JSON-lines upload. */
export const JSONL_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines'];

/** Line errors listed in a 400 answer; the count covers them all. */
export const MAX_LINE_ERRORS = 20;

export function submissionSchemas(limits: JobLimits, modelNames: readonly string[]) {
  const names = modelNames.length > 0 ? modelNames : ['small'];
  const model = z
    .enum(names as [string, ...string[]])
    .optional()
    .describe(`Model to use; the server's default when left out. Known: ${names.join(', ')}.`);
  const threshold = z.number().min(0).max(1).optional().describe('Score threshold for the labels; the model threshold fitted for 1% FPR when left out.');
  const webhook = z
    .url({ protocol: /^https?$/, hostname: z.regexes.hostname })
    .max(2048)
    .optional()
    .describe('Called with POST `{event: "job.finished", job}` when the job finishes (retried with back-off). Public addresses only, unless the server lists the address in PTD_WEBHOOK_ALLOW.');
  const id = z.string().min(1).max(256);
  const text = documentTextSchema(limits.maxCharsPerDocument);
  const document = z.strictObject({ id: id.optional().describe('Caller id echoed in the result; the input index when left out.'), text });

  const body = z.strictObject({
    documents: z
      .array(document)
      .min(1)
      .max(limits.maxDocumentsPerJob)
      .describe(`1 to ${limits.maxDocumentsPerJob} documents (maxDocumentsPerJob).`),
    model,
    threshold,
    webhook,
  });
  // Query options of an upload: strings from the URL.
  const query = z.strictObject({
    model,
    threshold: z.coerce.number().min(0).max(1).optional(),
    webhook,
  });
  // One line of an upload: other fields (labels, sources...) are allowed and ignored, so dataset files
  // can be sent as they are; a numeric id is taken as its decimal string.
  const line = z.looseObject({ id: z.union([id, z.number().transform(String)]).optional(), text });
  return { body, query, line };
}

export type SubmissionSchemas = ReturnType<typeof submissionSchemas>;

export interface LineError {
  /** 1-based line number in the upload. */
  line: number;
  message: string;
}

export type ParsedUpload =
  | { ok: true; documents: JobDocument[] }
  | { ok: false; kind: 'lines'; errors: LineError[]; invalidLines: number }
  | { ok: false; kind: 'empty' }
  | { ok: false; kind: 'too_many'; documents: number };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON-lines upload; blank lines are skipped; every bad line is counted, the first 20 listed. */
export function parseJsonLines(buf: Buffer, schema: SubmissionSchemas['line'], limits: JobLimits): ParsedUpload {
  const documents: JobDocument[] = [];
  const errors: LineError[] = [];
  let invalid = 0;
  let lineNo = 0;
  let start = 0;
  const bad = (message: string) => {
    invalid++;
    if (errors.length < MAX_LINE_ERRORS) errors.push({ line: lineNo, message });
  };
  while (start <= buf.length) {
    let end = buf.indexOf(0x0a, start);
    if (end === -1) end = buf.length;
    lineNo++;
    const bytes = buf.subarray(start, end);
    start = end + 1;
    let raw: string;
    try {
      raw = decoder.decode(bytes);
    } catch {
      bad('not valid UTF-8');
      continue;
    }
    if (lineNo === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1); // byte-order mark
    raw = raw.trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      bad(`not valid JSON (${(err as Error).message.slice(0, 120)})`);
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'line';
      bad(
        isTextTooLong(issue)
          ? `text: longer than maxCharsPerDocument = ${limits.maxCharsPerDocument} characters`
          : `${where.slice(0, 100)}: ${issue.message.slice(0, 200)}`,
      );
      continue;
    }
    if (invalid === 0) {
      const doc = parsed.data as { id?: string; text: string };
      documents.push({ id: doc.id ?? String(documents.length), text: doc.text });
      if (documents.length > limits.maxDocumentsPerJob) return { ok: false, kind: 'too_many', documents: documents.length };
    }
  }
  if (invalid > 0) return { ok: false, kind: 'lines', errors, invalidLines: invalid };
  if (documents.length === 0) return { ok: false, kind: 'empty' };
  return { ok: true, documents };
}

/** The issue documentTextSchema raises for a text over maxCharsPerDocument. */
export function isTextTooLong(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && (issue.params as { limit?: string } | undefined)?.limit === 'maxCharsPerDocument';
}
