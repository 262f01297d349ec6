// Every message between the parts of the extension, in one union. Each carries a `target` (who handles it) and a
// `type`; every request is answered with a `Reply` (`{ ok: true, ... }` or `{ ok: false, error }`). Unknown types
// are logged and ignored by each router.
import type { DetectionResult, Device, ModelInfo, Threshold } from '../../model/types.ts';

/** Why a scan happened (shown in the popup; lets tests tell the paths apart). */
export type ScanTrigger = 'action' | 'command' | 'popup' | 'auto' | 'menu';

/** Model host status, shown in the popup while the model loads on first use. */
export type HostStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface HostState {
  status: HostStatus;
  /** 0..100, rounded, while loading. */
  progress?: number;
  model?: ModelInfo;
  thresholds?: Threshold[];
  defaultThreshold?: number;
  /** Milliseconds the last load took. */
  loadMs?: number;
  error?: string;
  /** How many times the host was (re)started (a torn-down offscreen document is re-created). */
  starts?: number;
}

/** One scored chunk: sentences' offsets are into `text` of the request. */
export interface ChunkResult {
  result: DetectionResult;
  /** Milliseconds spent scoring (model only). */
  ms: number;
  mode: 'local' | 'api';
  /** The model's fitted thresholds (the result's own `threshold` is the model default: no threshold is sent). */
  thresholds: Threshold[];
}

// --- requests handled by the background (from popup, options, content scripts, tests) -------------------------
export type BackgroundRequest =
  | { target: 'background'; type: 'scan-tab'; tabId?: number; trigger?: ScanTrigger }
  | { target: 'background'; type: 'check-selection'; tabId?: number; text?: string }
  | { target: 'background'; type: 'clear-tab'; tabId?: number }
  /** From a content script: score one chunk of page text (routed to the model host or the API). */
  | { target: 'background'; type: 'score'; text: string; threshold?: number }
  | { target: 'background'; type: 'host-state' }
  /** Loads the model now (the popup's first-use path), without scoring anything. */
  | { target: 'background'; type: 'warm-up' }
  | { target: 'background'; type: 'sync-auto-scan' };

// --- requests handled by the model host (offscreen document in Chrome; the background page itself in Firefox) ---
export type HostRequest =
  | { target: 'offscreen'; type: 'host-score'; text: string; threshold?: number; device: Device }
  | { target: 'offscreen'; type: 'host-state' }
  | { target: 'offscreen'; type: 'host-load'; device: Device };

// --- requests handled by the content script in a tab ----------------------------------------------------------
export type ContentRequest =
  | { target: 'content'; type: 'scan'; trigger: ScanTrigger }
  | { target: 'content'; type: 'scan-selection' }
  | { target: 'content'; type: 'clear' }
  | { target: 'content'; type: 'set-threshold'; threshold: number | null }
  | { target: 'content'; type: 'set-scheme'; scheme: string }
  | { target: 'content'; type: 'summary' }
  | { target: 'content'; type: 'ping' };

// --- broadcasts (no reply expected) -------------------------------------------------------------------------------
export type Broadcast = { target: 'broadcast'; type: 'host-state'; state: HostState };

export type Message = BackgroundRequest | HostRequest | ContentRequest | Broadcast;

export type PageState = 'idle' | 'scanning' | 'done' | 'error';

/** What a content script reports about its page (popup summary, tests). */
export interface PageSummary {
  state: PageState;
  /** Sentences scored so far / found in the extracted text. */
  scored: number;
  sentences: number;
  flagged: number;
  borderline: number;
  paraphrasedFraction: number;
  threshold: number;
  /** Thresholds the model was fitted with (for the slider's marks). */
  thresholds: Threshold[];
  defaultThreshold: number;
  model?: ModelInfo;
  mode?: 'local' | 'api';
  /** Milliseconds from the start of the scan to the last chunk painted. */
  ms?: number;
  /** Milliseconds from the start of the scan to the first chunk painted. */
  firstPaintMs?: number;
  /** Model time summed over chunks. */
  modelMs?: number;
  chunks: number;
  chunksDone: number;
  /** Scores of all scored sentences (lets the popup re-label and count instantly). */
  scores: number[];
  trigger?: ScanTrigger | 'selection';
  error?: string;
  /** Highlight ranges currently painted for flagged sentences. */
  flaggedRanges: number;
}

export type Ok<T extends object = object> = { ok: true } & T;
export type Fail = { ok: false; error: string };
export type Reply<T extends object = object> = Ok<T> | Fail;

export const ok = <T extends object>(data: T = {} as T): Ok<T> => ({ ok: true, ...data });
export const fail = (error: unknown): Fail => ({
  ok: false,
  error: error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error),
});

/** Narrowing helper for routers: is `x` a message for `target`? */
export function isMessageFor<T extends Message['target']>(x: unknown, target: T): x is Extract<Message, { target: T }> {
  return typeof x === 'object' && x !== null && (x as { target?: unknown }).target === target && typeof (x as { type?: unknown }).type === 'string';
}

/** Turns a failed reply into a thrown error (callers that want exceptions). */
export function unwrap<T extends object>(reply: Reply<T> | undefined, what: string): Ok<T> {
  if (!reply) throw new Error(`${what}: no reply`);
  if (!reply.ok) throw new Error(`${what}: ${reply.error}`);
  return reply;
}
