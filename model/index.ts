// Browser-safe entry point of the ptd runtime (no node: imports): the extension bundles it, the API and the
// CLI use it through model/node.ts. Every face scores documents through a Detector from `loadDetector`.
import { createDetector, type DetectorTuning } from './detector.ts';
import { parsePtdConfig } from './config.ts';
import { loadModel } from './infer.ts';
import type { LoadOptions, ProgressiveDetector } from './types.ts';

export type * from './types.ts';
export { segment, segmentsFromSentences, countWords } from './segment.ts';
export {
  createDetector,
  MIN_RELIABLE_SENTENCES,
  MIN_RELIABLE_WORDS,
  type DetectorTuning,
} from './detector.ts';
export { skipReason, skipReasons, skipReasonText } from './readable.ts';
export { parsePtdConfig, thresholdFor, ModelConfigError, type PtdConfig } from './config.ts';
export { deviceCandidates, ModelLoadError } from './infer.ts';

export interface DetectorLoadOptions extends LoadOptions {
  /** Where named models live: in browsers a URL path such as `/models/` (not a full URL, NOTES §3). */
  localModelPath?: string;
  /** Batching and windowing knobs (defaults suit both the CPU and the browser). */
  tuning?: DetectorTuning;
}

/**
 * Loads a ptd model and returns a Detector. `model` is a name under `localModelPath`, a directory, or a hub id
 * (downloads only with `allowRemote: true`). Device `auto` tries CUDA then CPU in Node, WebGPU then WASM in
 * browsers; `info.device` says which one runs and `info.fallbacks` why others did not. Dtype defaults to q8.
 */
export async function loadDetector(options: DetectorLoadOptions): Promise<ProgressiveDetector> {
  const model = await loadModel({
    id: options.model,
    localModelPath: options.localModelPath,
    allowRemote: options.allowRemote,
    device: options.device,
    dtype: options.dtype,
    onProgress: options.onProgress,
  });
  try {
    const config = parsePtdConfig(model.config, `model "${options.model}"`);
    return createDetector(model, config, options.tuning);
  } catch (err) {
    await model.dispose();
    throw err;
  }
}
