// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';

// settings.ts imports the polyfill, which refuses to load outside an extension; these tests use no browser API.
vi.mock('webextension-polyfill', () => ({ default: {} }));
import { CSP, manifest } from '../../extension/build/manifest.ts';
import { Painter, highlightCss, HIGHLIGHT_PREFIX } from '../../extension/content/highlight.ts';
import { extractText, rangesFor } from '../../extension/content/extract.ts';
import { mattersForRescan, SettlingTimer } from '../../extension/content/rescan.ts';
import { apiPermissions, DEFAULT_SETTINGS, normaliseOrigin, normaliseSettings, originPattern } from '../../extension/shared/settings.ts';
import { countAt, describeThreshold } from '../../extension/shared/summary.ts';
import { fail, isMessageFor, ok, unwrap } from '../../extension/shared/messages.ts';

describe('manifest', () => {
  it.each(['chrome', 'firefox'] as const)('%s: MV3, minimal permissions, strict CSP, no host permissions', (target) => {
    const m = manifest({ target, version: '1.2.3' });
    expect(m.manifest_version).toBe(3);
    expect(m.version).toBe('1.2.3');
    const perms = m.permissions as string[];
    expect(perms).toEqual(expect.arrayContaining(['activeTab', 'scripting', 'contextMenus', 'storage']));
    expect(perms.some((p) => p.includes('://') || p === '<all_urls>' || p === 'tabs')).toBe(false);
    expect(m.host_permissions).toBeUndefined();
    expect(m.content_scripts).toBeUndefined();
    expect(JSON.stringify(m)).not.toContain('<all_urls>');
    expect((m.content_security_policy as { extension_pages: string }).extension_pages).toBe(CSP);
    expect(CSP).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(Object.keys(m.commands as object)).toEqual(['scan-page', 'check-selection']);
  });

  it('chrome hosts the model in an offscreen document; firefox in its background page', () => {
    const c = manifest({ target: 'chrome', version: '1' });
    expect(c.permissions).toContain('offscreen');
    expect(c.background).toEqual({ service_worker: 'background.js', type: 'module' });
    const f = manifest({ target: 'firefox', version: '1' });
    expect(f.permissions).not.toContain('offscreen');
    expect(f.background).toEqual({ page: 'background.html' });
    expect((f.browser_specific_settings as { gecko: { id: string } }).gecko.id).toMatch(/@/);
  });

  it('test builds may add host permissions, and only when asked', () => {
    expect(manifest({ target: 'chrome', version: '1', testHosts: ['http://127.0.0.1/*'] }).host_permissions).toEqual(['http://127.0.0.1/*']);
  });

  it('firefox declares its data collection: none required, page text optional (API mode); chrome has no such key', () => {
    const gecko = (m: Record<string, unknown>) => (m.browser_specific_settings as { gecko: Record<string, unknown> }).gecko;
    expect(gecko(manifest({ target: 'firefox', version: '1' })).data_collection_permissions).toEqual({ required: ['none'], optional: ['websiteContent'] });
    // test builds grant up front what a user grants in the options page, as they do for host permissions
    expect(gecko(manifest({ target: 'firefox', version: '1', testHosts: ['http://127.0.0.1/*'] })).data_collection_permissions).toEqual({
      required: ['websiteContent'],
    });
    expect(JSON.stringify(manifest({ target: 'chrome', version: '1' }))).not.toContain('data_collection');
  });

  it('API mode asks for the server origin, and in firefox for consent to send website content', () => {
    expect(apiPermissions('https://ptd.example.org', 'chrome')).toEqual({ origins: ['https://ptd.example.org/*'] });
    // match patterns carry no port (Firefox's cannot): the pattern covers the host on every port
    expect(apiPermissions('http://127.0.0.1:8080', 'firefox')).toEqual({ origins: ['http://127.0.0.1/*'], data_collection: ['websiteContent'] });
    expect(originPattern('http://[::1]:8080')).toBe('http://[::1]/*');
  });
});

