// Every size and time limit of the API in one place. The README states the defaults; `ptd serve` and
// PTD_* environment variables override them. Each limit has a stable name that error messages quote.
import { DEFAULT_MAX_CHARS } from '../model/limits.ts';

export interface Limits {
  /** Characters in one document: Unicode code points, counted by model/limits.ts's countChars (every face counts so). */
  maxCharsPerDocument: number;
  /** Documents in one `/v1/detect/batch` request. */
  maxDocumentsPerBatch: number;
  /** Characters (code points) summed over the documents of one batch request. */
  maxCharsPerBatch: number;
  /** Bytes of a JSON request body. */
  maxBodyBytes: number;
  /** Documents waiting for the model (across all requests) before new work gets 429. */
  maxQueuedDocuments: number;
  /** Milliseconds a request may wait and run before it is answered 503 `timeout`. */
  requestTimeoutMs: number;
  /**
   * Documents the queue gives a model in one call (coalescing concurrent requests). 0: by device, 32 on a GPU
   * and 4 on the CPU, where larger batches were measured slower (padding, cache) than small ones.
   */
  maxBatchSize: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxCharsPerDocument: DEFAULT_MAX_CHARS,
  maxDocumentsPerBatch: 64,
  maxCharsPerBatch: 1_000_000,
  maxBodyBytes: 2 * 1024 * 1024,
  maxQueuedDocuments: 256,
  requestTimeoutMs: 60_000,
  maxBatchSize: 0,
});

const ENV_NAMES: Record<keyof Limits, string> = {
  maxCharsPerDocument: 'PTD_MAX_CHARS',
  maxDocumentsPerBatch: 'PTD_MAX_BATCH_DOCUMENTS',
  maxCharsPerBatch: 'PTD_MAX_BATCH_CHARS',
  maxBodyBytes: 'PTD_MAX_BODY_BYTES',
  maxQueuedDocuments: 'PTD_MAX_QUEUE',
  requestTimeoutMs: 'PTD_REQUEST_TIMEOUT_MS',
  maxBatchSize: 'PTD_MODEL_BATCH',
};

/** Fills in defaults and checks the limits agree with each other; throws a readable error otherwise. */
export function resolveLimits(overrides: Partial<Limits> = {}, env: NodeJS.ProcessEnv = {}): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as Array<keyof Limits>) {
    const raw = env[ENV_NAMES[key]];
    if (raw !== undefined && raw !== '') limits[key] = positiveInt(raw, ENV_NAMES[key]);
  }
  for (const [key, value] of Object.entries(overrides) as Array<[keyof Limits, number | undefined]>) {
    if (value !== undefined) limits[key] = key === 'maxBatchSize' && value === 0 ? 0 : positiveInt(String(value), key);
  }
  if (limits.maxDocumentsPerBatch > limits.maxQueuedDocuments) {
    throw new Error(
      `maxDocumentsPerBatch (${limits.maxDocumentsPerBatch}) must not exceed maxQueuedDocuments (${limits.maxQueuedDocuments})`,
    );
  }
  return limits;
}

function positiveInt(raw: string, name: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}
