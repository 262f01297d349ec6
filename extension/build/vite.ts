// Vite configurations of the extension build (used by extension/build/build.ts and by `vite build --mode extension`
// through vite.config.ts). Two kinds of bundle:
// - `pages`: ES modules for the background, popup, options and (Chrome) offscreen document, with shared chunks;
// - `content`: the content script as ONE classic script (IIFE), since scripting.executeScript cannot load modules.
import path from 'node:path';
import type { InlineConfig } from 'vite';

export type Target = 'chrome' | 'firefox';

export interface BundleOptions {
  root: string;
  outDir: string;
  target: Target;
  /** Directory name of the bundled model under /models/. */
  modelName: string;
  dtype: 'q8' | 'fp32';
  webgpu: boolean;
  minify?: boolean;
}

function shared(o: BundleOptions): InlineConfig {
  // transformers.js imports `onnxruntime-web/webgpu`, whose default ("bundle") build embeds a reference to the 27 MB
  // asyncify wasm, which Vite would copy into assets. The non-bundle build loads the wasm glue and binary from
  // `env.backends.onnx.wasm.wasmPaths`, which the model host points at the copies under /ort/ (one of each).
  const ortWebgpu = path.join(o.root, 'node_modules', 'onnxruntime-web', 'dist', 'ort.webgpu.min.mjs');
  return {
    configFile: false,
    root: o.root,
    logLevel: 'warn',
    publicDir: false,
    resolve: { alias: [{ find: /^onnxruntime-web\/webgpu$/, replacement: ortWebgpu }] },
    define: {
      __PTD_MODEL__: JSON.stringify(o.modelName),
      __PTD_DTYPE__: JSON.stringify(o.dtype),
      __PTD_WEBGPU__: JSON.stringify(o.webgpu),
      __PTD_TARGET__: JSON.stringify(o.target),
      'process.env.NODE_ENV': JSON.stringify('production'),
    },
  };
}

export function pagesConfig(o: BundleOptions): InlineConfig {
  const ext = path.join(o.root, 'extension');
  const input: Record<string, string> = {
    background: path.join(ext, 'background', o.target === 'chrome' ? 'chrome.ts' : 'firefox.ts'),
    popup: path.join(ext, 'popup', 'popup.ts'),
    options: path.join(ext, 'options', 'options.ts'),
  };
  if (o.target === 'chrome') input.offscreen = path.join(ext, 'offscreen', 'offscreen.ts');
  return {
    ...shared(o),
    build: {
      outDir: o.outDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: o.minify ?? true,
      sourcemap: false,
      modulePreload: false,
      copyPublicDir: false,
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 4096,
      reportCompressedSize: false,
      rollupOptions: {
        input,
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
      },
    },
  };
}

export function contentConfig(o: BundleOptions): InlineConfig {
  return {
    ...shared(o),
    build: {
      outDir: o.outDir,
      emptyOutDir: false,
      target: 'es2022',
      minify: o.minify ?? true,
      sourcemap: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      lib: {
        entry: path.join(o.root, 'extension', 'content', 'content.ts'),
        formats: ['iife'],
        name: 'ptdContent',
        fileName: () => 'content.js',
      },
    },
  };
}