describe('settings', () => {
  it('falls back to defaults for unknown or invalid values', () => {
    expect(normaliseSettings({})).toEqual(DEFAULT_SETTINGS);
    const s = normaliseSettings({ mode: 'cloud', scheme: 'rainbow', threshold: 1.5, device: 'cuda', extra: 1 });
    expect(s).toEqual(DEFAULT_SETTINGS);
    expect(DEFAULT_SETTINGS.mode).toBe('local');
  });

  it('keeps valid values and normalises sites to origins, without duplicates', () => {
    const s = normaliseSettings({
      mode: 'api',
      apiUrl: ' http://127.0.0.1:8080/ ',
      scheme: 'colorblind',
      threshold: 0.7,
      device: 'wasm',
      autoScanSites: ['example.org', 'https://example.org/page', 'ftp://x.org', 'not a url at all %'],
    });
    expect(s.mode).toBe('api');
    expect(s.apiUrl).toBe('http://127.0.0.1:8080/');
    expect(s.scheme).toBe('colorblind');
    expect(s.threshold).toBe(0.7);
    expect(s.device).toBe('wasm');
    expect(s.autoScanSites).toEqual(['https://example.org']);
  });

  it.each([
    ['example.org', 'https://example.org'],
    ['http://news.example.com/a/b?c', 'http://news.example.com'],
    ['chrome://settings', null],
    ['', null],
  ])('normaliseOrigin(%j) = %j', (input, expected) => expect(normaliseOrigin(input)).toBe(expected));
});

describe('summary helpers', () => {
  it('counts flagged and borderline sentences at a threshold', () => {
    expect(countAt([0.1, 0.55, 0.6, 0.9], 0.6)).toEqual({ flagged: 2, borderline: 1, paraphrasedFraction: 0.5 });
    expect(countAt([], 0.5)).toEqual({ flagged: 0, borderline: 0, paraphrasedFraction: 0 });
  });

  it('names fitted operating points', () => {
    const fitted = [
      { targetFpr: 0.01, threshold: 0.93, achievedFpr: 0.0098, tpr: 0.61 },
      { targetFpr: 0.05, threshold: 0.71, achievedFpr: 0.049, tpr: 0.8 },
    ];
    expect(describeThreshold(0.93, fitted)).toBe('fitted for 1% false positives (reached 0.98%, catches 61%)');
    expect(describeThreshold(0.8, fitted)).toBe('custom');
    expect(describeThreshold(0.97, fitted)).toContain('stricter');
    expect(describeThreshold(0.3, fitted)).toContain('more false positives');
  });
});

