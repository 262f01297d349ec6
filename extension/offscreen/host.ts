// The model host: loads the bundled ptd model once (memoised promise) and scores page text through the runtime's
// progressive scorer (model/), one job per page scan. Runs in the offscreen document (Chrome) or the background page
// (Firefox) — never in a content script or a service worker.
import { env } from '@huggingface/transformers';
import { loadDetector } from '../../model/index.ts';
import type { Device, ProgressiveDetector, ProgressUpdate, ResolvedDevice } from '../../model/types.ts';
import type { HostState, ScanUpdate, ScoreJob } from '../shared/messages.ts';

/** Set by the build (extension/build/build.ts): the bundled model's directory name under /models/ and its dtype. */
declare const __PTD_MODEL__: string;
declare const __PTD_DTYPE__: 'q8' | 'fp32';
declare const __PTD_WEBGPU__: boolean;

const MODEL = typeof __PTD_MODEL__ === 'string' ? __PTD_MODEL__ : 'ptd-small';
const DTYPE = typeof __PTD_DTYPE__ === 'string' ? __PTD_DTYPE__ : 'q8';
const WEBGPU_BUNDLED = typeof __PTD_WEBGPU__ === 'boolean' ? __PTD_WEBGPU__ : true;

let detector: Promise<ProgressiveDetector> | null = null;
let state: HostState = { status: 'idle', starts: 0 };
const listeners = new Set<(s: HostState) => void>();

