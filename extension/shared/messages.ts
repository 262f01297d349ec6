// Every message between the parts of the extension, in one union. Each carries a `target` (who handles it) and a
// `type`; every request is answered with a `Reply` (`{ ok: true, ... }` or `{ ok: false, error }`). Unknown types
// are logged and ignored by each router.
import type { DetectionResult, Device, ModelInfo, SentenceResult, SkipReason, Threshold } from '../../model/types.ts';

/** Why a scan happened (shown in the popup; lets tests tell the paths apart). */
export type ScanTrigger = 'action' | 'command' | 'popup' | 'auto' | 'menu';

/** Model host status, shown in the popup while the model loads on first use. */
export type HostStatus = 'idle' | 'loading' | 'ready' | 'error';

export interface HostState {
  status: HostStatus;
  /** While loading: `downloading` the model files (with `progress`), then `starting` ONNX Runtime (no measure). */
  phase?: 'downloading' | 'starting';
  /** 0..100, rounded, while downloading. */
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

/** Where the scoring of a page stands: what the runtime's progressive scorer (model/) handed out since last asked. */
export interface ScanUpdate {
  /** Sentences whose result is final, new since the previous update; offsets are into the text sent. */
  sentences: SentenceResult[];
  windowsDone: number;
  windows: number;
  /** The last update: the whole result (evidence included when asked for). */
  result?: DetectionResult;
  /** Milliseconds of scoring so far (model only). */
  ms: number;
  /** With the result, when evidence was asked for: milliseconds spent finding it after the last score. */
  evidenceMs?: number;
}

/** The reply to `score-start` and `score-next`: an update, and the job to ask again (null once done). */
export interface ScoreReply {
  job: string | null;
  update: ScanUpdate;
  mode: 'local' | 'api';
  /** The model's fitted thresholds, and its default one (API mode: not known). */
  thresholds: Threshold[];
  defaultThreshold?: number;
}

/** What to score: a page's text, the characters on screen (scored first), the threshold for evidence. */
export interface ScoreJob {
  text: string;
  priority?: { start: number; end: number };
  /** Evidence is found for the sentences flagged at this threshold (the model's default when left out). */
  threshold?: number;
  evidence: boolean;
}

// --- requests handled by the background (from popup, options, content scripts, tests) -------------------------
export type BackgroundRequest =
  | { target: 'background'; type: 'scan-tab'; tabId?: number; trigger?: ScanTrigger }
  | { target: 'background'; type: 'check-selection'; tabId?: number; text?: string }
  | { target: 'background'; type: 'check-field'; tabId?: number }
  | { target: 'background'; type: 'clear-tab'; tabId?: number }
  /** From a content script: start scoring a page's text (model host or API); then ask for more until done. */
  | ({ target: 'background'; type: 'score-start' } & ScoreJob)
  | { target: 'background'; type: 'score-next'; job: string }
  | { target: 'background'; type: 'score-cancel'; job: string }
  | { target: 'background'; type: 'host-state' }
  /** Loads the model now (the popup's first-use path), without scoring anything. */
  | { target: 'background'; type: 'warm-up' }
  | { target: 'background'; type: 'sync-auto-scan' };

// --- requests handled by the model host (offscreen document in Chrome; the background page itself in Firefox) ---
export type HostRequest =
  | ({ target: 'offscreen'; type: 'host-start'; device: Device } & ScoreJob)
  | { target: 'offscreen'; type: 'host-next'; job: string }
  | { target: 'offscreen'; type: 'host-cancel'; job: string }
  | { target: 'offscreen'; type: 'host-state' }
  | { target: 'offscreen'; type: 'host-load'; device: Device };

// --- requests handled by the content script in a tab ----------------------------------------------------------
export type ContentRequest =
  | { target: 'content'; type: 'scan'; trigger: ScanTrigger }
  | { target: 'content'; type: 'scan-selection' }
  /** The focused text box or editor (the "Check this field" menu item). */
  | { target: 'content'; type: 'scan-field' }
  /** A short message on the page (a failed context-menu or shortcut action). */
  | { target: 'content'; type: 'notice'; text: string }
  /** The page text and the sentences last scored (tests compare them with `ptd score`). */
  | { target: 'content'; type: 'page-text' }
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
  /** Sentences the model cannot read (not scored), by reason. */
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
  /** Why the document's score is not reliable (too short, mostly unreadable), once known. */
  unreliable?: string;
  /** Why nothing on the page could be read, when nothing could. */
  empty?: string;
  flagged: number;
  borderline: number;
  paraphrasedFraction: number;
  threshold: number;
  /** Thresholds the model was fitted with (for the slider's marks). */
  thresholds: Threshold[];
  defaultThreshold: number;
  model?: ModelInfo;
  mode?: 'local' | 'api';
  /** Milliseconds from the start of the scan to every sentence painted. */
  ms?: number;
  /** Milliseconds from the start of the scan to the first sentences painted. */
  firstPaintMs?: number;
  /** Milliseconds from the start of the scan to its end, evidence included (= ms when evidence is off). */
  doneMs?: number;
  /** Model time of the scan. */
  modelMs?: number;
  /** Of the model time, what finding evidence took (after every sentence was scored). */
  evidenceMs?: number;
  /** Model windows of the page's text, and those read so far. */
  windows: number;
  windowsDone: number;
  /** Flagged sentences whose evidence (the words that drove the score) is known. */
  explained: number;
  /** Scores of all scored sentences (lets the popup re-label and count instantly). */
  scores: number[];
  trigger?: ScanTrigger | 'selection' | 'field';
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
