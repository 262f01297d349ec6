// The popup: starts a scan of the current tab when the page has none, shows model loading progress on first use,
// the page summary, and a threshold slider that re-labels instantly from the stored scores (no model run).
import browser from 'webextension-polyfill';
import { skipReasonText } from '../../model/readable.ts';
import type { SkipReason } from '../../model/types.ts';
import { sendToBackground } from '../shared/send.ts';
import type { HostState, PageSummary, Reply } from '../shared/messages.ts';
import { countAt, describeThreshold } from '../shared/summary.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (x: number) => `${Math.round(x * 100)}%`;

let tabId: number | undefined;
let summary: PageSummary | null = null;
let polling: ReturnType<typeof setInterval> | undefined;
/** The background's reason when a scan could not start (a browser page, a store page): kept over "not scanned". */
let failure: string | undefined;

async function currentTab(): Promise<number> {
  // `?tab=ID` lets tests and debugging pages point the popup at a given tab.
  const fromQuery = Number(new URLSearchParams(location.search).get('tab'));
  if (Number.isInteger(fromQuery) && fromQuery > 0) return fromQuery;
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  if (tab?.id === undefined) throw new Error('No active tab.');
  return tab.id;
}

async function contentSummary(): Promise<PageSummary | null> {
  try {
    const reply = (await browser.tabs.sendMessage(tabId!, { target: 'content', type: 'summary' })) as Reply<{ summary: PageSummary }>;
    return reply?.ok ? reply.summary : null;
  } catch {
    return null; // not injected: the page has not been scanned
  }
}

function showHost(state: HostState): void {
  const box = $('host');
  const bar = $<HTMLProgressElement>('host-progress');
  if (state.status === 'loading' && state.phase === 'starting') {
    // ONNX Runtime builds its session: no measure of progress, so the bar is indeterminate
    box.hidden = false;
    $('host-text').textContent = 'Starting the model runtime (first use)…';
    bar.removeAttribute('value');
  } else if (state.status === 'loading') {
    box.hidden = false;
    $('host-text').textContent = `Loading the model files (first use)… ${state.progress ?? 0}%`;
    bar.value = state.progress ?? 0;
  } else if (state.status === 'error') {
    box.hidden = false;
    $('host-text').textContent = `The model failed to load: ${state.error ?? 'unknown error'}`;
    $('host-text').className = 'error';
  } else box.hidden = true;
}

function skippedText(reasons: PageSummary['skippedReasons']): string {
  return (Object.entries(reasons) as Array<[SkipReason, number]>)
    .map(([why, n]) => `${n} sentence${n === 1 ? '' : 's'} ${skipReasonText(why)}`)
    .join('; ');
}

function render(): void {
  const s = summary;
  const status = $('status');
  $('notes').hidden = true;
  if (!s || s.state === 'idle') {
    status.textContent = failure ? `ptd cannot scan this page: ${failure}` : 'This page has not been scanned.';
    status.className = failure ? 'error' : '';
    $('summary').hidden = true;
    $('threshold-box').hidden = true;
    return;
  }
  if (s.state === 'error') {
    status.textContent = `Scan failed: ${s.error ?? 'unknown error'}`;
    status.className = 'error';
  } else if (s.state === 'scanning') {
    status.textContent = s.windows ? `Scanning… ${s.windowsDone} of ${s.windows} parts read` : 'Scanning…';
    status.className = '';
  } else if (s.sentences === 0) {
    status.textContent = `Nothing readable on this page. ${s.empty ?? ''}`.trim();
    status.className = '';
  } else if (s.scored === 0) {
    status.textContent = `Nothing checked: ${skippedText(s.skippedReasons)}.`;
    status.className = '';
  } else {
    status.textContent = s.trigger === 'selection' ? 'Selection checked.' : s.trigger === 'field' ? 'Field checked.' : 'Page scanned.';
    status.className = '';
  }
  if (s.state !== 'error' && (s.skipped > 0 || s.unreliable)) {
    $('notes').hidden = false;
    $('skipped').textContent = s.skipped > 0 && s.scored > 0 ? `Also: ${skippedText(s.skippedReasons)}.` : '';
    $('unreliable').textContent = s.unreliable && s.scored > 0 ? `The page's score is not reliable: ${s.unreliable}.` : '';
  }
  const slider = $<HTMLInputElement>('threshold');
  const threshold = Number(slider.dataset.touched ? slider.value : s.threshold);
  const counts = countAt(s.scores, threshold);
  $('summary').hidden = s.scored === 0;
  $('flagged').textContent = String(counts.flagged);
  $('scored').textContent = String(s.scored);
  $('fraction').textContent = pct(counts.paraphrasedFraction);
  const parts = [
    counts.borderline ? `${counts.borderline} borderline` : '',
    s.model ? `${s.model.name} ${s.model.version} on ${s.mode === 'api' ? 'the API' : s.model.device.toUpperCase()}` : '',
    s.ms !== undefined ? `${(s.ms / 1000).toFixed(1)} s` : '',
  ].filter(Boolean);
  $('details').textContent = parts.join(' · ');
  $('threshold-box').hidden = s.scored === 0;
  const marks = $('fitted');
  if (marks.childElementCount !== s.thresholds.length) {
    // tick marks at the model's fitted operating points (e.g. 1% and 5% false positives)
    marks.replaceChildren(
      ...s.thresholds.map((t) => {
        const o = document.createElement('option');
        o.value = t.threshold.toFixed(2);
        o.label = `${+(t.targetFpr * 100).toPrecision(2)}% FPR`;
        return o;
      }),
    );
  }
  if (!slider.dataset.touched) slider.value = String(s.threshold);
  $('threshold-value').textContent = threshold.toFixed(2);
  $('threshold-note').textContent = describeThreshold(threshold, s.thresholds);
}

