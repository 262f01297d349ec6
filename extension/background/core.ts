// The background's router, shared by Chrome (service worker + offscreen model host) and Firefox (background page
// hosting the model itself). It holds no model: it injects the content script on demand, routes scoring requests
// to the model host (or, in API mode, to the configured ptd API), and wires the context menu and commands.
import browser from 'webextension-polyfill';
import type { DetectionResult } from '../../model/types.ts';
import {
  fail,
  isMessageFor,
  ok,
  unwrap,
  type BackgroundRequest,
  type ContentRequest,
  type HostRequest,
  type HostState,
  type PageSummary,
  type Reply,
  type ScanTrigger,
  type ScoreJob,
  type ScoreReply,
} from '../shared/messages.ts';
import { apiPermissions, loadSettings, normaliseOrigin, originPattern, type Settings } from '../shared/settings.ts';

/** How the background reaches the model host. */
export interface ModelPort {
  request<T extends object>(msg: HostRequest): Promise<Reply<T>>;
}

export const MENU_ID = 'ptd-check-selection';
export const FIELD_MENU_ID = 'ptd-check-field';
const AUTO_SCRIPT_ID = 'ptd-auto-scan';
const CONTENT_FILE = 'content.js';

async function activeTabId(): Promise<number> {
  const [tab] = await browser.tabs.query({ active: true, currentWindow: true });
  if (tab?.id === undefined) throw new Error('No active tab.');
  return tab.id;
}

async function sendToTab<T extends object>(tabId: number, msg: ContentRequest): Promise<Ok<T>> {
  return unwrap((await browser.tabs.sendMessage(tabId, msg)) as Reply<T>, `tab ${tabId}`);
}
type Ok<T extends object> = { ok: true } & T;

/** Injects the content script unless it is already there (needs activeTab or a host permission for the tab). */
export async function ensureContent(tabId: number): Promise<void> {
  try {
    await sendToTab(tabId, { target: 'content', type: 'ping' });
    return;
  } catch {
    // not injected yet
  }
  try {
    await browser.scripting.executeScript({ target: { tabId }, files: [CONTENT_FILE] });
  } catch (err) {
    throw new Error(
      `ptd cannot read this page (${err instanceof Error ? err.message : String(err)}). ` +
        'Browser pages, the extension store and PDF viewers cannot be scanned; on other pages click the ptd button first.',
    );
  }
}

async function setBadge(tabId: number, summary: PageSummary | undefined): Promise<void> {
  const text = summary && summary.state === 'done' && summary.flagged > 0 ? String(summary.flagged) : '';
  await browser.action.setBadgeText({ tabId, text }).catch(() => undefined);
  await browser.action.setBadgeBackgroundColor({ tabId, color: '#b3261e' }).catch(() => undefined);
  await browser.action.setTitle({ tabId, title: 'Scan this page with ptd' }).catch(() => undefined);
}

/**
 * A context-menu or shortcut action failed: say so on the page (a short notice), or, where ptd cannot touch the
 * page (browser pages, the store), with a "!" badge whose tooltip holds the reason.
 */
async function notify(tabId: number | undefined, err: unknown): Promise<void> {
  const text = err instanceof Error ? err.message.replace(/^tab \d+: /, '') : String(err);
  if (tabId === undefined) return;
  try {
    await sendToTab(tabId, { target: 'content', type: 'notice', text });
  } catch {
    await browser.action.setBadgeText({ tabId, text: '!' }).catch(() => undefined);
    await browser.action.setBadgeBackgroundColor({ tabId, color: '#5f6368' }).catch(() => undefined);
    await browser.action.setTitle({ tabId, title: `ptd: ${text}` }).catch(() => undefined);
  }
}

export async function scanTab(tabId: number, trigger: ScanTrigger): Promise<PageSummary> {
  await ensureContent(tabId);
  const { summary } = await sendToTab<{ summary: PageSummary }>(tabId, { target: 'content', type: 'scan', trigger });
  await setBadge(tabId, summary);
  return summary;
}

export async function checkSelection(tabId: number): Promise<PageSummary> {
  await ensureContent(tabId);
  const { summary } = await sendToTab<{ summary: PageSummary }>(tabId, { target: 'content', type: 'scan-selection' });
  await setBadge(tabId, summary);
  return summary;
}

export async function checkField(tabId: number): Promise<PageSummary> {
  await ensureContent(tabId);
  const { summary } = await sendToTab<{ summary: PageSummary }>(tabId, { target: 'content', type: 'scan-field' });
  await setBadge(tabId, summary);
  return summary;
}

