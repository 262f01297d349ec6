// Bundles the playground (api/playground/main.ts and what it imports, e.g. ui/palette.ts) with esbuild
// in memory, once per process. No build step and no files written: a fresh clone serves the page.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface PlaygroundAssets {
  html: string;
  js: string;
  css: string;
}

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
let cached: Promise<PlaygroundAssets> | undefined;

export function playgroundAssets(): Promise<PlaygroundAssets> {
  cached ??= bundle().catch((err) => {
    cached = undefined; // let a later request try again
    throw err;
  });
  return cached;
}

async function bundle(): Promise<PlaygroundAssets> {
  const [result, html, css] = await Promise.all([
    build({
      entryPoints: [here('./main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
    readFile(here('./index.html'), 'utf8'),
    readFile(here('./style.css'), 'utf8'),
  ]);
  return { html, css, js: result.outputFiles[0]!.text };
}
