// The models a server holds, by the name requests use (`small`, or a directory's name), and how
// they are loaded: `--device auto` tries CUDA, then the CPU, and remembers why (NOTES §2: CUDA throws on
// load where its provider is missing, and the runtime does not fall back by itself).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { resolveModel } from '../model/node.ts';
import type { Detector, Device, DeviceFallback, Dtype, LoadOptions } from '../model/types.ts';

export type Loader = (options: LoadOptions) => Promise<Detector>;

export interface ModelSlot {
  /** The name requests use. */
  name: string;
  /** What was asked for: `base`, `small`, or a directory. */
  source: string;
  detector?: Detector;
  error?: string;
  /** Human-readable: which device runs the model, and why that one. */
  deviceReason?: string;
}

/** `base` → base, `ptd-small` → small, `/x/tiny` → tiny, `fast=/x/tiny` → fast (explicit name). */
export function parseModelSpec(spec: string): { name: string; source: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return { name: spec.slice(0, eq), source: spec.slice(eq + 1) };
  const bundled = /^(?:ptd-)?(small|base)$/.exec(spec);
  if (bundled) return { name: bundled[1]!, source: spec };
  return { name: path.basename(path.resolve(spec)), source: spec };
}

export class ModelRegistry {
  readonly slots = new Map<string, ModelSlot>();
  readonly defaultName: string;

  constructor(specs: Array<{ name: string; source: string }>, defaultName?: string) {
    if (specs.length === 0) throw new Error('at least one model is needed');
    for (const s of specs) {
      if (this.slots.has(s.name)) throw new Error(`two models are named "${s.name}"`);
      this.slots.set(s.name, { name: s.name, source: s.source });
    }
    this.defaultName = defaultName ?? specs[0]!.name;
    if (!this.slots.has(this.defaultName)) throw new Error(`default model "${this.defaultName}" is not among the models`);
  }

  /** A registry around detectors that are already loaded (tests, embedding). */
  static of(detectors: Record<string, Detector>, defaultName?: string): ModelRegistry {
    const registry = new ModelRegistry(
      Object.keys(detectors).map((name) => ({ name, source: name })),
      defaultName,
    );
    for (const [name, detector] of Object.entries(detectors)) {
      registry.slots.get(name)!.detector = detector;
      registry.slots.get(name)!.deviceReason = `${detector.info.device} (given to the app loaded)`;
    }
    return registry;
  }

  get names(): string[] {
    return [...this.slots.keys()];
  }

  get(name: string): ModelSlot | undefined {
    return this.slots.get(name);
  }

  get ready(): boolean {
    return [...this.slots.values()].every((s) => s.detector !== undefined);
  }

  get failed(): boolean {
    return [...this.slots.values()].some((s) => s.error !== undefined);
  }

  /** Loads every model, one after the other (they share the device). Throws on the first failure. */
  async load(loader: Loader, options: { device: Device; dtype?: Dtype }): Promise<void> {
    for (const slot of this.slots.values()) {
      try {
        const { detector, reason } = await loadOnDevice(loader, slot.source, options.device, options.dtype);
        slot.detector = detector;
        slot.deviceReason = reason;
      } catch (err) {
        slot.error = err instanceof Error ? err.message : String(err);
        throw new Error(`model "${slot.name}" (${slot.source}) failed to load: ${slot.error}`);
      }
    }
  }

  async dispose(): Promise<void> {
    for (const slot of this.slots.values()) {
      const d = slot.detector;
      slot.detector = undefined;
      if (d) await d.dispose().catch(() => undefined);
    }
  }
}

/**
 * Loads one model on `device` through the runtime, which tries devices in order (`auto`: CUDA, then CPU)
 * and records each failure in `info.fallbacks`. Without an explicit dtype, CUDA runs fp32 where the model has
 * that file (the bundled model ships q8 only) and the CPU q8: when `auto` ends up on the CPU, the model is
 * loaded again as q8 (the fast choice there).
 */
export async function loadOnDevice(
  loader: Loader,
  model: string,
  device: Device,
  dtype?: Dtype,
  hasFp32: (model: string) => boolean = modelHasFp32,
): Promise<{ detector: Detector; reason: string }> {
  const fp32 = hasFp32(model);
  if (device !== 'auto' || dtype !== undefined) {
    const detector = await loader({ model, device, dtype: dtype ?? defaultDtype(device, fp32) });
    return { detector, reason: explain(device, detector) };
  }
  const first = await loader({ model, device: 'auto', dtype: defaultDtype('cuda', fp32) });
  // on CUDA, or already the CPU's dtype (a model without fp32): nothing to load again
  if (first.info.device === 'cuda' || first.info.dtype === defaultDtype('cpu')) return { detector: first, reason: explain('auto', first) };
  const fallbacks = [...first.info.fallbacks];
  await first.dispose();
  const detector = await loader({ model, device: 'cpu', dtype: defaultDtype('cpu') });
  const info = detector.info as { fallbacks: DeviceFallback[] };
  try {
    info.fallbacks = [...fallbacks, ...info.fallbacks.filter((f) => !fallbacks.some((g) => g.device === f.device))];
  } catch {
    // A frozen info object: the reason below still says it.
  }
  return { detector, reason: explain('auto', detector, fallbacks) };
}

function explain(requested: Device, detector: Detector, extra: DeviceFallback[] = []): string {
  const ran = detector.info.device;
  const failed = [...extra, ...detector.info.fallbacks.filter((f) => !extra.some((g) => g.device === f.device))];
  const why = failed.map((f) => `${f.device} failed: ${firstLine(f.reason)}`).join('; ');
  if (requested === 'auto') {
    return ran === 'cuda'
      ? 'cuda: --device auto tries CUDA first, and it loaded'
      : `${ran}: --device auto tries CUDA first (${why || 'not available'})`;
  }
  return ran === requested ? `${ran}: requested with --device ${requested}` : `${ran}: --device ${requested} did not load (${why})`;
}

/** q8 is the fast choice on CPU; CUDA has no fast int8 kernels for these graphs, so it runs fp32 when the model has it. */
export function defaultDtype(device: Device, hasFp32 = true): Dtype {
  return device === 'cuda' && hasFp32 ? 'fp32' : 'q8';
}

/** Whether a model (a bundled name or a directory) has its fp32 ONNX file; hub ids are assumed to. */
function modelHasFp32(model: string): boolean {
  try {
    const resolved = resolveModel(model, true);
    return resolved.kind === 'hub' || existsSync(path.join(resolved.id, 'onnx', 'model.onnx'));
  } catch {
    return true; // the loader reports an unknown model with its own message
  }
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? '').slice(0, 300);
}
