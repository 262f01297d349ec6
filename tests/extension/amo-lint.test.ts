// AMO's validator (addons-linter) over the shipped Firefox build: what addons.mozilla.org would say on upload.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildExtension } from '../../extension/build/build.ts';
import { ROOT } from '../../extension/build/harness.ts';
import { describeMessage, KNOWN_WARNINGS, lintFirefox, type LintReport } from '../../extension/build/lint.ts';
import { manifest as extensionManifest } from '../../extension/build/manifest.ts';

const OUT = path.join(ROOT, 'dist', 'extension-test-lint');

describe("addons.mozilla.org's validator", { timeout: 180_000 }, () => {
  let report: LintReport;
  beforeAll(async () => {
    await buildExtension({ model: 'tests/fixtures/models/tiny', out: OUT, targets: ['firefox'], zip: false, log: () => undefined });
    report = await lintFirefox(path.join(OUT, 'firefox'));
  });

  it('finds no error in the Firefox build, and no warning but the known third-party ones', () => {
    expect(report.errors.map(describeMessage)).toEqual([]);
    expect(report.unexpected.map(describeMessage)).toEqual([]);
    // Each known warning still occurs: a stale entry would hide nothing but would mislead.
    for (const k of KNOWN_WARNINGS) expect(report.warnings.some((w) => w.code === k.code && k.file.test(w.file ?? ''))).toBe(true);
  });

  it('reports a manifest AMO would refuse', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ptd-amo-'));
    const manifest = extensionManifest({ target: 'firefox', version: '1.0.0' });
    const gecko = (manifest.browser_specific_settings as { gecko: Record<string, unknown> }).gecko;
    delete gecko.data_collection_permissions; // required of new add-ons since November 2025
    manifest.permissions = [...(manifest.permissions as string[]), 'not-a-permission'];
    await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    const broken = await lintFirefox(dir);
    const codes = broken.unexpected.map((m) => m.code);
    expect(codes.some((c) => /DATA_COLLECTION/.test(c))).toBe(true);
    expect(broken.unexpected.some((m) => /not-a-permission/.test(`${m.message} ${JSON.stringify(m.description)}`))).toBe(true);
  });
});
