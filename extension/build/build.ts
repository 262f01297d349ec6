// `npm run build:extension [-- --model DIR] [--out DIR] [--dtype q8|fp32] [--no-webgpu] [--no-zip]
//                          [--targets chrome,firefox] [--test-hosts PATTERN,...]`
// Writes OUT/chrome/ and OUT/firefox/ (load unpacked) and OUT/ptd-chrome.zip, OUT/ptd-firefox.zip.
// Everything the extension runs is inside: scripts, the model, the tokenizer, and the onnxruntime wasm.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { build, type InlineConfig } from 'vite';
import { drawIcon, ICON_SIZES } from './icons.ts';
import { manifest } from './manifest.ts';
import { contentConfig, pagesConfig, type BundleOptions, type Target } from './vite.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BuildOptions {
  /** Model directory (config.json, tokenizer.json, tokenizer_config.json, onnx/). Default model/weights/ptd-small. */
  model?: string;
  out?: string;
  dtype?: 'q8' | 'fp32';
  webgpu?: boolean;
  zip?: boolean;
  targets?: Target[];
  testHosts?: string[];
  minify?: boolean;
  log?: (line: string) => void;
}

export interface BuildResult {
  out: string;
  dirs: Record<Target, string | undefined>;
  zips: string[];
  modelName: string;
}

const MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? dirSize(p) : statSync(p).size;
  }
  return total;
}

function zipDir(dir: string, file: string): void {
  const files: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else files[path.relative(dir, p).split(path.sep).join('/')] = readFileSync(p);
    }
  };
  walk(dir);
  writeFileSync(file, zipSync(files, { level: 9 }));
}

function checkModel(dir: string, dtype: 'q8' | 'fp32'): string {
  const onnx = dtype === 'q8' ? 'onnx/model_quantized.onnx' : 'onnx/model.onnx';
  const missing = [...MODEL_FILES, onnx].filter((f) => !existsSync(path.join(dir, f)));
  if (!existsSync(dir) || missing.length) {
    throw new Error(
      `No usable model at ${dir} (missing: ${missing.join(', ') || 'the directory'}). ` +
        'Train or fetch ptd-small into model/weights/ptd-small, or pass --model DIR (e.g. tests/fixtures/models/tiny).',
    );
  }
  return onnx;
}

export interface BuildContext {
  options: BuildOptions;
  log: (line: string) => void;
  modelDir: string;
  modelName: string;
  onnx: string;
  dtype: 'q8' | 'fp32';
  webgpu: boolean;
  out: string;
  version: string;
  result: BuildResult;
}

/** Checks the model and works out paths; throws a clear error when the model is missing. */
export function prepareBuild(options: BuildOptions = {}): BuildContext {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const modelDir = path.resolve(ROOT, options.model ?? 'model/weights/ptd-small');
  const dtype = options.dtype ?? 'q8';
  const onnx = checkModel(modelDir, dtype);
  const modelName = path.basename(modelDir);
  const out = path.resolve(ROOT, options.out ?? 'dist/extension');
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  mkdirSync(out, { recursive: true });
  return {
    options,
    log,
    modelDir,
    modelName,
    onnx,
    dtype,
    webgpu: options.webgpu ?? true,
    out,
    version: pkg.version,
    result: { out, dirs: { chrome: undefined, firefox: undefined }, zips: [], modelName },
  };
}

export function bundleOptions(ctx: BuildContext, target: Target): BundleOptions {
  return {
    root: ROOT,
    outDir: path.join(ctx.out, target),
    target,
    modelName: ctx.modelName,
    dtype: ctx.dtype,
    webgpu: ctx.webgpu,
    minify: ctx.options.minify,
  };
}