export function onHostState(fn: (s: HostState) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setState(patch: Partial<HostState>): void {
  state = { ...state, ...patch };
  for (const fn of listeners) fn(state);
}

export function hostState(): HostState {
  return state;
}

/** An extension URL for a bundled file (works in the offscreen document and in Firefox's background page). */
function assetUrl(path: string): string {
  return new URL(path, self.location.href).href;
}

/**
 * WebGPU only where an adapter exists (NOTES §3) and the WebGPU build of onnxruntime was bundled; WASM otherwise.
 * ONNX Runtime initialises one wasm build per page, so the choice is made before the first load.
 */
async function pickDevice(preference: Device): Promise<{ device: ResolvedDevice; reason?: string }> {
  if (preference === 'wasm' || preference === 'cpu') return { device: 'wasm' };
  if (!WEBGPU_BUNDLED) return { device: 'wasm', reason: 'this build has no WebGPU runtime' };
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return { device: 'wasm', reason: 'WebGPU is not available in this browser' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { device: 'wasm', reason: 'no WebGPU adapter' };
  } catch (err) {
    return { device: 'wasm', reason: `WebGPU adapter request failed: ${String(err)}` };
  }
  return { device: 'webgpu' };
}

function configureRuntime(device: ResolvedDevice): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/models/'; // a path, not a full URL (NOTES §3)
  env.useBrowserCache = false; // files are inside the extension already; the Cache API rejects extension URLs
  (env as { useWasmCache?: boolean }).useWasmCache = false; // would import the wasm glue from a blob: URL (CSP)
  const wasm = env.backends.onnx.wasm!;
  // The plain SIMD-threaded build is ~4x faster than the asyncify build on WASM; WebGPU needs the asyncify one.
  const build = device === 'webgpu' ? 'ort-wasm-simd-threaded.asyncify' : 'ort-wasm-simd-threaded';
  wasm.wasmPaths = { mjs: assetUrl(`/ort/${build}.mjs`), wasm: assetUrl(`/ort/${build}.wasm`) };
  // Threads need cross-origin isolation (the Chrome manifest asks for it); without it, one thread.
  if ((self as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    wasm.numThreads = Math.max(1, Math.min(4, (navigator.hardwareConcurrency || 2) - 1));
  } else wasm.numThreads = 1;
}

let chosen: ResolvedDevice | null = null;

/** Loads the model once; later calls share the promise. A failed load is forgotten so the next call retries. */
export function getDetector(preference: Device = 'auto'): Promise<ProgressiveDetector> {
  if (detector) return detector;
  const started = performance.now();
  setState({ status: 'loading', phase: 'downloading', progress: 0, error: undefined, starts: (state.starts ?? 0) + 1 });
  detector = (async () => {
    const pick = await pickDevice(preference);
    // Once ONNX Runtime is initialised its build is fixed: a reload after an error keeps the first choice.
    chosen ??= pick.device;
    configureRuntime(chosen);
    const files = new Map<string, number>();
    const d = await loadDetector({
      model: MODEL,
      localModelPath: '/models/',
      device: chosen,
      dtype: DTYPE,
      // A page re-scanned after a small change reads only the windows whose text changed.
      tuning: { cacheWindows: 256 },
      onProgress: (p) => {
        if (state.phase === 'starting') return;
        // The model file is fetched last; once it is in, ONNX Runtime builds its session (most of a warm load).
        if (p.file?.endsWith('.onnx') && (p.status === 'done' || p.progress === 100)) {
          setState({ phase: 'starting', progress: undefined });
          return;
        }
        if (p.file && typeof p.progress === 'number') files.set(p.file, p.progress);
        if (files.size === 0) return;
        const total = Math.round([...files.values()].reduce((a, b) => a + b, 0) / files.size);
        if (total !== state.progress) setState({ progress: total });
      },
    });
    if (pick.reason) d.info.fallbacks.unshift({ device: 'webgpu', reason: pick.reason });
    setState({
      status: 'ready',
      phase: undefined,
      progress: 100,
      model: d.info,
      thresholds: d.thresholds,
      defaultThreshold: d.defaultThreshold,
      loadMs: Math.round(performance.now() - started),
    });
    return d;
  })();
  detector.catch((err: unknown) => {
    detector = null;
    setState({ status: 'error', phase: undefined, error: err instanceof Error ? err.message : String(err) });
  });
  return detector;
}

interface Job {
  updates: ProgressUpdate[];
  done: boolean;
  error?: unknown;
  /** Wakes a `nextUpdate` waiting for the scorer. */
  wake?: () => void;
  cancelled: boolean;
  ms: number;
  /** When every sentence had its score (evidence, if asked for, is found after that). */
  scoredAt?: number;
  evidenceMs?: number;
  /** Dropped when nobody asked for it for a while (the tab went away mid-scan). */
  idle?: ReturnType<typeof setTimeout>;
}

const jobs = new Map<string, Job>();
let nextJob = 1;
const ABANDONED_MS = 60_000;

function touch(id: string, job: Job): void {
  clearTimeout(job.idle);
  job.idle = setTimeout(() => cancelScore(id), ABANDONED_MS);
}

/** Starts scoring a page's text; returns the job and its first update (the on-screen sentences, or everything). */
export async function startScore(
  request: ScoreJob,
  device: Device,
): Promise<{ job: string | null; update: ScanUpdate; thresholds: ProgressiveDetector['thresholds']; defaultThreshold: number }> {
  const d = await getDetector(device);
  const id = String(nextJob++);
  const job: Job = { updates: [], done: false, cancelled: false, ms: 0 };
  jobs.set(id, job);
  touch(id, job);
  void (async () => {
    const iterator = d.scoreProgressive(request.text, {
      ...(request.threshold === undefined ? {} : { threshold: request.threshold }),
      ...(request.priority ? { priority: request.priority } : {}),
      evidence: request.evidence,
    });
    try {
      for (let t = performance.now(); ; t = performance.now()) {
        const step = await iterator.next();
        job.ms += performance.now() - t;
        if (step.done || job.cancelled) break;
        const now = performance.now();
        if (step.value.result && request.evidence) job.evidenceMs = job.scoredAt === undefined ? 0 : Math.round(now - job.scoredAt);
        else if (step.value.windowsDone === step.value.windows) job.scoredAt ??= now;
        job.updates.push(step.value);
        job.wake?.();
        // WASM inference runs on this thread and its promises resolve without giving the event loop a turn: let the
        // reply carrying this update go out before the next window (or the evidence) is computed.
        await nextTask();
      }
    } catch (err) {
      job.error = err;
    } finally {
      if (job.cancelled) await iterator.return(undefined).catch(() => undefined);
      job.done = true;
      job.wake?.();
    }
  })();
  const update = await nextUpdate(id);
  return { ...update, thresholds: d.thresholds, defaultThreshold: d.defaultThreshold };
}

/** Everything the job handed out since last asked (waits for at least one update); `job` is null once it is done. */
export async function nextUpdate(id: string): Promise<{ job: string | null; update: ScanUpdate }> {
  const job = jobs.get(id);
  if (!job) throw new Error('This scan is no longer running (the model host restarted); scan the page again.');
  touch(id, job);
  while (job.updates.length === 0 && !job.done) await new Promise<void>((resolve) => (job.wake = resolve));
  job.wake = undefined;
  if (job.error !== undefined) {
    cancelScore(id);
    throw job.error;
  }
  const taken = job.updates.splice(0);
  const last = taken[taken.length - 1];
  const update: ScanUpdate = {
    sentences: taken.flatMap((u) => u.sentences),
    windowsDone: last?.windowsDone ?? 0,
    windows: last?.windows ?? 0,
    ms: Math.round(job.ms),
    ...(last?.result ? { result: stripText(last.result), ...(job.evidenceMs === undefined ? {} : { evidenceMs: job.evidenceMs }) } : {}),
  };
  const finished = job.done && job.updates.length === 0;
  if (finished) cancelScore(id);
  return { job: finished ? null : id, update };
}

/** Stops a job (a newer scan of the page, a cleared page); unknown ids are ignored. */
export function cancelScore(id: string): void {
  const job = jobs.get(id);
  if (!job) return;
  jobs.delete(id);
  clearTimeout(job.idle);
  job.cancelled = true;
  job.wake?.();
}

/** Resolves in a new task (a MessageChannel message: no 4 ms clamp as with nested timers). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function stripText<T extends { text?: string }>(result: T): T {
  const { text: _dropped, ...rest } = result; // the caller has it; keep messages small
  return rest as T;
}