describe('re-scans that settle', () => {
  const record = (r: Partial<MutationRecord>) => ({ addedNodes: [], removedNodes: [], oldValue: null, ...r }) as unknown as MutationRecord;

  it('a tiny text change (a clock) or a change of our own marks does not count; new content does', () => {
    document.body.innerHTML = '<p id="clock">12:00:01</p><article><p>Some text.</p></article>';
    const html = document.documentElement;
    const clockText = document.getElementById('clock')!.firstChild!;
    expect(mattersForRescan([record({ type: 'characterData', target: clockText, oldValue: '12:00:00' })], html)).toBe(false);
    expect(mattersForRescan([record({ type: 'attributes', target: html })], html)).toBe(false);
    const card = document.createElement('ptd-card');
    card.setAttribute('data-ptd-ui', '');
    card.textContent = 'A long message from ptd itself, which is ours.';
    expect(mattersForRescan([record({ type: 'childList', target: html, addedNodes: [card] as unknown as NodeList })], html)).toBe(false);
    const p = document.createElement('p');
    p.textContent = 'A new paragraph of comments arrived on the page.';
    expect(mattersForRescan([record({ type: 'childList', target: document.body, addedNodes: [p] as unknown as NodeList })], html)).toBe(true);
    const swapped = document.createElement('p');
    swapped.textContent = 'x';
    expect(mattersForRescan([record({ type: 'childList', target: document.body, removedNodes: [p] as unknown as NodeList })], html)).toBe(true);
    expect(mattersForRescan([record({ type: 'childList', target: document.body, addedNodes: [swapped] as unknown as NodeList })], html)).toBe(false);
  });

  it('fires after a quiet spell, or at the maximum wait when changes never stop', () => {
    vi.useFakeTimers();
    try {
      const fired: number[] = [];
      const t = new SettlingTimer(() => fired.push(Date.now()), 1500, 8000);
      const start = Date.now();
      t.poke();
      vi.advanceTimersByTime(1499);
      expect(fired).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(fired.map((x) => x - start)).toEqual([1500]);
      // a change every second: never quiet for 1.5 s, so the maximum wait decides
      const second = Date.now();
      for (let k = 0; k < 12; k++) {
        t.poke();
        vi.advanceTimersByTime(1000);
      }
      expect(fired.map((x) => x - second).slice(1)).toEqual([8000]);
      t.cancel();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('messages', () => {
  it('routes by target and wraps replies', () => {
    expect(isMessageFor({ target: 'content', type: 'ping' }, 'content')).toBe(true);
    expect(isMessageFor({ target: 'content' }, 'content')).toBe(false);
    expect(isMessageFor({ target: 'offscreen', type: 'host-state' }, 'background')).toBe(false);
    expect(isMessageFor(null, 'background')).toBe(false);
    expect(ok({ a: 1 })).toEqual({ ok: true, a: 1 });
    expect(fail(new Error('boom'))).toEqual({ ok: false, error: 'boom' });
    expect(() => unwrap(fail('nope'), 'x')).toThrow('x: nope');
    expect(() => unwrap(undefined, 'x')).toThrow('no reply');
  });
});

describe('Painter (CSS Custom Highlight API)', () => {
  class FakeHighlight extends Set<AbstractRange> {
    priority = 0;
    constructor(...ranges: AbstractRange[]) {
      super(ranges);
    }
  }

  function withRegistry(): Map<string, FakeHighlight> {
    const registry = new Map<string, FakeHighlight>();
    (window as unknown as { CSS: object }).CSS = { highlights: registry };
    (window as unknown as { Highlight: unknown }).Highlight = FakeHighlight;
    return registry;
  }

  it('registers one highlight per colour key, re-labels on a new threshold, and clears everything', () => {
    const registry = withRegistry();
    document.body.innerHTML = '<p>First one here. Second one here. Third one here.</p>';
    const ex = extractText(document.body);
    const at = (t: string) => [ex.text.indexOf(t), ex.text.indexOf(t) + t.length] as const;
    const spans = [
      [...at('First one here.'), 0.95],
      [...at('Second one here.'), 0.55],
      [...at('Third one here.'), 0.1],
    ] as const;
    const painter = new Painter(document, 0.6, 'standard');
    painter.add(spans.map(([start, end, score], index) => ({ index, start, end, score, degree: 0.9, ranges: rangesFor(ex, start, end) })));
    const names = [...registry.keys()];
    expect(names.every((n) => n.startsWith(HIGHLIGHT_PREFIX))).toBe(true);
    expect(painter.counts()).toEqual({ flagged: 1, borderline: 1, flaggedRanges: 1 });
    const flagged = names.filter((n) => n.includes('flagged'));
    expect(flagged).toHaveLength(1);
    expect([...registry.get(flagged[0]!)!].map((r) => (r as Range).toString())).toEqual(['First one here.']);

    painter.setThreshold(0.05);
    expect(painter.counts()).toEqual({ flagged: 3, borderline: 0, flaggedRanges: 3 });
    const total = [...registry.entries()].filter(([n]) => n.includes('flagged')).reduce((a, [, h]) => a + h.size, 0);
    expect(total).toBe(3);

    const text = document.body.querySelector('p')!.firstChild!;
    expect(painter.sentenceAt(text, 20)?.score).toBe(0.55);

    painter.setEvidence(new Map([[0, [{ start: 0, end: 5, text: 'First', drop: 0.2 }]]]));
    expect(painter.all()[0]!.evidence?.[0]?.text).toBe('First');
    expect(painter.all()[1]!.evidence).toBeUndefined();
    // a re-scan replaces everything at once
    painter.replace([{ index: 0, start: spans[2][0], end: spans[2][1], score: 0.99, ranges: rangesFor(ex, spans[2][0], spans[2][1]) }]);
    expect(painter.counts()).toEqual({ flagged: 1, borderline: 0, flaggedRanges: 1 });

    painter.clear();
    expect(registry.size).toBe(0);
    expect(painter.count).toBe(0);
    expect(document.body.innerHTML).toBe('<p>First one here. Second one here. Third one here.</p>');
  });

  it('can hide borderline sentences', () => {
    const registry = withRegistry();
    document.body.innerHTML = '<p>Only one sentence.</p>';
    const ex = extractText(document.body);
    const painter = new Painter(document, 0.6, 'mono', false);
    painter.add([{ index: 0, start: 0, end: 18, score: 0.55, ranges: rangesFor(ex, 0, 18) }]);
    expect(registry.size).toBe(0);
    painter.setShowBorderline(true);
    expect([...registry.keys()]).toEqual([`${HIGHLIGHT_PREFIX}borderline-2`]);
  });

  it('writes ::highlight rules for every key, in the chosen scheme', () => {
    const css = highlightCss(0.6, 'colorblind');
    expect(css).toContain('::highlight(ptd-flagged-3-3)');
    expect(css).toContain('::highlight(ptd-borderline-0)');
    expect(css).not.toBe(highlightCss(0.6, 'standard'));
    expect(css.match(/::highlight\(/g)).toHaveLength(20);
    expect(css).not.toContain('<');
  });
});