/** Builds one target: the page bundles (unless Vite already built them), the content script, files, manifest, zip. */
export async function buildTarget(ctx: BuildContext, target: Target, pagesBuilt = false): Promise<void> {
  const bundle = bundleOptions(ctx, target);
  const dir = bundle.outDir;
  if (!pagesBuilt) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await build(pagesConfig(bundle));
  }
  await build(contentConfig(bundle));

  const statics = path.join(ROOT, 'extension', 'static');
  for (const f of ['popup.html', 'options.html', 'ui.css', target === 'chrome' ? 'offscreen.html' : 'background.html']) {
    cpSync(path.join(statics, f), path.join(dir, f));
  }
  mkdirSync(path.join(dir, 'icons'), { recursive: true });
  for (const size of ICON_SIZES) writeFileSync(path.join(dir, 'icons', `ptd-${size}.png`), drawIcon(size));
  const ortDist = path.join(ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  const ortBuilds = ['ort-wasm-simd-threaded', ...(ctx.webgpu ? ['ort-wasm-simd-threaded.asyncify'] : [])];
  mkdirSync(path.join(dir, 'ort'), { recursive: true });
  for (const b of ortBuilds) {
    for (const ext of ['.mjs', '.wasm']) cpSync(path.join(ortDist, b + ext), path.join(dir, 'ort', b + ext));
  }
  const modelOut = path.join(dir, 'models', ctx.modelName);
  mkdirSync(path.join(modelOut, 'onnx'), { recursive: true });
  for (const f of [...MODEL_FILES, ctx.onnx]) cpSync(path.join(ctx.modelDir, f), path.join(modelOut, f));
  if (existsSync(path.join(ctx.modelDir, 'MODEL_CARD.md'))) cpSync(path.join(ctx.modelDir, 'MODEL_CARD.md'), path.join(modelOut, 'MODEL_CARD.md'));
  writeFileSync(
    path.join(dir, 'manifest.json'),
    `${JSON.stringify(manifest({ target, version: ctx.version, testHosts: ctx.options.testHosts }), null, 2)}\n`,
  );
  // No stray copies of the onnxruntime wasm (NOTES §3): exactly one of each build we ship, under ort/.
  const wasms: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.wasm')) wasms.push(path.relative(dir, path.join(d, e.name)));
    }
  };
  walk(dir);
  const extra = wasms.filter((w) => !w.startsWith(`ort${path.sep}`));
  if (extra.length) throw new Error(`unexpected wasm files in the bundle: ${extra.join(', ')}`);
  ctx.result.dirs[target] = dir;
  ctx.log(`ptd extension (${target}): ${dir} — ${(dirSize(dir) / 1e6).toFixed(1)} MB, model ${ctx.modelName} (${ctx.dtype})`);
  if (ctx.options.zip ?? true) {
    const zip = path.join(ctx.out, `ptd-${target}.zip`);
    zipDir(dir, zip);
    ctx.result.zips.push(zip);
    ctx.log(`  zip: ${zip} — ${(statSync(zip).size / 1e6).toFixed(1)} MB`);
  }
}

export async function buildExtension(options: BuildOptions = {}): Promise<BuildResult> {
  const ctx = prepareBuild(options);
  for (const target of options.targets ?? ['chrome', 'firefox']) await buildTarget(ctx, target);
  return ctx.result;
}

/**
 * `vite build --mode extension` (vite.config.ts): Vite builds Chrome's page bundles from this config, then a plugin
 * finishes Chrome and builds Firefox. Options come from the environment: PTD_EXTENSION_MODEL, PTD_EXTENSION_OUT.
 */
export function extensionModeConfig(): InlineConfig {
  const ctx = prepareBuild({ model: process.env.PTD_EXTENSION_MODEL, out: process.env.PTD_EXTENSION_OUT });
  const bundle = bundleOptions(ctx, 'chrome');
  rmSync(bundle.outDir, { recursive: true, force: true });
  mkdirSync(bundle.outDir, { recursive: true });
  const config = pagesConfig(bundle);
  return {
    ...config,
    configFile: undefined,
    plugins: [
      {
        name: 'ptd-extension',
        apply: 'build',
        async closeBundle() {
          await buildTarget(ctx, 'chrome', true);
          await buildTarget(ctx, 'firefox');
        },
      },
    ],
  };
}

function parseArgs(argv: string[]): BuildOptions {
  const o: BuildOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--model') o.model = value();
    else if (a === '--out') o.out = value();
    else if (a === '--dtype') {
      const v = value();
      if (v !== 'q8' && v !== 'fp32') throw new Error('--dtype is q8 or fp32');
      o.dtype = v;
    } else if (a === '--no-webgpu') o.webgpu = false;
    else if (a === '--no-zip') o.zip = false;
    else if (a === '--no-minify') o.minify = false;
    else if (a === '--targets') o.targets = value().split(',') as Target[];
    else if (a === '--test-hosts') o.testHosts = value().split(',');
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildExtension(parseArgs(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`build:extension failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
