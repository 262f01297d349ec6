// Node-only entry point: resolves model names to the bundled weights or a local directory, then loads a
// Detector through the browser-safe core (model/index.ts). ptd runs offline unless `allowRemote` is given.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDetector, type DetectorLoadOptions } from './index.ts';
import type { Dtype, ProgressiveDetector } from './types.ts';

/** model/weights/: where the bundled models live. */
export const WEIGHTS_DIR = fileURLToPath(new URL('./weights/', import.meta.url));

/** Short names accepted for the bundled models. */
const ALIASES: Record<string, string> = {
  small: 'ptd-small',
  base: 'ptd-base',
  'ptd-small': 'ptd-small',
  'ptd-base': 'ptd-base',
};

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

export class UnknownModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownModelError';
  }
}

/** A bundled model name whose weights are not in model/weights/ (yet). */
export class ModelNotInstalledError extends UnknownModelError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelNotInstalledError';
  }
}

export interface BundledModel {
  /** `ptd-small` or `ptd-base`. */
  name: string;
  /** The short name (`small`, `base`). */
  alias: string;
  dir: string;
  /** config.json is present. */
  available: boolean;
  /** The dtypes whose ONNX file is present. */
  dtypes: Dtype[];
}

function dtypesIn(dir: string): Dtype[] {
  const out: Dtype[] = [];
  if (existsSync(path.join(dir, 'onnx', 'model.onnx'))) out.push('fp32');
  if (existsSync(path.join(dir, 'onnx', 'model_quantized.onnx'))) out.push('q8');
  return out;
}

/** The bundled models and whether their files are in place. */
export function bundledModels(): BundledModel[] {
  return (['small', 'base'] as const).map((alias) => {
    const name = ALIASES[alias]!;
    const dir = path.join(WEIGHTS_DIR, name);
    return { name, alias, dir, available: existsSync(path.join(dir, 'config.json')), dtypes: dtypesIn(dir) };
  });
}

export interface ResolvedModel {
  /** What transformers.js loads: an absolute directory, or a hub id. */
  id: string;
  kind: 'bundled' | 'directory' | 'hub';
}

/**
 * `small|base|ptd-small|ptd-base` → model/weights/ptd-*; an existing directory → its absolute path;
 * `owner/name` → a hub id, only when `allowRemote`. Anything else throws UnknownModelError.
 */
export function resolveModel(model: string, allowRemote = false, cwd = process.cwd()): ResolvedModel {
  const alias = ALIASES[model];
  if (alias) {
    const dir = path.join(WEIGHTS_DIR, alias);
    if (!existsSync(path.join(dir, 'config.json'))) {
      throw new ModelNotInstalledError(`the bundled model ${alias} is not installed (no config.json in ${dir})`);
    }
    return { id: dir, kind: 'bundled' };
  }
  const dir = path.resolve(cwd, model);
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    if (!existsSync(path.join(dir, 'config.json'))) {
      throw new UnknownModelError(`${model} is not a model directory (no config.json in ${dir})`);
    }
    return { id: dir, kind: 'directory' };
  }
  if (HUB_ID.test(model) && !model.startsWith('.')) {
    if (!allowRemote) {
      throw new UnknownModelError(
        `unknown model "${model}": no such directory, and downloading hub models is off (allow remote models to fetch it)`,
      );
    }
    return { id: model, kind: 'hub' };
  }
  const names = Object.keys(ALIASES).join(', ');
  throw new UnknownModelError(`unknown model "${model}": use one of ${names}, a model directory, or a hub id`);
}

/** Loads a Detector in Node: resolves the model name (see resolveModel), then loadDetector. */
export async function loadNodeDetector(options: DetectorLoadOptions): Promise<ProgressiveDetector> {
  const resolved = resolveModel(options.model, options.allowRemote);
  return loadDetector({ ...options, model: resolved.id, allowRemote: resolved.kind === 'hub' });
}
