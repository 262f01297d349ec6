// addons.mozilla.org's own validator (addons-linter) over the Firefox build, run before a release and in the
// tests: no errors, and no warning but the known ones from bundled third-party code, each with the reason it is
// there. `npm run lint:extension [dir]` (default: dist/extension/firefox, from `npm run build:extension`).
import { createInstance, type LinterMessage } from 'addons-linter';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface KnownWarning {
  code: string;
  file: RegExp;
  why: string;
}

/** Warnings AMO's validator gives for code ptd bundles but does not write; reviewers see the reasons. */
export const KNOWN_WARNINGS: KnownWarning[] = [
  {
    code: 'DANGEROUS_EVAL',
    file: /^ort\/ort-wasm-simd-threaded(\.asyncify)?\.mjs$/,
    why: "ONNX Runtime Web's Emscripten glue (embind) can build method callers with the Function constructor; the extension's CSP forbids eval, and the model runs under that CSP in Firefox (tests/extension/firefox.test.ts)",
  },
  {
    code: 'DANGEROUS_EVAL',
    file: /^background\.js$/,
    why: "zod (config validation, model/config.ts) probes with Function('') in a try/catch whether eval is allowed; under the extension's CSP it is not, and zod parses without compiling",
  },
  {
    code: 'UNSAFE_VAR_ASSIGNMENT',
    file: /^background\.js$/,
    why: "ONNX Runtime Web imports its WASM glue module with import(url), the URL being the extension's own ort/ file",
  },
];

export interface LintReport {
  errors: LinterMessage[];
  warnings: LinterMessage[];
  notices: LinterMessage[];
  /** Every message that is not a known warning: a release must have none. */
  unexpected: LinterMessage[];
}

/** The known third-party warning a message is, if it is one. */
export function knownWarning(m: LinterMessage): KnownWarning | undefined {
  return m.type === 'warning' ? KNOWN_WARNINGS.find((k) => k.code === m.code && k.file.test(m.file ?? '')) : undefined;
}

/** Runs AMO's validator on an unpacked Firefox build (or its zip). */
export async function lintFirefox(dir: string): Promise<LintReport> {
  const linter = createInstance({
    config: {
      _: [dir],
      logLevel: 'fatal',
      stack: false,
      pretty: false,
      warningsAsErrors: false,
      metadata: false,
      output: 'none',
      boring: true,
      selfHosted: false,
      minManifestVersion: 2,
      maxManifestVersion: 3,
      enableDataCollectionPermissions: true,
    },
    runAsBinary: false,
  });
  const r = await linter.run();
  const all = [...r.errors, ...r.warnings, ...r.notices];
  return { errors: r.errors, warnings: r.warnings, notices: r.notices, unexpected: all.filter((m) => !knownWarning(m)) };
}

export function describeMessage(m: LinterMessage): string {
  const where = m.file ? ` (${m.file}${m.line ? `:${m.line}` : ''})` : '';
  return `${m.type} ${m.code}${where}: ${m.message}`;
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2] ?? 'dist/extension/firefox');
  const report = await lintFirefox(dir);
  process.stdout.write(
    `addons-linter ${dir}: ${report.errors.length} errors, ${report.warnings.length} warnings, ${report.notices.length} notices\n`,
  );
  for (const m of [...report.errors, ...report.warnings, ...report.notices]) {
    const known = knownWarning(m);
    process.stdout.write(`  ${describeMessage(m)}${known ? `\n    known: ${known.why}` : ''}\n`);
  }
  if (report.unexpected.length > 0) {
    process.stderr.write(`${report.unexpected.length} finding(s) AMO would raise that are not known third-party warnings\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