async function refresh(): Promise<void> {
  summary = await contentSummary();
  render();
  if (summary?.state !== 'scanning') {
    clearInterval(polling);
    polling = undefined;
  }
}

function poll(): void {
  if (polling) return;
  polling = setInterval(() => void refresh(), 250);
}

async function scan(): Promise<void> {
  failure = undefined;
  $('status').textContent = 'Scanning…';
  poll();
  const reply = (await sendToBackground({ target: 'background', type: 'scan-tab', tabId, trigger: 'popup' })) as Reply<{
    summary: PageSummary;
  }>;
  if (!reply.ok) failure = reply.error;
  await refresh();
}

async function main(): Promise<void> {
  tabId = await currentTab();
  browser.runtime.onMessage.addListener((msg: unknown) => {
    const m = msg as { target?: string; type?: string; state?: HostState };
    if (m?.target === 'broadcast' && m.type === 'host-state' && m.state) showHost(m.state);
    return undefined;
  });
  const host = (await sendToBackground({ target: 'background', type: 'host-state' })) as Reply<{ state: HostState; mode: string }>;
  if (host.ok) {
    showHost(host.state);
    $('mode').textContent = host.mode === 'api' ? 'API mode: page text is sent to your API server' : 'Local mode: nothing leaves this device';
  }

  const slider = $<HTMLInputElement>('threshold');
  slider.addEventListener('input', () => {
    slider.dataset.touched = '1';
    render(); // instant: counts come from the stored scores
    void browser.tabs.sendMessage(tabId!, { target: 'content', type: 'set-threshold', threshold: Number(slider.value) });
  });
  $('threshold-reset').addEventListener('click', () => {
    delete slider.dataset.touched;
    void browser.tabs
      .sendMessage(tabId!, { target: 'content', type: 'set-threshold', threshold: null })
      .then(() => refresh());
  });
  $('rescan').addEventListener('click', () => void scan());
  $('clear').addEventListener('click', () => {
    void sendToBackground({ target: 'background', type: 'clear-tab', tabId }).then(() => refresh());
  });
  $('selection').addEventListener('click', () => {
    poll();
    void sendToBackground({ target: 'background', type: 'check-selection', tabId }).then(async (r) => {
      const reply = r as Reply;
      await refresh();
      if (!reply.ok) {
        // shown after the refresh, which would otherwise cover it with the page's state
        $('status').textContent = reply.error.replace(/^tab \d+: /, '');
        $('status').className = 'error';
      }
    });
  });
  $('options').addEventListener('click', (e) => {
    e.preventDefault();
    void browser.runtime.openOptionsPage();
  });

  summary = await contentSummary();
  if (!summary || summary.state === 'idle') await scan();
  else {
    render();
    if (summary.state === 'scanning') poll();
  }
}

main().catch((err: unknown) => {
  $('status').textContent = err instanceof Error ? err.message : String(err);
  $('status').className = 'error';
});
