// The model host: loads the bundled ptd model once (memoised promise) and scores text. Runs in the offscreen
// document (Chrome) or the background page (Firefox) — never in a content script or a service worker.
import { env } from '@huggingface/transformers';
import { loadDetector } from '../../model/index.ts';
import type { Detector, Device, ResolvedDevice } from '../../model/types.ts';
import type { HostState } from '../shared/messages.ts';

/** Set by the build (extension/build/build.ts): the bundled model's directory name under /models/ and its dtype. */
declare const __PTD_MODEL__: string;
declare const __PTD_DTYPE__: 'q8' | 'fp32';
declare const __PTD_WEBGPU__: boolean;

const MODEL = typeof __PTD_MODEL__ === 'string' ? __PTD_MODEL__ : 'ptd-small';
const DTYPE = typeof __PTD_DTYPE__ === 'string' ? __PTD_DTYPE__ : 'q8';
const WEBGPU_BUNDLED = typeof __PTD_WEBGPU__ === 'boolean' ? __PTD_WEBGPU__ : true;

let detector: Promise<Detector> | null = null;
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
export function getDetector(preference: Device = 'auto'): Promise<Detector> {
  if (detector) return detector;
  const started = performance.now();
  setState({ status: 'loading', progress: 0, error: undefined, starts: (state.starts ?? 0) + 1 });
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
      onProgress: (p) => {
        if (p.file && typeof p.progress === 'number') files.set(p.file, p.progress);
        if (files.size === 0) return;
        const total = Math.round([...files.values()].reduce((a, b) => a + b, 0) / files.size);
        if (total !== state.progress) setState({ progress: total });
      },
    });
    if (pick.reason) d.info.fallbacks.unshift({ device: 'webgpu', reason: pick.reason });
    setState({
      status: 'ready',
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
    setState({ status: 'error', error: err instanceof Error ? err.message : String(err) });
  });
  return detector;
}

export async function scoreText(text: string, device: Device, threshold?: number) {
  const d = await getDetector(device);
  const started = performance.now();
  const result = await d.score(text, threshold === undefined ? {} : { threshold });
  delete result.text; // the caller has it; keep messages small
  return { result, ms: Math.round(performance.now() - started), thresholds: d.thresholds };
}
