// The one place that talks to transformers.js (and, through it, ONNX Runtime): loads the tokenizer, the config
// and the token-classification model on the best device that actually works, and runs padded batches.
// Browser-safe: no node: imports (in Node, transformers.js picks onnxruntime-node itself).
import { AutoConfig, AutoModelForTokenClassification, AutoTokenizer, Tensor, env } from '@huggingface/transformers';
import type { Batch, SentenceTokenizer } from './encode.ts';
import type { DeviceFallback, Device, Dtype, ProgressCallback, ResolvedDevice } from './types.ts';

/** True in Node (and Deno/Bun with Node APIs); false in browsers, workers and extensions. */
export const IS_NODE =
  typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof (globalThis as { window?: unknown }).window === 'undefined';

/**
 * Devices to try, best first, for a requested device. `auto` is CUDA then CPU in Node, WebGPU then WASM in
 * browsers; an explicit device that fails to load falls back to the always-available one (CPU / WASM).
 */
export function deviceCandidates(device: Device, node = IS_NODE): ResolvedDevice[] {
  const base: ResolvedDevice = node ? 'cpu' : 'wasm';
  if (device === 'auto') return node ? ['cuda', 'cpu'] : ['webgpu', 'wasm'];
  return device === base ? [base] : [device, base];
}

export interface ModelSource {
  /** A directory (absolute path in Node), a name under `localModelPath`, or a hub id. */
  id: string;
  /** Where named local models live (browsers: a URL path such as `/models/`). */
  localModelPath?: string;
  allowRemote?: boolean;
}

export interface LoadModelOptions extends ModelSource {
  device?: Device;
  dtype?: Dtype;
  onProgress?: ProgressCallback;
}

export interface Logits {
  /** Row-major [rows, width, channels]. */
  data: Float32Array;
  rows: number;
  width: number;
  channels: number;
}

export interface LoadedModel {
  /** The model's config.json as loaded (the `ptd` section is checked by config.ts). */
  config: Record<string, unknown>;
  tokenizer: SentenceTokenizer;
  device: ResolvedDevice;
  dtype: Dtype;
  fallbacks: DeviceFallback[];
  run(batch: Batch): Promise<Logits>;
  dispose(): Promise<void>;
}

export class ModelLoadError extends Error {
  constructor(
    message: string,
    readonly fallbacks: DeviceFallback[] = [],
  ) {
    super(message);
    this.name = 'ModelLoadError';
  }
}

type TokenClassifier = Awaited<ReturnType<typeof AutoModelForTokenClassification.from_pretrained>>;
type Tokenizer = Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;

let quietened = false;

function configure(source: ModelSource): void {
  // ONNX Runtime logs a failed CUDA provider load as an error on stderr before throwing; the failure is already
  // reported through `fallbacks`, so its default logger only prints fatal errors (read once, at the first session).
  if (!quietened) {
    quietened = true;
    (env.backends.onnx as { setLogLevel?: (level: number) => void }).setLogLevel?.(50);
  }
  env.allowLocalModels = true;
  env.allowRemoteModels = source.allowRemote === true;
  if (source.localModelPath !== undefined) env.localModelPath = source.localModelPath;
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}

function specialId(tokenizer: Tokenizer, token: string): number {
  const id = tokenizer.convert_tokens_to_ids(token);
  if (typeof id !== 'number' || Number.isNaN(id) || (id === tokenizer.unk_token_id && token !== '[UNK]')) {
    throw new ModelLoadError(`the tokenizer has no ${token} token (ptd models use [CLS] s1 [SEP] s2 [SEP] ...)`);
  }
  return id;
}

export function adaptTokenizer(tokenizer: Tokenizer): SentenceTokenizer {
  const clsId = specialId(tokenizer, '[CLS]');
  const sepId = specialId(tokenizer, '[SEP]');
  const pad = tokenizer.convert_tokens_to_ids('[PAD]');
  const padId = typeof pad === 'number' && pad !== tokenizer.unk_token_id ? pad : (tokenizer.pad_token_id ?? 0);
  const unk = tokenizer.unk_token_id;
  return {
    encode: (sentence: string) => tokenizer.encode(sentence, { add_special_tokens: false }),
    clsId,
    sepId,
    padId,
    ...(typeof unk === 'number' && Number.isInteger(unk) ? { unkId: unk } : {}),
  };
}

function toInt64(a: Int32Array): BigInt64Array {
  const out = new BigInt64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
  return out;
}

async function runModel(model: TokenClassifier, batch: Batch): Promise<Logits> {
  const dims = [batch.rows, batch.width];
  const out = (await model({
    input_ids: new Tensor('int64', toInt64(batch.inputIds), dims),
    attention_mask: new Tensor('int64', toInt64(batch.attentionMask), dims),
    token_type_ids: new Tensor('int64', new BigInt64Array(batch.inputIds.length), dims),
  })) as { logits: { data: Float32Array; dims: number[] } };
  const [rows, width, channels] = out.logits.dims as [number, number, number];
  return { data: out.logits.data, rows, width, channels };
}

/**
 * Loads tokenizer, config and model. Devices are tried in `deviceCandidates` order; each failure (on load or
 * on a warm-up run) is recorded in `fallbacks` with its reason. Throws `ModelLoadError` when none works or
 * when the model files cannot be found.
 */
export async function loadModel(options: LoadModelOptions): Promise<LoadedModel> {
  configure(options);
  const dtype = options.dtype ?? 'q8';
  const progress_callback = options.onProgress
    ? (p: { status: string; file?: string; progress?: number }) =>
        options.onProgress!({ status: p.status, file: p.file, progress: p.progress })
    : undefined;

  let config: Record<string, unknown>;
  let tokenizer: Tokenizer;
  try {
    const cfg = await AutoConfig.from_pretrained(options.id, { progress_callback });
    config = { ...(cfg as unknown as Record<string, unknown>) };
    tokenizer = await AutoTokenizer.from_pretrained(options.id, { progress_callback });
  } catch (err) {
    throw new ModelLoadError(`cannot load model "${options.id}": ${message(err)}`);
  }
  const adapted = adaptTokenizer(tokenizer);

  const fallbacks: DeviceFallback[] = [];
  for (const device of deviceCandidates(options.device ?? 'auto')) {
    let model: TokenClassifier | undefined;
    try {
      configure(options);
      model = await AutoModelForTokenClassification.from_pretrained(options.id, {
        device,
        dtype,
        progress_callback,
      });
      // Warm-up: a device that loads but cannot run (e.g. a software WebGPU adapter failing a kernel) is caught here.
      await runModel(model, {
        inputIds: Int32Array.of(adapted.clsId, adapted.sepId),
        attentionMask: Int32Array.of(1, 1),
        rows: 1,
        width: 2,
      });
    } catch (err) {
      fallbacks.push({ device, reason: message(err) });
      await model?.dispose().catch(() => undefined);
      continue;
    }
    const loaded = model;
    return {
      config,
      tokenizer: adapted,
      device,
      dtype,
      fallbacks,
      run: (batch) => runModel(loaded, batch),
      dispose: async () => {
        await loaded.dispose();
      },
    };
  }
  throw new ModelLoadError(
    `cannot load model "${options.id}" (${dtype}) on any device: ${fallbacks.map((f) => `${f.device}: ${f.reason}`).join('; ')}`,
    fallbacks,
  );
}
