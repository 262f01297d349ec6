// Node-only entry point: resolves model names to the bundled weights or a local directory, then loads a
// Detector through the browser-safe core (model/index.ts). ptd runs offline unless `allowRemote` is given.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDetector, type DetectorLoadOptions } from './index.ts';
import type { Dtype, ProgressiveDetector } from './types.ts';

/** model/weights/: where the bundled models live. */
export const WEIGHTS_DIR = fileURLToPath(new URL('./weights/', import.meta.url));

/** Short names accepted for the bundled models. */
const ALIASES: Record<string, string> = {
  small: 'ptd-small',
  'ptd-small': 'ptd-small',
};

/** Bundled models that were shipped once and withdrawn, with what to use instead. */
const WITHDRAWN: Record<string, string> = {
  base: 'ptd-base was withdrawn in 0.8.0 (it was never better than ptd-small); use small',
  'ptd-base': 'ptd-base was withdrawn in 0.8.0 (it was never better than ptd-small); use small',
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
  /** `ptd-small`. */
  name: string;
  /** The short name (`small`). */
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
  return (['small'] as const).map((alias) => {
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
 * `small|ptd-small` → model/weights/ptd-small; an existing directory → its absolute path;
 * `owner/name` → a hub id, only when `allowRemote`. Anything else throws UnknownModelError.
 */
export function resolveModel(model: string, allowRemote = false, cwd = process.cwd()): ResolvedModel {
  const withdrawn = WITHDRAWN[model];
  if (withdrawn) throw new UnknownModelError(`unknown model "${model}": ${withdrawn}`);
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

/** A model file whose content is not what its config.json says it shipped. */
export class ModelIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

/**
 * Checks a model directory's files against the sha256 sums its config.json lists (`ptd.files`, written by
 * `ptd promote`): a file that is present must match. Files not listed, and directories without the list
 * (models made elsewhere), are not checked.
 */
export function verifyModelFiles(dir: string): void {
  let files: unknown;
  try {
    files = (JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { ptd?: { files?: unknown } }).ptd?.files;
  } catch {
    return; // an unreadable config is reported by the loader, with its own message
  }
  if (!files || typeof files !== 'object') return;
  for (const [name, sum] of Object.entries(files as Record<string, unknown>)) {
    const file = path.join(dir, name);
    if (typeof sum !== 'string' || !existsSync(file)) continue;
    const actual = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (actual !== sum) {
      throw new ModelIntegrityError(`${file} is not the file this model shipped (sha256 ${actual.slice(0, 12)}…, config.json says ${sum.slice(0, 12)}…)`);
    }
  }
}

/** Loads a Detector in Node: resolves the model name (see resolveModel), checks its files, then loadDetector. */
export async function loadNodeDetector(options: DetectorLoadOptions): Promise<ProgressiveDetector> {
  const resolved = resolveModel(options.model, options.allowRemote);
  if (resolved.kind !== 'hub') verifyModelFiles(resolved.id);
  return loadDetector({ ...options, model: resolved.id, allowRemote: resolved.kind === 'hub' });
}
