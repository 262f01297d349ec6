// The layers of the codebase, enforced: model/ is the runtime every face calls and imports nothing from a face;
// readers/ (documents → text) and ui/ (how scores are shown) are shared by faces and import only the runtime;
// the faces (cli/, api/, dataset/, extension/) may import downwards, never from each other's insides except
// where listed. A new import that breaks a rule fails here with the file and the import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** What each top-level folder may import (besides itself, node: and packages). */
const ALLOWED: Record<string, string[]> = {
  model: [],
  readers: ['model'],
  ui: ['model'],
  dataset: ['model'],
  api: ['model', 'readers', 'ui'],
  extension: ['model', 'ui', 'readers'],
  cli: ['model', 'readers', 'ui', 'dataset', 'api'],
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name === 'weights' || name === 'train') continue;
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|mjs|js)$/.test(name)) out.push(p);
  }
  return out;
}

/** Relative import specifiers of a source file (static, dynamic and re-exports). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) out.push(m[1]!);
  return out;
}

/** Imports outside the rules, each with its reason. */
const EXCEPTIONS: Record<string, string> = {
  // the jobs benchmark starts Redis and makes documents the way the job tests do
  'api/jobs/bench.ts -> tests/jobs/helpers.ts': 'benchmarks reuse the test fixtures',
};

function violations(): string[] {
  const bad: string[] = [];
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    for (const file of sources(path.join(ROOT, layer))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const target = path.relative(ROOT, path.resolve(path.dirname(file), spec));
        const top = target.split(path.sep)[0]!;
        const from = path.relative(ROOT, file);
        if (top === layer || allowed.includes(top) || EXCEPTIONS[`${from} -> ${target}`]) continue;
        bad.push(`${from} imports ${spec} (${top}/)`);
      }
    }
  }
  return bad;
}

describe('layers', () => {
  it('model/ imports nothing from a face, and every face imports only what its layer allows', () => {
    expect(violations()).toEqual([]);
  });

  it('finds a forbidden import (the check itself can fail)', () => {
    expect(importsOf(`import { x } from '../../cli/errors.ts';\nconst y = await import('../api/app.ts');`)).toEqual([
      '../../cli/errors.ts',
      '../api/app.ts',
    ]);
  });
});