/** POST /v1/detect of a ptd API (API mode only; the user opted in and was told page text is sent there). */
async function scoreWithApi(settings: Settings, job: ScoreJob): Promise<ScoreReply> {
  const text = job.text;
  if (!settings.apiUrl) throw new Error('API mode is on but no API URL is set (Options).');
  const origin = normaliseOrigin(settings.apiUrl);
  if (!origin) throw new Error(`API mode is on but ${settings.apiUrl} is not an http(s) URL (Options).`);
  // The permissions the user granted when turning API mode on can be revoked since (browser settings): no page
  // text is sent without them.
  if (!(await browser.permissions.contains(apiPermissions(origin)))) {
    throw new Error(`API mode is not allowed to send page text to ${origin} any more; turn it on again in Options.`);
  }
  const started = Date.now();
  const res = await fetch(`${settings.apiUrl.replace(/\/+$/, '')}/v1/detect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(settings.apiKey ? { 'x-api-key': settings.apiKey } : {}) },
    // evidence is on by default on the server: the field is sent only to turn it off (an older server would refuse it)
    body: JSON.stringify({ text, ...(job.evidence ? {} : { evidence: false }), ...(job.threshold === undefined ? {} : { threshold: job.threshold }) }),
  });
  if (!res.ok) {
    let reason = res.statusText;
    try {
      const body = (await res.json()) as { error?: { message?: string } | string };
      reason = typeof body.error === 'string' ? body.error : (body.error?.message ?? reason);
    } catch {
      // not JSON
    }
    throw new Error(`The ptd API answered ${res.status}: ${reason}`);
  }
  const result = (await res.json()) as DetectionResult;
  const update = { sentences: result.sentences, windowsDone: 1, windows: 1, result, ms: Date.now() - started };
  return { job: null, update, mode: 'api', thresholds: [] };
}

/** Registers the auto-scan content script for the sites the user chose and granted. */
export async function syncAutoScan(): Promise<string[]> {
  const settings = await loadSettings();
  const granted: string[] = [];
  for (const origin of settings.autoScanSites) {
    if (await browser.permissions.contains({ origins: [originPattern(origin)] })) granted.push(originPattern(origin));
  }
  const scripting = browser.scripting as typeof browser.scripting & {
    getRegisteredContentScripts?: (f?: { ids?: string[] }) => Promise<Array<{ id: string }>>;
  };
  const existing = (await scripting.getRegisteredContentScripts?.({ ids: [AUTO_SCRIPT_ID] })) ?? [];
  if (existing.length) await browser.scripting.unregisterContentScripts({ ids: [AUTO_SCRIPT_ID] });
  if (granted.length) {
    await browser.scripting.registerContentScripts([
      { id: AUTO_SCRIPT_ID, matches: granted, js: [CONTENT_FILE], runAt: 'document_idle', persistAcrossSessions: true },
    ]);
  }
  return granted;
}

/** A scan that ended in an error state is a failure of the action that started it (the shortcut says so). */
async function failOnError(summary: PageSummary): Promise<void> {
  if (summary.state === 'error') throw new Error(summary.error ?? 'the scan failed');
}

export function startBackground(port: ModelPort, hostStateNow: () => Promise<HostState>): void {
  const setupMenu = async () => {
    await browser.contextMenus.removeAll();
    browser.contextMenus.create({ id: MENU_ID, title: 'Check selection with ptd', contexts: ['selection'] });
    browser.contextMenus.create({ id: FIELD_MENU_ID, title: 'Check this field with ptd', contexts: ['editable'] });
  };
  browser.runtime.onInstalled.addListener(() => {
    void setupMenu();
    void syncAutoScan().catch((err: unknown) => console.warn('[ptd] auto-scan registration failed', err));
  });

  browser.contextMenus.onClicked.addListener((info, tab) => {
    if (tab?.id === undefined) return;
    const tabId = tab.id;
    const action = info.menuItemId === MENU_ID ? checkSelection : info.menuItemId === FIELD_MENU_ID ? checkField : null;
    if (!action) return;
    void (async () => failOnError(await action(tabId)))().catch((err: unknown) => notify(tabId, err));
  });

  browser.commands.onCommand.addListener((command, tab) => {
    let tabId = tab?.id;
    void (async () => {
      tabId ??= await activeTabId();
      if (command === 'scan-page') await failOnError(await scanTab(tabId, 'command'));
      else if (command === 'check-selection') await failOnError(await checkSelection(tabId));
    })().catch((err: unknown) => notify(tabId, err));
  });

  const handle = async (msg: BackgroundRequest): Promise<Reply<object>> => {
    switch (msg.type) {
      case 'scan-tab':
        return ok({ summary: await scanTab(msg.tabId ?? (await activeTabId()), msg.trigger ?? 'popup') });
      case 'check-selection':
        return ok({ summary: await checkSelection(msg.tabId ?? (await activeTabId())) });
      case 'check-field':
        return ok({ summary: await checkField(msg.tabId ?? (await activeTabId())) });
      case 'clear-tab': {
        const tabId = msg.tabId ?? (await activeTabId());
        await sendToTab(tabId, { target: 'content', type: 'clear' }).catch(() => undefined);
        await setBadge(tabId, undefined);
        return ok();
      }
      case 'score-start': {
        const settings = await loadSettings();
        const { target: _t, type: _k, ...job } = msg;
        if (settings.mode === 'api') return ok(await scoreWithApi(settings, job));
        return port.request({ ...job, target: 'offscreen', type: 'host-start', device: settings.device });
      }
      case 'score-next':
        return port.request({ target: 'offscreen', type: 'host-next', job: msg.job });
      case 'score-cancel':
        return port.request({ target: 'offscreen', type: 'host-cancel', job: msg.job });
      case 'host-state':
        return ok({ state: await hostStateNow(), mode: (await loadSettings()).mode });
      case 'warm-up': {
        const settings = await loadSettings();
        if (settings.mode === 'api') return ok({ state: await hostStateNow() });
        return port.request({ target: 'offscreen', type: 'host-load', device: settings.device });
      }
      case 'sync-auto-scan':
        return ok({ registered: await syncAutoScan() });
      default:
        console.warn('[ptd] background: unknown message', msg);
        return fail(`unknown message type ${(msg as { type: string }).type}`);
    }
  };

  browser.runtime.onMessage.addListener((msg: unknown) => {
    if (!isMessageFor(msg, 'background')) return undefined;
    return handle(msg).catch((err: unknown) => fail(err));
  });
}
