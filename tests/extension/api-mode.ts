// The opt-in API mode, checked the same way in Chromium (e2e.test.ts) and Firefox (firefox.test.ts): the extension
// page sets the API, the background posts the page text there with the key, paints the answer, and never starts
// the local model.
import { expect } from 'vitest';
import { flaggedRanges, scanTab, sendFrom, type FakeApi, type InPage } from '../../extension/build/harness.ts';
import type { HostState } from '../../extension/shared/messages.ts';

export async function expectApiModeScan(
  ext: InPage,
  tabId: number,
  api: FakeApi,
  key: string,
  paintedRanges: () => Promise<Record<string, string[]>>,
): Promise<void> {
  await ext.evaluate(([url, k]) => chrome.storage.local.set({ mode: 'api', apiUrl: url, apiKey: k }), [api.url, key] as const);
  const summary = await scanTab(ext, tabId);
  expect(summary.mode).toBe('api');
  expect(summary.model?.name).toBe('api-model');
  expect(summary.flagged).toBe(summary.scored);
  expect(flaggedRanges(await paintedRanges())).toHaveLength(summary.scored);
  expect(api.received.length).toBeGreaterThan(0);
  expect(api.received.every((r) => r.url === '/v1/detect' && r.key === key)).toBe(true);
  expect(api.received.map((r) => r.text).join(' ')).toContain('My grandfather kept the light');
  const host = await sendFrom<{ ok: true; state: HostState }>(ext, { target: 'background', type: 'host-state' });
  expect(host.state.status).toBe('idle'); // the local model was never started
}
